"""The v1 endpoints (docs/api.md §2): the route table and one handler per endpoint.

Handlers read and change the world and return a `Reply` (data and, on paging endpoints,
pagination); `emulator.api` does everything around them (auth, limits, signatures, faults,
rendering).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar
from urllib.parse import unquote

from . import errors, paging
from .listings import Entries, Listings, media_key
from .transport import Request
from .world import NotAllowedError, World

ERAS = ("2016", "legacy")
DEPRECATION_WARNING = "next_max_id and min_id are deprecated for this endpoint; use min_tag_id and max_tag_id instead"
LEGACY_INLINE_LIKES = 4  # likes.data in a real 2014 capture held the 4 newest likers
LEGACY_INLINE_COMMENTS = 8  # comments.data: the newest comments, oldest first (inferred)
MEDIA_SEARCH_WINDOW = 5 * 86400  # default min_timestamp: 5 days before max_timestamp
MEDIA_SEARCH_MAX_WINDOW = 7 * 86400
RELATIONSHIP_ACTIONS = ("follow", "unfollow", "approve", "ignore", "deny", "block", "unblock")
ANSWERED_REQUEST_STATUS = {"approve": "follows", "ignore": "none"}  # POST relationship answers
COMMENT_MAX_CHARS, COMMENT_MAX_HASHTAGS, COMMENT_MAX_URLS = 300, 4, 1
HASHTAG = re.compile(r"#\w+")
URL = re.compile(r"(?:https?://|www\.)\S+")  # one match per URL, `http://www.` included


@dataclass(frozen=True)
class SearchDistance:
    """Default and maximum `distance` (metres) of a geographic search."""

    default: float
    maximum: float


# locations/search: 2016 docs 500/750 m; 2015 swagger (legacy) 1000/5000 m.
LOCATION_SEARCH_DISTANCE = {"2016": SearchDistance(500, 750), "legacy": SearchDistance(1000, 5000)}
MEDIA_SEARCH_DISTANCE = SearchDistance(1000, 5000)
# locations/search without lat/lng: by one of these venue ids (the first given wins)
LOCATION_VENUE_IDS = ("facebook_places_id", "foursquare_v2_id", "foursquare_id")


@dataclass(frozen=True)
class ApiOptions:
    """The behaviour switches of the API (docs/emulator.md, "Eras")."""

    era: str = "2016"
    follows_any_user: bool = False

    def __post_init__(self) -> None:
        if self.era not in ERAS:
            raise ValueError(f"era must be one of {ERAS}, got {self.era!r}")

    @property
    def legacy(self) -> bool:
        return self.era == "legacy"


@dataclass
class Reply:
    """A handler's answer: `data`, and `pagination` (None: the key is left out)."""

    data: object
    pagination: dict | None = None


