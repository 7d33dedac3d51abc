"""The Graph API's endpoints: node reads, edges, insights, hashtag search, writes and tokens
(instagram-graph/API.md §2, §6). Each handler takes the request's `Ctx` and returns the JSON
body, or raises `errors.GraphError`. They run under the application's world lock.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..generate import DAY, MEDIA_CAROUSEL, MEDIA_IMAGE, MEDIA_VIDEO
from . import errors, insights
from .fields import Field, FieldSyntaxError, parse_fields
from .model import KIND_BY_NAME, PUBLISH_LIMIT, PUBLISH_WINDOW, STORY_LIFETIME, Container, GraphModel, node_id, unit
from .nodes import EXPANSIONS, NODE_TYPES, Ctx, Listing, iso, page, render
from .tokens import REFRESH_AFTER, Token

RECENT_WINDOW = DAY  # recent_media: the last 24 h (§2)
RECENT_MAX = 50
TOP_SIZE = 50


# ---------------------------------------------------------------------- parameters


def selection(ctx: Ctx) -> tuple[Field, ...] | None:
    """The request's `fields`, parsed (a JSON list, as some SDKs send, is accepted too)."""
    text = ctx.params.get("fields")
    if not text:
        return None
    if text.startswith("["):
        try:
            text = ",".join(json.loads(text))
        except (ValueError, TypeError):
            raise errors.bad_parameter("fields must be a comma-separated list") from None
    try:
        return parse_fields(text)
    except FieldSyntaxError as error:
        raise errors.bad_parameter(str(error)) from None


def list_param(ctx: Ctx, name: str) -> list[str]:
    text = ctx.params.get(name, "")
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            raise errors.bad_parameter(f"{name} must be a comma-separated list") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def time_param(ctx: Ctx, name: str) -> int | None:
    """A unix time (`since`, `until`); ISO dates (YYYY-MM-DD) are accepted too."""
    text = ctx.params.get(name)
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return int(time.mktime(time.strptime(text[:10], "%Y-%m-%d"))) - time.timezone
    except ValueError:
        raise errors.bad_parameter(f"Param {name} must be a unix time or a date") from None


# ---------------------------------------------------------------------- access