@dataclass
class Call:
    """Everything a handler may use about one request."""

    world: World
    listings: Listings
    options: ApiOptions
    request: Request
    params: dict[str, str]
    path: dict[str, str]
    viewer: str | None  # the token's user; None for `client_id`-only calls (legacy era)
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def me(self) -> str:
        """The token's user; refuses calls made without one."""
        if self.viewer is None:
            raise errors.missing_token()
        return self.viewer

    def require(self, scope: str) -> None:
        """Refuse unless the token has `scope` (before the 2015 review, reads needed `basic`)."""
        if self.options.legacy and scope in ("public_content", "follower_list"):
            scope = "basic"
        if self.viewer is not None and scope not in self.scopes:
            raise errors.missing_scope(scope)

    def require_unless_owner(self, scope: str, owner: str) -> None:
        """`public_content unless it is the owner` (docs/api.md §2)."""
        if owner != self.viewer:
            self.require(scope)

    def user(self, raw: str) -> str:
        """The user id a path names (`self` = the token's user); unknown ids are refused."""
        uid = self.me if raw == "self" else raw
        _lookup(lambda: self.world.is_private(uid), "this user does not exist")
        return uid

    def ensure_visible(self, owner: str) -> None:
        """Refuse content of a private user the viewer does not follow."""
        if owner == self.viewer or not self.world.is_private(owner):
            return
        if self.viewer is None or self.world.relationship(self.viewer, owner)["outgoing_status"] != "follows":
            raise errors.not_allowed()

    def media_owner(self, media_id: str) -> str:
        """Owner of a media the viewer may see (public_content unless owner, privacy)."""
        owner = _lookup(lambda: self.world.media_owner_id(media_id), "invalid media id")
        self.require_unless_owner("public_content", owner)
        self.ensure_visible(owner)
        return owner

    def media(self, media_id: str) -> dict:
        """The Media object as this era and this viewer see it."""
        media = self.world.media(media_id)
        if self.options.legacy:
            likers = self.world.media_likers(media_id)[:LEGACY_INLINE_LIKES]
            comments = self.world.media_comments(media_id)[-LEGACY_INLINE_COMMENTS:]
            media["likes"] = {**media["likes"], "data": [self.world.user_short(u) for u in likers]}
            media["comments"] = {**media["comments"], "data": comments}
        if self.viewer is not None:
            media["user_has_liked"] = media_id in self.liked
        return media

    @cached_property
    def liked(self) -> frozenset[str]:
        """What the viewer likes, looked up once per request."""
        return self.listings.liked_set(self.me)

    def users(self, user_ids: list[str]) -> list[dict]:
        """Short User objects."""
        return [self.world.user_short(uid) for uid in user_ids]


Handler = Callable[[Call], Reply]
Found = TypeVar("Found")


@dataclass(frozen=True)
class Route:
    """One endpoint. `scope` is checked before the handler runs (None: the handler checks,
    e.g. "public_content unless owner"); `needs_user` refuses `client_id`-only calls;
    `write_family` names the per-endpoint write limit the call counts against, as the API
    named it (likes, comments, relationships)."""

    method: str
    template: str
    handler: Handler
    scope: str | None = None
    needs_user: bool = False
    write_family: str | None = None
    json_suffix: bool = True  # `.json` accepted (not for /media/shortcode: HTML 404 there)

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template))


# ----------------------------------------------------------------------------- paging


def _media_list(call: Call, entries: Entries) -> Reply:
    """A page of an id-paginated media list: `max_id` older, `min_id` newer, both exclusive."""
    count = paging.MEDIA_COUNT.parse(call.params)
    below = _media_cursor(call.params, "max_id")
    above = _media_cursor(call.params, "min_id")
    page, more = paging.cut_page(entries, count, below=below, above=above)
    pagination = {}
    if more:
        last = page[-1][1]
        pagination = {"next_url": paging.next_url(call.request, {"max_id": last}), "next_max_id": last}
    return Reply([call.media(mid) for _, mid in page], pagination)