def readable(ctx: Ctx, kind: str, n: int) -> bool:
    """Whether the token may read node (kind, n) directly: its own account and what hangs
    under it; Pages, the Facebook user and hashtags with Facebook Login only."""
    model, viewer = ctx.model, ctx.viewer
    world = model.world
    facebook = ctx.token is not None and not ctx.token.instagram_login
    if kind == "user":
        return n == viewer
    if kind == "media":
        return n < world.media_count_total() and model.media(n)[0] == viewer
    if kind == "child":
        index = n // 8
        return (
            index < world.media_count_total()
            and model.media(index)[0] == viewer
            and model.media(index)[2] == MEDIA_CAROUSEL
            and n % 8 < model.media(index)[3]
        )
    if kind == "story":
        story = model.story(n)
        return story is not None and story[0] == viewer and world.now - STORY_LIFETIME < story[1] <= world.now
    if kind == "comment":
        return world.comment_live(n) and model.media(world.comment_facts(n)[0])[0] == viewer
    if kind in ("page", "fb_user"):
        return facebook and (n // 2 if kind == "page" else n) == viewer
    if kind == "hashtag":
        return facebook and n < len(world.tag_names())
    if kind == "container":
        return n < len(model.overlays.containers) and model.overlays.containers[n].owner == viewer
    return False


def resolve(ctx: Ctx, node: str) -> tuple[str, int]:
    """(kind, number) of a path's node (`me` included), if the token may read it."""
    if node == "me":
        token = ctx.token
        assert token is not None
        if token.instagram_login:
            return "user", token.user
        return ("page", 2 * token.user) if token.kind == "pg" else ("fb_user", token.user)
    resolved = GraphModel.resolve(node)
    if resolved is None or not readable(ctx, *resolved):
        raise errors.no_such_object(node)
    return resolved


# ---------------------------------------------------------------------- reads


def get_node(ctx: Ctx, kind: str, n: int) -> dict:
    return render(ctx, kind, n, selection(ctx))


def get_edge(ctx: Ctx, kind: str, n: int, edge: str) -> dict:
    special = SPECIAL_EDGES.get((kind, edge))
    if special is not None:
        return special(ctx, kind, n)
    maker = NODE_TYPES[kind].edges.get(edge)
    if maker is None:
        raise errors.unknown_path(edge)
    ctx.extra["since"], ctx.extra["until"] = time_param(ctx, "since"), time_param(ctx, "until")
    return page(ctx, maker(ctx, n), selection(ctx), ctx.params, f"{node_id(kind, n)}/{edge}")


def hashtag_search(ctx: Ctx) -> dict:
    """`GET /ig_hashtag_search?user_id=&q=`: the hashtag's id; the 31st unique hashtag of an
    account in a rolling 7 days fails with code 24 / 2207024 (§2)."""
    user = _hashtag_user(ctx)
    name = ctx.params.get("q", "").strip().lstrip("#").lower()
    if not name:
        raise errors.bad_parameter("The parameter q is required")
    t = ctx.model.world.tag_index(name)
    if t is None:
        return {"data": []}
    if not ctx.model.query_hashtag(user, t):
        raise errors.hashtag_limit()
    return {"data": [{"id": node_id("hashtag", t)}]}


def _hashtag_user(ctx: Ctx) -> int:
    if ctx.token is None or ctx.token.instagram_login:
        raise errors.permission("(#10) Hashtag search needs Instagram API with Facebook Login")
    user_id = ctx.params.get("user_id")
    if not user_id:
        raise errors.bad_parameter("The parameter user_id is required")
    resolved = GraphModel.resolve(user_id)
    if resolved != ("user", ctx.viewer):
        raise errors.no_such_object(user_id)
    return ctx.viewer


def _hashtag_media(ctx: Ctx, kind: str, t: int, top: bool) -> dict:
    """`recent_media` (the last 24 h, newest first) and `top_media` (most liked first): at
    most 50 a page, an `after` cursor only, public fields only (no owner, no username, §2)."""
    _hashtag_user(ctx)
    selected = selection(ctx)
    for chosen in selected or ():
        if chosen.name in ("owner", "username", "insights"):
            raise errors.nonexisting_field(chosen.name, "IGMedia (hashtag)")
    media = ctx.model.hashtag_media(t)
    if top:
        seed = ctx.model.seed
        ranked = sorted(media, key=lambda m: (-insights.graph_likes(seed, m, ctx.model.media(m)[6]), -m))[:TOP_SIZE]
        # ranked, not in time order: the cursors are positions in the ranking
        listing = Listing(
            "media", list(range(len(ranked))), False, RECENT_MAX, cursors="after", item=ranked.__getitem__
        )
    else:
        cutoff = ctx.model.world.now - RECENT_WINDOW
        listing = Listing(
            "media", [m for m in media if ctx.model.media(m)[1] > cutoff], max_limit=RECENT_MAX, cursors="after"
        )
    inner = Ctx(**{**ctx.__dict__, "discovery": True})
    edge = "top_media" if top else "recent_media"
    return page(inner, listing, selected, ctx.params, f"{node_id(kind, t)}/{edge}")


def media_insights(ctx: Ctx, kind: str, n: int) -> dict:
    """`/{media-id}/insights?metric=…` (§2): the type's metric set, retirements by version,
    code 10 below MIN_VIEWERS, an empty list where the values are not there (yet, or any more)."""
    model, world = ctx.model, ctx.model.world
    if kind == "child":
        raise errors.bad_parameter("Insights are not available for album children")
    if kind == "story":
        owner, posted, _ = model.story(n) or (0, 0, 0)
        product, likes, comments = "STORY", 0, 0
    else:
        owner, posted, media_kind, _, _, _, world_likes, comments = model.media(n)
        product = model.product_type(n, media_kind)
        likes = insights.graph_likes(model.seed, n, world_likes)
    metrics = list_param(ctx, "metric")
    if not metrics:
        raise errors.bad_parameter("The parameter metric is required")
    for metric in metrics:
        if metric in insights.RETIRED and ctx.major >= insights.RETIRED_IN:
            raise errors.bad_parameter(
                f"Starting from version v{insights.RETIRED_IN}.0 and above, the {metric} metric is no longer "
                "supported. Please use views instead."
            )
    allowed = set(insights.METRICS[product]) | {m for m, types in insights.RETIRED.items() if product in types}
    for metric in metrics:
        if metric not in allowed:
            raise errors.bad_parameter(f"The metric {metric} is not supported for this media type")
    seen_at = world.now - insights.INSIGHT_LAG
    if seen_at <= posted or world.now - posted > insights.KEPT_FOR:
        return {"data": []}
    followers = model.user(owner)["followers_count"]
    key = n if kind == "media" else -n
    values = insights.media_values(model.seed, key, product, followers, likes, comments, seen_at - posted)
    if values["reach"] < insights.MIN_VIEWERS:
        raise errors.not_enough_viewers()
    breakdown = ctx.params.get("breakdown")
    data = []
    for metric in metrics:
        item: dict[str, Any] = {
            "name": metric,
            "period": "lifetime",
            "values": [{"value": values[metric]}],
            "title": insights.TITLES[metric],
            "description": f"{insights.TITLES[metric]} of this media.",
            "id": f"{node_id(kind, n)}/insights/{metric}/lifetime",
        }
        dimension = insights.BREAKDOWNS.get(metric)
        if breakdown and dimension and dimension[0] == breakdown:
            parts = insights.split(model.seed, metric, key, values[metric], dimension[1])
            item["total_value"] = {
                "value": values[metric],
                "breakdowns": [
                    {
                        "dimension_keys": [breakdown],
                        "results": [{"dimension_values": [name], "value": v} for name, v in parts],
                    }
                ],
            }
        data.append(item)
    return {"data": data}


# Account insights (§2): which metrics, with which periods and metric types.
DAILY = ("reach", "views", "follower_count")
TOTAL_ONLY = (
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "profile_links_taps",
    "follows_and_unfollows",
)
DEMOGRAPHICS = ("follower_demographics", "engaged_audience_demographics")
RATES = {  # per account reached, a day (see insights' module doc)
    "accounts_engaged": 0.05,
    "likes": 0.035,
    "comments": 0.003,
    "shares": 0.006,
    "saves": 0.01,
    "replies": 0.002,
    "profile_links_taps": 0.003,
}
DEMOGRAPHIC_VALUES = {
    "age": ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("F", "M", "U"),
    "country": ("US", "BR", "IN", "DE", "GB", "FR", "IT", "ES"),
    "city": ("London, England", "São Paulo, São Paulo", "Berlin, Berlin", "New York, New York", "Paris, Île-de-France"),
}
MIN_FOLLOWERS = 100
WINDOW_DAYS = 30


def _day_reach(ctx: Ctx, i: int, day: int) -> int:
    """Accounts reached on `day`: what the account's media and stories gained that day."""
    model, start, end = ctx.model, day * DAY, (day + 1) * DAY
    followers = model.user(i)["followers_count"]
    total = followers * 0.02 * insights.lognormal(model.seed, "day reach", i * 100_000 + day, 0.3)
    for index in model.media_of(i):
        posted = model.media(index)[1]
        if posted >= end:
            continue
        if start - posted > 30 * DAY:
            break  # older media add next to nothing; the list is newest first
        product = model.product_type(index, model.media(index)[2])
        gained = [
            insights.media_values(model.seed, index, product, followers, 0, 0, t - posted)["reach"]
            for t in (max(start, posted), end)
        ]
        total += 0.7 * (gained[1] - gained[0])
    total += followers * 0.08 * len(model.stories_on(i, day))
    return int(total)


def _day_follows(ctx: Ctx, i: int, day: int) -> int:
    recorded = ctx.model.overlays.follower_days.get(i, {})
    if day in recorded:
        return recorded[day]
    followers = ctx.model.user(i)["followers_count"]
    draw = insights.lognormal(ctx.model.seed, "day follows", i * 100_000 + day, 0.6)
    return int(followers * 0.004 * draw + unit(ctx.model.seed, "day follows", i, day))


def _end_time(day: int) -> str:
    return iso((day + 1) * DAY + 7 * 3600)  # Pacific midnight, as the real end_time values


def user_insights(ctx: Ctx, kind: str, i: int) -> dict:
    """`/{ig-user-id}/insights` (§2)."""
    model, world = ctx.model, ctx.model.world
    metrics = list_param(ctx, "metric")
    period = ctx.params.get("period")
    metric_type = ctx.params.get("metric_type", "time_series")
    if not metrics:
        raise errors.bad_parameter("The parameter metric is required")
    if period not in ("day", "week", "days_28", "lifetime"):
        raise errors.bad_parameter("period must be one of the following values: day, week, days_28, lifetime")
    now_day = (world.now - insights.INSIGHT_LAG) // DAY
    since, until = time_param(ctx, "since"), time_param(ctx, "until")
    last = now_day if until is None else min(now_day, until // DAY - 1)
    first = last - 1 if since is None else since // DAY
    if last - first + 1 > WINDOW_DAYS:
        raise errors.bad_parameter("The since and until dates must be at most 30 days apart", subcode=2108006)
    if first < now_day - WINDOW_DAYS:
        raise errors.bad_parameter("Insights are available for the last 30 days only", subcode=2108006)
    followers = model.user(i)["followers_count"]
    breakdown = ctx.params.get("breakdown")
    data = []
    for metric in metrics:
        known = metric in DAILY or metric in TOTAL_ONLY or metric in DEMOGRAPHICS or metric == "online_followers"
        if not known:
            raise errors.bad_parameter(
                f"metric[0] must be one of the following values: {', '.join(DAILY + TOTAL_ONLY)}"
            )
        if metric in ("follower_count", "online_followers", *DEMOGRAPHICS) and followers < MIN_FOLLOWERS:
            continue  # not available below 100 followers: left out of the answer
        item = {
            "name": metric,
            "period": period,
            "title": metric.replace("_", " ").capitalize(),
            "description": f"{metric.replace('_', ' ').capitalize()} of the account.",
            "id": f"{GraphModel.user_id(i)}/insights/{metric}/{period}",
        }
        if metric in DEMOGRAPHICS:
            if not breakdown or breakdown not in DEMOGRAPHIC_VALUES:
                raise errors.bad_parameter(f"{metric} needs breakdown age, gender, city or country")
            base = followers if metric == "follower_demographics" else int(followers * 0.3)
            parts = insights.split(model.seed, metric + breakdown, i, base, DEMOGRAPHIC_VALUES[breakdown])
            item["total_value"] = _breakdown_value(base, breakdown, parts)
        elif metric == "online_followers":
            item["values"] = [
                {
                    "value": dict(
                        insights.split(model.seed, "online", i * 1000 + d, followers, tuple(map(str, range(24))))
                    ),
                    "end_time": _end_time(d),
                }
                for d in range(first, last + 1)
            ]
        else:
            per_day = {d: _daily(ctx, i, metric, d) for d in range(first, last + 1)}
            if metric_type == "total_value":
                total = sum(per_day.values())
                value: dict[str, Any] = {"value": total}
                if breakdown == "media_product_type":
                    parts = insights.split(model.seed, metric + breakdown, i, total, ("POST", "REEL", "STORY", "AD"))
                    value = _breakdown_value(total, breakdown, parts)
                item["total_value"] = value
            elif metric in TOTAL_ONLY:
                continue  # these have no time series: the answer leaves them out (§2)
            else:
                item["values"] = [{"value": v, "end_time": _end_time(d)} for d, v in per_day.items()]
        data.append(item)
    return {"data": data}


def _daily(ctx: Ctx, i: int, metric: str, day: int) -> int:
    if metric == "follower_count" or metric == "follows_and_unfollows":
        return _day_follows(ctx, i, day)
    reach = _day_reach(ctx, i, day)
    if metric == "reach":
        return reach
    if metric == "views":
        return int(reach * 1.6)
    if metric == "total_interactions":
        return sum(int(reach * RATES[m]) for m in ("likes", "comments", "shares", "saves", "replies"))
    return int(reach * RATES[metric])


def _breakdown_value(total: int, dimension: str, parts: list[tuple[str, int]]) -> dict:
    return {
        "value": total,
        "breakdowns": [
            {"dimension_keys": [dimension], "results": [{"dimension_values": [k], "value": v} for k, v in parts]}
        ],
    }


def publishing_limit(ctx: Ctx, kind: str, i: int) -> dict:
    return {
        "data": [
            {
                "quota_usage": ctx.model.publishes_in_window(i),
                "config": {"quota_total": PUBLISH_LIMIT, "quota_duration": PUBLISH_WINDOW},
            }
        ]
    }


def insights_field(ctx: Ctx, kind: str, n: int, selected: Field) -> dict:
    """`fields=insights.metric(reach,likes)`: the insights edge as a field (its modifiers are
    the edge's parameters; a retired or unsupported metric fails the whole request as there)."""
    params = {name: selected.modifiers[name] for name in ("metric", "breakdown") if name in selected.modifiers}
    inner = Ctx(**{**ctx.__dict__, "params": params})
    return media_insights(inner, kind, n)


for _kind in ("media", "story"):
    EXPANSIONS[(_kind, "insights")] = insights_field

SPECIAL_EDGES = {
    ("media", "insights"): media_insights,
    ("story", "insights"): media_insights,
    ("child", "insights"): media_insights,
    ("user", "insights"): user_insights,
    ("user", "content_publishing_limit"): publishing_limit,
    ("hashtag", "recent_media"): lambda ctx, kind, t: _hashtag_media(ctx, kind, t, top=False),
    ("hashtag", "top_media"): lambda ctx, kind, t: _hashtag_media(ctx, kind, t, top=True),
}

# ---------------------------------------------------------------------- writes


def _text(ctx: Ctx) -> str:
    text = ctx.params.get("message", "").strip()
    if not text:
        raise errors.bad_parameter("The parameter message is required")
    return text


def post_edge(ctx: Ctx, kind: str, n: int, edge: str) -> dict:
    model, world = ctx.model, ctx.model.world
    owner_uid = model.user(ctx.viewer)["id"]
    if (kind, edge) == ("media", "comments"):
        comment = world.comment(owner_uid, world.media_id_at(n), _text(ctx))
        model.changed()
        return {"id": comment["id"]}
    if (kind, edge) == ("comment", "replies"):
        if model.parent_of(n) is not None:
            raise errors.bad_parameter("Replies go one level deep: reply to the top-level comment")
        media = world.comment_facts(n)[0]
        comment = world.comment(owner_uid, world.media_id_at(media), _text(ctx))
        model.overlays.reply_parent[int(comment["id"]) - int(GraphModel.comment_id(0))] = n
        model.changed()
        return {"id": comment["id"]}
    if (kind, edge) == ("user", "media"):
        return create_container(ctx, n)
    if (kind, edge) == ("user", "media_publish"):
        return publish(ctx, n)
    raise errors.unknown_path(edge)


def create_container(ctx: Ctx, i: int) -> dict:
    params = ctx.params
    media_type = params.get("media_type", "IMAGE" if params.get("image_url") else "")
    if media_type == "STORIES":
        media_type = "IMAGE" if params.get("image_url") else "VIDEO"
    if media_type not in KIND_BY_NAME:
        raise errors.bad_parameter("media_type must be IMAGE (with image_url), VIDEO, REELS, CAROUSEL or STORIES")
    if media_type in ("IMAGE",) and not params.get("image_url"):
        raise errors.bad_parameter("The parameter image_url is required")
    if media_type in ("VIDEO", "REELS") and not params.get("video_url"):
        raise errors.bad_parameter("The parameter video_url is required")
    containers = ctx.model.overlays.containers
    containers.append(Container(i, KIND_BY_NAME[media_type], params.get("caption"), ctx.model.world.now))
    return {"id": node_id("container", len(containers) - 1)}


def publish(ctx: Ctx, i: int) -> dict:
    model = ctx.model
    creation = GraphModel.resolve(ctx.params.get("creation_id", ""))
    if creation is None or creation[0] != "container" or not readable(ctx, *creation):
        raise errors.bad_parameter("The parameter creation_id is required and must be a container of this account")
    container = model.overlays.containers[creation[1]]
    if container.published is not None:
        raise errors.bad_parameter("This container has been published already", subcode=2207008)
    if model.publishes_in_window(i) >= PUBLISH_LIMIT:
        raise errors.publishing_limit()
    kind = container.kind if container.kind in (MEDIA_IMAGE, MEDIA_VIDEO, MEDIA_CAROUSEL) else MEDIA_IMAGE
    mid = model.world.publish(model.user(i)["id"], kind)
    index = model.world.media_index(mid)
    if container.caption is not None:
        model.overlays.captions[index] = container.caption
    model.overlays.published.setdefault(i, []).append(model.world.now)
    container.published = GraphModel.media_id(index)
    model.changed()
    return {"id": container.published}


def update_node(ctx: Ctx, kind: str, n: int) -> dict:
    """`POST /{comment-id}?hide=true|false`."""
    if kind != "comment" or "hide" not in ctx.params:
        raise errors.bad_parameter("Only comments can be updated (hide=true|false)")
    hidden = ctx.params["hide"].lower() == "true"
    (ctx.model.overlays.hidden.add if hidden else ctx.model.overlays.hidden.discard)(n)
    ctx.model.changed()
    return {"success": True}


def delete_node(ctx: Ctx, kind: str, n: int) -> dict:
    """`DELETE /{comment-id}`: the account deletes a comment on its media."""
    if kind != "comment":
        raise errors.bad_parameter("Only comments can be deleted")
    world = ctx.model.world
    media = world.comment_facts(n)[0]
    world.delete_comment(ctx.model.user(ctx.viewer)["id"], world.media_id_at(media), GraphModel.comment_id(n))
    ctx.model.changed()
    return {"success": True}


# ---------------------------------------------------------------------- tokens


def token_answer(text: str, token: Token, now: int) -> dict:
    answer: dict[str, Any] = {"access_token": text, "token_type": "bearer"}
    if token.expires_at:
        answer["expires_in"] = token.expires_at - now
    return answer


def exchange(ctx: Ctx, path: str, client_secret: str | None) -> dict:
    """The token endpoints of §6: `/oauth/access_token`, `/access_token`, `/refresh_access_token`."""
    model, now, params = ctx.model, ctx.model.world.now, ctx.params
    grant = params.get("grant_type")
    wanted = {
        "oauth/access_token": ("fb_exchange_token", "fb_exchange_token", ("fs", "fl"), "fl"),
        "access_token": ("ig_exchange_token", "access_token", ("is",), "il"),
        "refresh_access_token": ("ig_refresh_token", "access_token", ("il",), "il"),
    }[path]
    if grant != wanted[0]:
        raise errors.bad_parameter(f"grant_type must be {wanted[0]}")
    if path != "refresh_access_token" and client_secret is not None and params.get("client_secret") != client_secret:
        raise errors.GraphError(101, "Error validating client secret.")
    text = params.get(wanted[1], "")
    token = model.tokens.read(text)
    if token is None or token.kind not in wanted[2]:
        raise errors.invalid_token()
    if token.expired(now):
        raise errors.expired_token(iso(token.expires_at), iso(now))
    if path == "refresh_access_token" and now - token.issued_at < REFRESH_AFTER:
        raise errors.GraphError(
            190,
            "Error validating access token: the token can be refreshed once it is at least 24 hours old.",
            subcode=467,
        )
    return token_answer(model.tokens.make(wanted[3], token.user, now), Token(wanted[3], token.user, now), now)


def debug_token(ctx: Ctx) -> dict:
    """`GET /debug_token?input_token=…` (§6)."""
    model, now = ctx.model, ctx.model.world.now
    text = ctx.params.get("input_token", "")
    token = model.tokens.read(text)
    if token is None:
        raise errors.bad_parameter("Invalid OAuth access token.")
    data: dict[str, Any] = {
        "app_id": "1000000000000001",
        "type": "PAGE" if token.kind == "pg" else "USER",
        "application": "Instagram emulator",
        "data_access_expires_at": token.issued_at + 90 * DAY,
        "expires_at": token.expires_at,
        "is_valid": not token.expired(now),
        "issued_at": token.issued_at,
        "scopes": list(token.scopes),
        "user_id": GraphModel.user_id(token.user) if token.instagram_login else node_id("fb_user", token.user),
    }
    if token.kind == "pg":
        data["profile_id"] = node_id("page", 2 * token.user)
    if token.expired(now):
        data["error"] = {"code": 190, "message": f"Session has expired on {iso(token.expires_at)}.", "subcode": 463}
    return {"data": data}