def _media_cursor(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    return media_key(raw) if raw else None


def _user_list(call: Call, entries: Entries) -> Reply:
    """A page of a cursor-paginated user list (follows, followed-by)."""
    count = paging.FOLLOW_COUNT.parse(call.params)
    below = paging.parse_cursor(call.params, "cursor")
    page, more = paging.cut_page(entries, count, below=below, above=None)
    pagination = {}
    if more:
        cursor = str(page[-1][0])
        pagination = {"next_url": paging.next_url(call.request, {"cursor": cursor}), "next_cursor": cursor}
    return Reply(call.users([uid for _, uid in page]), pagination)


# ----------------------------------------------------------------------------- users


def get_user(call: Call) -> Reply:
    """GET /users/{id|self}: the full User (private users only to their followers)."""
    uid = call.user(call.path["id"])
    call.require("basic" if uid == call.viewer else "public_content")
    call.ensure_visible(uid)
    user = call.world.user(uid)
    if call.options.legacy:
        del user["is_business"]  # a 2017 addition
    return Reply(user)


def get_user_media(call: Call) -> Reply:
    """GET /users/{id|self}/media/recent."""
    uid = call.user(call.path["id"])
    call.require_unless_owner("public_content", uid)
    call.ensure_visible(uid)
    return _media_list(call, call.listings.media(call.world.media_ids_of_user(uid)))


def get_feed(call: Call) -> Reply:
    """GET /users/self/feed: media of the users the token's user follows, and their own."""
    return _media_list(call, call.listings.media(call.world.feed(call.me)))


def get_liked(call: Call) -> Reply:
    """GET /users/self/media/liked, paged by like sequence (`max_like_id`)."""
    count = paging.MEDIA_COUNT.parse(call.params)
    below = paging.parse_cursor(call.params, "max_like_id")
    page, more = paging.cut_page(call.world.liked_media_with_seq(call.me), count, below=below, above=None)
    pagination = {}
    if more:
        cursor = str(page[-1][0])
        pagination = {
            "next_url": paging.next_url(call.request, {"max_like_id": cursor}),
            "next_max_like_id": cursor,
        }
    return Reply([call.media(mid) for _, mid in page], pagination)


def search_users(call: Call) -> Reply:
    """GET /users/search?q=: short Users, best match first."""
    query = _required(call.params, "q")
    count = paging.SEARCH_COUNT.parse(call.params)
    return Reply(call.users(call.world.search_users(query)[:count]))


# ----------------------------------------------------------------------------- relationships


def _follow_list_owner(call: Call) -> str:
    uid = call.user(call.path["id"])
    if uid != call.viewer:
        if not (call.options.follows_any_user or call.options.legacy):
            raise errors.not_allowed()  # 2016+: follow lists of `self` only
        call.ensure_visible(uid)
    return uid


def get_follows(call: Call) -> Reply:
    """GET /users/{id|self}/follows."""
    return _user_list(call, call.world.follows_with_seq(_follow_list_owner(call)))


def get_followed_by(call: Call) -> Reply:
    """GET /users/{id|self}/followed-by."""
    return _user_list(call, call.world.followed_by_with_seq(_follow_list_owner(call)))


def get_requested_by(call: Call) -> Reply:
    """GET /users/self/requested-by: every pending request, `pagination` always `{}`."""
    return Reply(call.users(call.world.requested_by(call.me)), {})


def get_relationship(call: Call) -> Reply:
    """GET /users/{id}/relationship."""
    return Reply(call.world.relationship(call.me, call.user(call.path["id"])))


def post_relationship(call: Call) -> Reply:
    """POST /users/{id}/relationship with `action`."""
    target = call.user(call.path["id"])
    action = _required(call.params, "action")
    if action not in RELATIONSHIP_ACTIONS:
        raise errors.invalid_parameters(f"Invalid action {action}; expected one of {', '.join(RELATIONSHIP_ACTIONS)}.")
    action = "ignore" if action == "deny" else action
    result = _world_write(lambda: getattr(call.world, action)(call.me, target))
    # approve / ignore answer the status of the request they answered (docs/api.md §2.2: approve →
    # follows, ignore → none), not whether the one answering follows the requester
    outgoing = ANSWERED_REQUEST_STATUS.get(action, result["outgoing_status"])
    if call.options.legacy:  # python-instagram's fixture carries both statuses
        return Reply({"outgoing_status": outgoing, "incoming_status": result["incoming_status"]})
    return Reply({"outgoing_status": outgoing})


# ----------------------------------------------------------------------------- media


def get_media(call: Call) -> Reply:
    """GET /media/{id}."""
    media_id = call.path["id"]
    call.media_owner(media_id)
    return Reply(call.media(media_id))


def get_media_by_shortcode(call: Call) -> Reply:
    """GET /media/shortcode/{shortcode}: the same Media as /media/{id}."""
    media_id = _lookup(lambda: call.world.media_id_by_shortcode(call.path["shortcode"]), "invalid media id")
    call.media_owner(media_id)
    return Reply(call.media(media_id))


def search_media(call: Call) -> Reply:
    """GET /media/search: located public media near lat/lng, each with its `distance`."""
    lat, lng = _coordinate(call.params, "lat"), _coordinate(call.params, "lng")
    if lat is None or lng is None:
        raise errors.invalid_parameters("Missing required parameters lat and lng.")
    distance = _distance(call.params, MEDIA_SEARCH_DISTANCE)
    max_ts = _timestamp(call.params, "max_timestamp")
    max_ts = call.world.now if max_ts is None else max_ts
    min_ts = _timestamp(call.params, "min_timestamp")
    min_ts = max_ts - MEDIA_SEARCH_WINDOW if min_ts is None else min_ts
    if max_ts - min_ts > MEDIA_SEARCH_MAX_WINDOW:
        raise errors.invalid_parameters("The time window may not exceed 7 days.")
    count = paging.MEDIA_COUNT.parse(call.params)
    found = call.world.search_media(lat, lng, distance, min_ts, max_ts)[:count]
    return Reply([{**call.media(mid), "distance": dist} for mid, dist in found])


def get_popular(call: Call) -> Reply:
    """GET /media/popular: the whole list unless `count` is given."""
    popular = call.world.popular()
    if call.params.get("count"):
        popular = popular[: paging.MEDIA_COUNT.parse(call.params)]
    return Reply([call.media(mid) for mid in popular])


# ----------------------------------------------------------------------------- comments


def get_comments(call: Call) -> Reply:
    """GET /media/{id}/comments: every comment, oldest first."""
    media_id = call.path["id"]
    call.media_owner(media_id)
    return Reply(call.world.media_comments(media_id))


def post_comment(call: Call) -> Reply:
    """POST /media/{id}/comments with `text`, checked against the 2016 rules."""
    media_id = call.path["id"]
    call.media_owner(media_id)
    text = _required(call.params, "text")
    _validate_comment(text)
    comment = _world_write(lambda: call.world.comment(call.me, media_id, text))
    return Reply(comment if call.options.legacy else None)  # 2016 docs: data is null


def delete_comment(call: Call) -> Reply:
    """DELETE /media/{id}/comments/{comment_id}."""
    media_id, comment_id = call.path["id"], call.path["comment_id"]
    call.media_owner(media_id)
    _lookup(lambda: call.world.comment_object(media_id, comment_id), "invalid comment id")
    _world_write(lambda: call.world.delete_comment(call.me, media_id, comment_id))
    return Reply(None)


def _validate_comment(text: str) -> None:
    """The server-side rules of the 2016 docs."""
    if len(text) > COMMENT_MAX_CHARS:
        raise errors.invalid_parameters(
            f"The total length of the comment cannot exceed {COMMENT_MAX_CHARS} characters."
        )
    if len(HASHTAG.findall(text)) > COMMENT_MAX_HASHTAGS:
        raise errors.invalid_parameters(f"The comment cannot contain more than {COMMENT_MAX_HASHTAGS} hashtags.")
    if len(URL.findall(text)) > COMMENT_MAX_URLS:
        raise errors.invalid_parameters(f"The comment cannot contain more than {COMMENT_MAX_URLS} URL.")
    if any(c.isalpha() for c in text) and text.upper() == text:
        raise errors.invalid_parameters("The comment cannot consist of all capital letters.")


# ----------------------------------------------------------------------------- likes


def get_likes(call: Call) -> Reply:
    """GET /media/{id}/likes: every liker, newest first."""
    media_id = call.path["id"]
    call.media_owner(media_id)
    return Reply(call.users(call.world.media_likers(media_id)))


def post_like(call: Call) -> Reply:
    """POST /media/{id}/likes."""
    media_id = call.path["id"]
    call.media_owner(media_id)
    call.world.like(call.me, media_id)
    return Reply(None)


def delete_like(call: Call) -> Reply:
    """DELETE /media/{id}/likes."""
    media_id = call.path["id"]
    call.media_owner(media_id)
    call.world.unlike(call.me, media_id)
    return Reply(None)


# ----------------------------------------------------------------------------- tags


def get_tag(call: Call) -> Reply:
    """GET /tags/{name}: {name, media_count, description, external_url}."""
    return Reply(_lookup(lambda: call.world.tag(call.path["name"]), "invalid tag name"))


def get_tag_media(call: Call) -> Reply:
    """Tag pagination (docs/api.md §3.2): `max_tag_id` pages to older taggings, `min_tag_id` polls
    for newer ones; the deprecated `max_id` / `min_id` are still accepted."""
    entries = _lookup(lambda: call.listings.tag(call.path["name"]), "invalid tag name")
    count = paging.MEDIA_COUNT.parse(call.params)
    below = paging.parse_cursor(call.params, "max_tag_id", "max_id")
    above = paging.parse_cursor(call.params, "min_tag_id", "min_id")
    page, more = paging.cut_page(entries, count, below=below, above=above)
    pagination: dict[str, str] = {}
    if page:
        newest = str(page[0][0])
        pagination = {"min_tag_id": newest, "next_min_id": newest, "deprecation_warning": DEPRECATION_WARNING}
    if more:
        oldest = str(page[-1][0])
        pagination = {
            "next_url": paging.next_url(call.request, {"max_tag_id": oldest}),
            "next_max_tag_id": oldest,
            "next_max_id": oldest,
            **pagination,
        }
    return Reply([call.media(mid) for _, mid in page], pagination)


def search_tags(call: Call) -> Reply:
    """GET /tags/search?q=."""
    query = _required(call.params, "q")
    count = paging.SEARCH_COUNT.parse(call.params)
    return Reply([call.world.tag(name) for name in call.world.search_tags(query)[:count]])


# ----------------------------------------------------------------------------- locations


def get_location(call: Call) -> Reply:
    """GET /locations/{id}."""
    return Reply(_lookup(lambda: call.world.location(call.path["id"]), "invalid location id"))


def get_location_media(call: Call) -> Reply:
    """GET /locations/{id}/media/recent."""
    media_ids = _lookup(lambda: call.world.location_media(call.path["id"]), "invalid location id")
    return _media_list(call, call.listings.media(media_ids))


def search_locations(call: Call) -> Reply:
    """GET /locations/search: by lat/lng (nearest first), or by a venue id (docs/api.md §2.7):
    `facebook_places_id`, or the older `foursquare_v2_id` / `foursquare_id`; a venue id makes
    lat/lng unnecessary and wins over them (the first given, in that order)."""
    venue_ids = {name: call.params.get(name) or None for name in LOCATION_VENUE_IDS}
    lat, lng = _coordinate(call.params, "lat"), _coordinate(call.params, "lng")
    if not any(venue_ids.values()) and (lat is None or lng is None):
        raise errors.invalid_parameters("Missing required parameters lat and lng, or facebook_places_id.")
    distance = _distance(call.params, LOCATION_SEARCH_DISTANCE[call.options.era])
    count = paging.SEARCH_COUNT.parse(call.params)
    found = call.world.search_locations(lat or 0.0, lng or 0.0, distance, **venue_ids)[:count]
    return Reply([call.world.location(lid) for lid in found])


def get_geography_media(call: Call) -> Reply:
    """GET /geographies/{id}/media/recent."""
    media_ids = _lookup(lambda: call.world.geography_media(call.path["id"]), "invalid geography id")
    return _media_list(call, call.listings.media(media_ids))


# ----------------------------------------------------------------------------- parameters


def _required(params: dict[str, str], name: str) -> str:
    """The parameter's value; missing, empty and whitespace-only values are refused."""
    value = params.get(name, "")
    if not value.strip():
        raise errors.invalid_parameters(f"Missing required parameter {name}.")
    return value


def _number(params: dict[str, str], name: str) -> float | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "nan" and "inf" parse as floats but are no numbers here
        raise errors.invalid_parameters(f"Invalid parameter {name}: a number is expected.")
    return value


def _coordinate(params: dict[str, str], name: str) -> float | None:
    value = _number(params, name)
    limit = 90 if name == "lat" else 180
    if value is not None and not -limit <= value <= limit:
        raise errors.invalid_parameters(f"Invalid parameter {name}: out of range.")
    return value


def _distance(params: dict[str, str], rule: SearchDistance) -> float:
    distance = _number(params, "distance")
    if distance is None:
        return rule.default
    if distance <= 0:
        raise errors.invalid_parameters("Distance must be larger than zero.")
    return min(distance, rule.maximum)


def _timestamp(params: dict[str, str], name: str) -> int | None:
    value = _number(params, name)
    return None if value is None else int(value)


def _lookup(fetch: Callable[[], Found], message: str) -> Found:
    """`fetch()`, with an unknown object (the world's KeyError) as `APINotFoundError`."""
    try:
        return fetch()
    except KeyError:
        raise errors.not_found(message) from None


def _world_write(change: Callable[[], object]) -> object:
    """Run a world write; its refusals become `APINotAllowedError` with the world's reason."""
    try:
        return change()
    except NotAllowedError as refusal:
        raise errors.ApiError(400, "APINotAllowedError", str(refusal)) from None


# ----------------------------------------------------------------------------- the table

ROUTES: tuple[Route, ...] = (
    # literal paths before the `{id}` ones they would otherwise match
    Route("GET", "/users/search", search_users, scope="public_content"),
    Route("GET", "/users/self/feed", get_feed, scope="basic", needs_user=True),
    Route("GET", "/users/self/media/liked", get_liked, scope="public_content", needs_user=True),
    Route("GET", "/users/self/requested-by", get_requested_by, scope="follower_list", needs_user=True),
    Route("GET", "/users/{id}", get_user),
    Route("GET", "/users/{id}/media/recent", get_user_media),
    Route("GET", "/users/{id}/follows", get_follows, scope="follower_list"),
    Route("GET", "/users/{id}/followed-by", get_followed_by, scope="follower_list"),
    Route("GET", "/users/{id}/relationship", get_relationship, scope="follower_list", needs_user=True),
    Route(
        "POST",
        "/users/{id}/relationship",
        post_relationship,
        scope="relationships",
        needs_user=True,
        write_family="relationships",
    ),
    Route("GET", "/media/search", search_media, scope="public_content"),
    Route("GET", "/media/popular", get_popular, scope="basic"),
    Route("GET", "/media/shortcode/{shortcode}", get_media_by_shortcode, json_suffix=False),
    Route("GET", "/media/{id}", get_media),
    Route("GET", "/media/{id}/comments", get_comments),
    Route("POST", "/media/{id}/comments", post_comment, scope="comments", needs_user=True, write_family="comments"),
    Route(
        "DELETE",
        "/media/{id}/comments/{comment_id}",
        delete_comment,
        scope="comments",
        needs_user=True,
        write_family="comments",
    ),
    Route("GET", "/media/{id}/likes", get_likes),
    Route("POST", "/media/{id}/likes", post_like, scope="likes", needs_user=True, write_family="likes"),
    Route("DELETE", "/media/{id}/likes", delete_like, scope="likes", needs_user=True, write_family="likes"),
    Route("GET", "/tags/search", search_tags, scope="public_content"),
    Route("GET", "/tags/{name}", get_tag, scope="public_content"),
    Route("GET", "/tags/{name}/media/recent", get_tag_media, scope="public_content"),
    Route("GET", "/locations/search", search_locations, scope="public_content"),
    Route("GET", "/locations/{id}", get_location, scope="public_content"),
    Route("GET", "/locations/{id}/media/recent", get_location_media, scope="public_content"),
    Route("GET", "/geographies/{id}/media/recent", get_geography_media, scope="basic"),
)


class Router:
    """Finds the route of a request path (`/v1/...`, with or without `.json` and a trailing
    slash)."""

    def __init__(self, routes: tuple[Route, ...] = ROUTES):
        self._routes = [(route, route.pattern) for route in routes]

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and its path parameters (URL-decoded), or None (an HTML 404)."""
        if not raw_path.startswith("/v1/"):
            return None
        path = raw_path[3:].rstrip("/") if len(raw_path) > 4 else raw_path[3:]
        has_suffix = path.endswith(".json")
        if has_suffix:
            path = path[: -len(".json")]
        for route, pattern in self._routes:
            if route.method != method:
                continue
            found = pattern.fullmatch(path)
            if found:
                if has_suffix and not route.json_suffix:
                    return None
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None
