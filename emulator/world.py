"""The emulator's synthetic social world: the single source of truth the server answers from.

`World(WorldConfig(seed=..., users=...))` builds a deterministic world (see
`emulator.generate`) and keeps it as numpy columns plus small change overlays, so that a
100,000-user world builds in seconds and every read is cheap. The clock (`world.now`) starts
at `config.start` and only moves with `advance()`.

The public contract is listed in docs/architecture.md ("The emulator's world"). Helpers the
server may use on top of it (allowed additions to the contract):

- `follows_with_seq(uid)`, `followed_by_with_seq(uid)`, `requested_by_with_seq(uid)`:
  `(seq, user_id)` pairs, newest first. `seq` is an int that only grows as edges are created,
  so a cursor "items with seq < the last one seen" stays stable while the world changes.
- `has_liked(uid, mid)`, `media_owner_id(mid)`, `comment_object(mid, cid)`,
  `location_facebook_places_id(lid)`, `location_foursquare_v2_id(lid)`,
  `location_foursquare_id(lid)` (the venue ids `search_locations` can look up by).
- `media_likers_with_seq(mid)`, `liked_media_with_seq(uid)`: the same, for likes.

Writes: `follow`, `unfollow`, `approve`, `ignore`, `block`, `unblock` return the
relationship afterwards (`relationship(viewer, target)`: following a private user gives
outgoing_status "requested", a public one "follows"); `like`/`unlike`/`delete_comment` return
None; `comment` returns the new Comment object.

Errors: `KeyError` for an unknown user, media, comment, tag, location or geography;
`NotAllowedError` (a `WorldError`) for a write the world refuses; `ValueError` for bad
arguments (an empty comment, unknown scopes, a negative advance).

Private accounts: their media stay out of the public discovery lists (tag_media, tag
media_count, location_media, geography_media, search_media, popular); everything else is
the world's truth whatever the viewer, and the server decides what a viewer may see.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .generate import (
    BIOS,
    CAPTIONS,
    COMMENTS,
    DAY,
    FILTERS,
    MEDIA_CAROUSEL,
    MEDIA_IMAGE,
    MEDIA_TYPES,
    MEDIA_VIDEO,
    WorldConfig,
    csr,
    generate,
    zipf_weights,
)
from .shapes import CDN, SHORTCODE_ALPHABET, image_versions, video_versions
from .shapes import shortcode as shortcode_of
from .store import Column, Groups, Relation, Side, index_of

__all__ = ["ALL_SCOPES", "NotAllowedError", "World", "WorldConfig", "WorldError"]

ALL_SCOPES = ("basic", "public_content", "follower_list", "comments", "relationships", "likes")

# Media ids are "{n}_{owner id}" with n = (milliseconds since Instagram's epoch << 23) | index,
# like the real ones: sortable by time, and the low bits give the media back without a lookup.
INSTAGRAM_EPOCH_MS = 1314220021721
MEDIA_INDEX_BITS = 23
MEDIA_INDEX_MASK = (1 << MEDIA_INDEX_BITS) - 1
COMMENT_ID_BASE = 17_841_000_000_000_000
CAPTION_ID_BASE = 17_900_000_000_000_000
TAG_SEQUENCE_BASE = 1_000_000_000_000
EARTH_RADIUS_M = 6_371_008.8
POPULAR_WINDOW = 7 * DAY
POPULAR_SIZE = 32
CACHE_SIZE = 4096  # cached lists (per user, media, tag, place), least recently used dropped


class WorldError(Exception):
    """Base class of the world's refusals."""


class NotAllowedError(WorldError):
    """A write the world refuses: following oneself or a user who blocked you, approving a
    request that does not exist, deleting someone else's comment on someone else's media."""


def _haversine_m(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    phi1, phi2 = np.radians(lat), np.radians(lats)
    dphi, dlmb = phi2 - phi1, np.radians(lngs - lng)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _locked(method: Callable) -> Callable:
    @functools.wraps(method)
    def locked(self: World, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


def _thread_safe(cls: type) -> type:
    """Run every public method under the instance's lock, so that the server's threads and a
    caller of `advance()` never see a half-applied change."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, _locked(member))
    return cls


@_thread_safe
class World:
    """A seeded, evolving social world (users, follows, media, tags, places, likes, comments).

    Lists returned are cached and shared until the world changes: read them, do not modify.
    """

    def __init__(self, config: WorldConfig | None = None):
        self._lock = threading.RLock()
        self.config = config or WorldConfig()
        snap = generate(self.config)
        self._snap = snap
        self.now: int = self.config.start
        self._advances = 0
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._tag_weights = zipf_weights(self.config.tags)

        # users
        self._user_count = len(snap.user_id)
        self._user_ids: tuple[str, ...] = tuple(str(v) for v in snap.user_id.tolist())
        self._user_index = {uid: i for i, uid in enumerate(self._user_ids)}
        self._private = snap.is_private
        self._search_keys = [f"{name}\n{full.lower()}" for name, full in zip(snap.username, snap.full_name)]
        self._secret = hashlib.sha256(f"instagram-emulator:{self.config.seed}".encode()).digest()

        # relationships
        n = self._user_count
        self._follows = Relation(snap.follow_src, snap.follow_dst, n, n)
        self._requests = Relation(snap.request_src, snap.request_dst, n, n)
        self._blocks: set[tuple[int, int]] = set()
        self._community_ptr, self._community_members = csr(snap.community, self.config.communities)
        self._community_cumulative = np.cumsum(snap.popularity[self._community_members])
        self._popularity_cumulative = np.cumsum(snap.popularity)

        # places and tags
        self._location_ids = tuple(str(v) for v in snap.location_id.tolist())
        self._location_index = {lid: i for i, lid in enumerate(self._location_ids)}
        self._places_index = {str(v): i for i, v in enumerate(snap.location_places_id.tolist())}
        self._venue_index = {
            "foursquare_v2_id": {v: i for i, v in enumerate(snap.location_foursquare_v2_id)},
            "foursquare_id": {str(v): i for i, v in enumerate(snap.location_foursquare_id.tolist())},
        }
        self._geography_ids = tuple(str(v) for v in snap.geography_id.tolist())
        self._geography_index = {gid: i for i, gid in enumerate(self._geography_ids)}
        self._tag_index = {name: i for i, name in enumerate(snap.tag_name)}

        # media (index order is time order, for the initial media and every later one)
        media_count = len(snap.media_owner)
        if media_count > MEDIA_INDEX_MASK:
            raise ValueError(
                f"{media_count} media exceed the {MEDIA_INDEX_MASK} that media ids can address; "
                "lower WorldConfig.users or media_per_user"
            )
        self._media_owner = Column(snap.media_owner)
        self._media_time = Column(snap.media_time)
        self._media_type = Column(snap.media_type)
        self._media_filter = Column(snap.media_filter)
        self._media_location = Column(snap.media_location)
        self._media_caption = Column(snap.media_caption)
        self._media_carousel_size = Column(snap.media_carousel_size)
        self._media_tag_start = Column(np.concatenate([[0], np.cumsum(snap.media_tag_count)]))
        self._tag_flat = Column(snap.tag_flat)
        self._tagging_media = Column(np.repeat(np.arange(media_count), snap.media_tag_count))
        self._media_photo_start = Column(np.concatenate([[0], np.cumsum(snap.media_photo_user_count)]))
        self._photo_user = Column(snap.photo_user_flat)
        self._photo_x = Column(snap.photo_x_flat)
        self._photo_y = Column(snap.photo_y_flat)
        self._media_by_owner = Groups(snap.media_owner, n)
        # Public discovery lists (tags, places, search, popular) leave private accounts out.
        public_media = ~snap.is_private[snap.media_owner]
        located = np.flatnonzero(public_media & (snap.media_location >= 0))
        self._media_by_location = Groups(snap.media_location[located], len(self._location_ids), located)
        self._media_by_geography = Groups(
            snap.location_geography[snap.media_location[located]], len(self._geography_ids), located
        )
        public_taggings = np.flatnonzero(np.repeat(public_media, snap.media_tag_count))
        self._taggings_by_tag = Groups(snap.tag_flat[public_taggings], len(self._tag_index), public_taggings)

        # engagement
        self._likes = Relation(snap.like_user, snap.like_media, n, media_count)
        self._comment_media = Column(snap.comment_media)
        self._comment_user = Column(snap.comment_user)
        self._comment_time = Column(snap.comment_time)
        self._comment_text = Column(snap.comment_text)
        self._comment_custom_text: dict[int, str] = {}
        self._comments_by_media = Groups(snap.comment_media, media_count)
        self._deleted_comments: set[int] = set()
        self._deleted_per_media: dict[int, int] = {}

        self.default_user_id: str = self._pick_default_user()

    # ----------------------------------------------------------------- internals

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The cached answer for `key` (the same object until a change forgets it), computed
        on a miss. Least recently used answers are dropped beyond CACHE_SIZE."""
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = compute()
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return value

    def _forget(self, *keys: tuple) -> None:
        for key in keys:
            self._cache.pop(key, None)

    def _relationships_changed(self, a: int, b: int) -> None:
        """Forget answers that a change of follows or requests between a and b can alter."""
        for x, y in ((a, b), (b, a)):
            self._forget(("follows", x), ("followed_by", y), ("requested_by", y), ("feed", x))
        self._forget(("follow_edges",))

    def _likes_changed(self, user: int, index: int) -> None:
        self._forget(("likers", index), ("liked", user), ("popular",))

    def _u(self, uid: str) -> int:
        return index_of(self._user_index, uid, "user id")

    def _m(self, mid: str) -> int:
        """Media index of a media id; KeyError unless the id is exactly one this world made."""
        try:
            n = int(str(mid).split("_", 1)[0])
        except ValueError:
            raise KeyError(f"unknown media id {mid!r}") from None
        index = n & MEDIA_INDEX_MASK
        if index >= len(self._media_owner) or self._media_id(index) != mid:
            raise KeyError(f"unknown media id {mid!r}")
        return index

    def _media_numbers(self, indices: np.ndarray) -> np.ndarray:
        """The numeric part of media ids (the time in ms, made unique by the index)."""
        ms = self._media_time.values[indices] * 1000 + indices % 1000
        return ((ms - INSTAGRAM_EPOCH_MS) << MEDIA_INDEX_BITS) | indices

    def _media_n(self, index: int) -> int:
        return int(self._media_numbers(np.array([index], dtype=np.int64))[0])

    def _media_ids(self, indices: np.ndarray | list[int]) -> list[str]:
        indices = np.asarray(indices, dtype=np.int64)
        numbers = self._media_numbers(indices).tolist()
        owners = self._media_owner.values[indices].tolist()
        ids = self._user_ids
        return [f"{n}_{ids[o]}" for n, o in zip(numbers, owners)]

    def _media_id(self, index: int) -> str:
        return self._media_ids([index])[0]

    def _pick_default_user(self) -> str:
        """The public user with media best connected both ways (ties: the oldest account);
        in a world without such a user, the first account."""
        follows = self._follows.forward.counts.values
        followers = self._follows.backward.counts.values
        media = self._media_by_owner.counts(self._user_count)
        score = np.minimum(follows, followers).astype(np.float64)
        score[self._private | (media == 0)] = -1
        return self._user_ids[int(np.argmax(score))]

    def _newest_media(self, kind: str, groups: Groups, key: int) -> list[str]:
        """The media ids of a group, newest first (cached)."""
        return self._cached((kind, key), lambda: self._media_ids(groups.items(key)[::-1]))

    def _user_listing(self, side: Side, key: int) -> tuple[tuple[int, str], ...]:
        seqs, others = side.listing(key)
        ids = self._user_ids
        return tuple(zip(seqs.tolist(), (ids[o] for o in others.tolist())))

    # ----------------------------------------------------------------- users

    def user_ids(self) -> tuple[str, ...]:
        """Every user id, oldest account first."""
        return self._user_ids

    def user_short(self, uid: str) -> dict:
        """Short User object: id, username, full_name, profile_picture."""
        i = self._u(uid)
        digest = hashlib.blake2b(f"{self.config.seed}:{uid}".encode(), digest_size=8).hexdigest()
        return {
            "id": uid,
            "username": self._snap.username[i],
            "full_name": self._snap.full_name[i],
            "profile_picture": f"{CDN}/t51.2885-19/s150x150/{digest}_a.jpg",
        }

    def user(self, uid: str) -> dict:
        """Full User object with bio, website, is_business and counts."""
        user = self.user_short(uid)
        i = self._u(uid)
        snap = self._snap
        website = f"https://{user['username'].replace('.', '').replace('_', '')}.example.com"
        user.update(
            bio=BIOS[snap.bio[i]],
            website=website if snap.has_website[i] else "",
            is_business=bool(snap.is_business[i]),
            counts={
                "media": self._media_by_owner.count(i),
                "follows": int(self._follows.forward.counts[i]),
                "followed_by": int(self._follows.backward.counts[i]),
            },
        )
        return user

    def is_private(self, uid: str) -> bool:
        return bool(self._private[self._u(uid)])

    def community(self, uid: str) -> int:
        """The community this user was planted in."""
        return int(self._snap.community[self._u(uid)])

    # ----------------------------------------------------------------- relationships

    def follows_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        """(seq, followed id) pairs, newest follow first; seq only grows (stable cursors)."""
        i = self._u(uid)
        return self._cached(("follows", i), lambda: self._user_listing(self._follows.forward, i))

    def followed_by_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        """(seq, follower id) pairs, newest follow first."""
        i = self._u(uid)
        return self._cached(("followed_by", i), lambda: self._user_listing(self._follows.backward, i))

    def requested_by_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        """(seq, requester id) pairs of pending follow requests to `uid`, newest first."""
        i = self._u(uid)
        return self._cached(("requested_by", i), lambda: self._user_listing(self._requests.backward, i))

    def follows(self, uid: str) -> list[str]:
        """Ids `uid` follows, newest follow first."""
        return [other for _, other in self.follows_with_seq(uid)]

    def followed_by(self, uid: str) -> list[str]:
        """Ids following `uid`, newest follow first."""
        return [other for _, other in self.followed_by_with_seq(uid)]

    def requested_by(self, uid: str) -> list[str]:
        """Ids with a pending follow request to `uid`, newest first."""
        return [other for _, other in self.requested_by_with_seq(uid)]

    def relationship(self, viewer: str, target: str) -> dict:
        """{outgoing_status, incoming_status, target_user_is_private} from viewer to target."""
        v, t = self._u(viewer), self._u(target)
        blocked = (v, t) in self._blocks
        return {
            "outgoing_status": self._edge_status(v, t, "follows", "requested"),
            "incoming_status": "blocked_by_you" if blocked else self._edge_status(t, v, "followed_by", "requested_by"),
            "target_user_is_private": bool(self._private[t]),
        }

    def _edge_status(self, a: int, b: int, following: str, requesting: str) -> str:
        """`following` if a follows b, `requesting` if a asked to, else "none"."""
        if self._follows.contains(a, b):
            return following
        return requesting if self._requests.contains(a, b) else "none"

    def follow_edges(self) -> list[tuple[str, str]]:
        """Every current (follower_id, followed_id), oldest follow first."""

        def compute() -> list[tuple[str, str]]:
            a, b = self._follows.pairs()
            ids = self._user_ids
            return [(ids[x], ids[y]) for x, y in zip(a.tolist(), b.tolist())]

        return self._cached(("follow_edges",), compute)

    # ----------------------------------------------------------------- media

    def media_ids_of_user(self, uid: str) -> list[str]:
        """The user's media ids, newest first."""
        i = self._u(uid)
        return self._newest_media("user_media", self._media_by_owner, i)

    def media_owner_id(self, mid: str) -> str:
        """Id of the user who posted `mid`."""
        return self._user_ids[int(self._media_owner[self._m(mid)])]

    def media_id_by_shortcode(self, shortcode: str) -> str:
        """The media id whose permalink ends in /p/{shortcode}/."""
        n = 0
        for char in str(shortcode):
            digit = SHORTCODE_ALPHABET.find(char)
            if digit < 0:
                raise KeyError(f"unknown shortcode {shortcode!r}")
            n = n * 64 + digit
        index = n & MEDIA_INDEX_MASK
        if index >= len(self._media_owner) or shortcode_of(self._media_n(index)) != shortcode:
            raise KeyError(f"unknown shortcode {shortcode!r}")
        return self._media_id(index)

    def _location_object(self, index: int) -> dict:
        snap = self._snap
        return {
            "id": self._location_ids[index],
            "name": snap.location_name[index],
            "latitude": float(snap.location_lat[index]),
            "longitude": float(snap.location_lng[index]),
            "street_address": snap.location_street[index],
        }

    def _tags_of(self, index: int) -> list[str]:
        lo, hi = int(self._media_tag_start[index]), int(self._media_tag_start[index + 1])
        return [self._snap.tag_name[t] for t in self._tag_flat.values[lo:hi].tolist()]

    def _users_in_photo(self, index: int) -> list[dict]:
        lo, hi = int(self._media_photo_start[index]), int(self._media_photo_start[index + 1])
        return [
            {
                "user": self.user_short(self._user_ids[int(self._photo_user[k])]),
                "position": {"x": int(self._photo_x[k]) / 1000, "y": int(self._photo_y[k]) / 1000},
            }
            for k in range(lo, hi)
        ]

    def media(self, mid: str) -> dict:
        """Media object, 2016 shape (`comments`/`likes` hold only `count`; the server adds
        `user_has_liked`, see `has_liked`)."""
        index = self._m(mid)
        n = self._media_n(index)
        owner = self.user_short(self._user_ids[int(self._media_owner[index])])
        created = str(int(self._media_time[index]))
        kind = int(self._media_type[index])
        tags = self._tags_of(index)
        caption_phrase = int(self._media_caption[index])
        location = int(self._media_location[index])
        users_in_photo = self._users_in_photo(index)
        media: dict[str, Any] = {
            "attribution": None,
            "tags": tags,
            "type": MEDIA_TYPES[kind],
            "location": self._location_object(location) if location >= 0 else None,
            "comments": {"count": self._comments_by_media.count(index) - self._deleted_per_media.get(index, 0)},
            "filter": FILTERS[int(self._media_filter[index])],
            "created_time": created,
            "link": f"https://www.instagram.com/p/{shortcode_of(n)}/",
            "likes": {"count": int(self._likes.backward.counts[index])},
            "images": image_versions(n, 0),
        }
        if kind == MEDIA_VIDEO:
            media["videos"] = video_versions(n, 0)
        if kind == MEDIA_CAROUSEL:
            items = []
            for position in range(int(self._media_carousel_size[index])):
                # Every fourth carousel item (by a fixed rule) is a video.
                item: dict[str, Any] = {"images": image_versions(n, position)}
                is_video = (index + position) % 4 == 3
                if is_video:
                    item["videos"] = video_versions(n, position)
                item["users_in_photo"] = users_in_photo if position == 0 else []
                item["type"] = "video" if is_video else "image"
                items.append(item)
            if "videos" in items[0]:
                media["videos"] = items[0]["videos"]
            media["carousel_media"] = items
        media["users_in_photo"] = users_in_photo
        media["caption"] = (
            None
            if caption_phrase < 0
            else {
                "id": str(CAPTION_ID_BASE + index),
                "text": " ".join([CAPTIONS[caption_phrase], *(f"#{t}" for t in tags)]),
                "created_time": created,
                "from": owner,
            }
        )
        media["user"] = owner
        media["id"] = mid
        return media

    def has_liked(self, uid: str, mid: str) -> bool:
        """Whether `uid` currently likes `mid` (the server's `user_has_liked`)."""
        return self._likes.contains(self._u(uid), self._m(mid))

    def media_likers_with_seq(self, mid: str) -> tuple[tuple[int, str], ...]:
        """(seq, user id) of the media's likers, newest like first."""
        index = self._m(mid)
        return self._cached(("likers", index), lambda: self._user_listing(self._likes.backward, index))

    def media_likers(self, mid: str) -> list[str]:
        """User ids liking `mid`, newest like first; len equals likes.count."""
        return [uid for _, uid in self.media_likers_with_seq(mid)]

    def liked_media_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        """(like seq, media id) of the media `uid` liked, newest like first."""
        i = self._u(uid)

        def compute() -> tuple[tuple[int, str], ...]:
            seqs, media = self._likes.forward.listing(i)
            return tuple(zip(seqs.tolist(), self._media_ids(media)))

        return self._cached(("liked", i), compute)

    def liked_media(self, uid: str) -> list[str]:
        """Media ids `uid` liked, newest like first."""
        return [mid for _, mid in self.liked_media_with_seq(uid)]

    def _comment_object(self, ci: int) -> dict:
        text = self._comment_custom_text.get(ci)
        if text is None:
            text = COMMENTS[int(self._comment_text[ci])]
        return {
            "created_time": str(int(self._comment_time[ci])),
            "text": text,
            "from": self.user_short(self._user_ids[int(self._comment_user[ci])]),
            "id": str(COMMENT_ID_BASE + ci),
        }

    def _live_comments(self, index: int) -> list[int]:
        items = self._comments_by_media.items(index).tolist()
        if index in self._deleted_per_media:
            items = [ci for ci in items if ci not in self._deleted_comments]
        return items

    def media_comments(self, mid: str) -> list[dict]:
        """Comment objects of `mid`, oldest first; len equals comments.count."""
        return [self._comment_object(ci) for ci in self._live_comments(self._m(mid))]

    def _c(self, mid: str, cid: str) -> int:
        """Comment index of `cid` on `mid`; KeyError if there is no such live comment."""
        index = self._m(mid)
        try:
            ci = int(cid) - COMMENT_ID_BASE
        except (TypeError, ValueError):
            raise KeyError(f"unknown comment id {cid!r}") from None
        if (
            not 0 <= ci < len(self._comment_media)
            or ci in self._deleted_comments
            or int(self._comment_media[ci]) != index
        ):
            raise KeyError(f"unknown comment id {cid!r} on media {mid!r}")
        return ci

    def comment_object(self, mid: str, cid: str) -> dict:
        """One live comment of `mid`."""
        return self._comment_object(self._c(mid, cid))

    def feed(self, uid: str) -> list[str]:
        """Media of the users `uid` follows and their own, newest first."""
        i = self._u(uid)

        def compute() -> list[str]:
            owners = [i, *self._follows.forward.listing(i)[1].tolist()]
            indices = np.concatenate([self._media_by_owner.items(o) for o in owners])
            return self._media_ids(np.sort(indices)[::-1])

        return self._cached(("feed", i), compute)

    def popular(self) -> list[str]:
        """The most liked public media of the last week, most liked first."""

        def compute() -> list[str]:
            times = self._media_time.values
            recent = np.flatnonzero(times > self.now - POPULAR_WINDOW)
            recent = recent[~self._private[self._media_owner.values[recent]]]
            likes = self._likes.backward.counts.values[recent]
            order = np.lexsort((-recent, -likes))[:POPULAR_SIZE]
            return self._media_ids(recent[order])

        return self._cached(("popular",), compute)

    # ----------------------------------------------------------------- tags and places

    def tag_names(self) -> list[str]:
        """Every tag name, most used first (by the initial world)."""
        return list(self._snap.tag_name)

    def _t(self, name: str) -> int:
        return index_of(self._tag_index, name, "tag")

    def tag(self, name: str) -> dict:
        """Tag object {name, media_count, description, external_url}; media_count equals
        len(tag_media(name)); description and external_url are null, as in every recorded answer."""
        return {
            "name": name,
            "media_count": self._taggings_by_tag.count(self._t(name)),
            "description": None,
            "external_url": None,
        }

    def tag_media(self, name: str) -> tuple[tuple[str, str], ...]:
        """(tag_sequence_id, media_id) pairs of public media, newest tagging first. Sequence
        ids are increasing integers written as strings (the server's max/min_tag_id)."""
        t = self._t(name)

        def compute() -> tuple[tuple[str, str], ...]:
            taggings = self._taggings_by_tag.items(t)[::-1]
            media = self._media_ids(self._tagging_media.values[taggings])
            return tuple(zip((str(TAG_SEQUENCE_BASE + k) for k in taggings.tolist()), media))

        return self._cached(("tag_media", t), compute)

    def location_ids(self) -> tuple[str, ...]:
        return self._location_ids

    def _l(self, lid: str) -> int:
        return index_of(self._location_index, lid, "location id")

    def location(self, lid: str) -> dict:
        """Location object {id, name, latitude, longitude, street_address}."""
        return self._location_object(self._l(lid))

    def location_facebook_places_id(self, lid: str) -> str:
        """The location's Facebook Places id (what `search_locations` can look up by)."""
        return str(int(self._snap.location_places_id[self._l(lid)]))

    def location_foursquare_v2_id(self, lid: str) -> str:
        """The location's Foursquare v2 venue id (24 hex digits; `search_locations` finds it)."""
        return self._snap.location_foursquare_v2_id[self._l(lid)]

    def location_foursquare_id(self, lid: str) -> str:
        """The location's older, numeric (v1) Foursquare venue id."""
        return str(int(self._snap.location_foursquare_id[self._l(lid)]))

    def location_media(self, lid: str) -> list[str]:
        """Public media at the location, newest first."""
        index = self._l(lid)
        return self._newest_media("location_media", self._media_by_location, index)

    def geography_ids(self) -> tuple[str, ...]:
        return self._geography_ids

    def geography_media(self, gid: str) -> list[str]:
        """Public media at locations of the geography (a city), newest first."""
        index = index_of(self._geography_index, gid, "geography id")
        return self._newest_media("geography_media", self._media_by_geography, index)

    # ----------------------------------------------------------------- search

    def search_users(self, q: str) -> list[str]:
        """Users whose username or full name contains `q` (case-insensitive): the exact
        username first, then usernames starting with `q`, then the rest; most followed first
        within each group."""
        q = q.strip().lower()
        if not q:
            return []
        found = [i for i, key in enumerate(self._search_keys) if q in key]
        followers = self._follows.backward.counts.values
        names = self._snap.username

        def rank(i: int) -> tuple:
            name = names[i]
            return (name != q, not name.startswith(q), -int(followers[i]), i)

        return [self._user_ids[i] for i in sorted(found, key=rank)]

    def search_tags(self, q: str) -> list[str]:
        """Tag names containing `q`: the exact name first, then by media count."""
        q = q.strip().lstrip("#").lower()
        if not q:
            return []
        found = [(name != q, -self._taggings_by_tag.count(i), name) for name, i in self._tag_index.items() if q in name]
        return [name for *_, name in sorted(found)]

    def search_locations(
        self,
        lat: float,
        lng: float,
        distance_m: float,
        facebook_places_id: str | None = None,
        foursquare_v2_id: str | None = None,
        foursquare_id: str | None = None,
    ) -> list[str]:
        """Location ids within `distance_m` of (lat, lng), nearest first. With a venue id
        (`facebook_places_id`, else `foursquare_v2_id`, else `foursquare_id`), the location with
        that id, or none (coordinates are then ignored)."""
        for venue_index, venue_id in (
            (self._places_index, facebook_places_id),
            (self._venue_index["foursquare_v2_id"], foursquare_v2_id),
            (self._venue_index["foursquare_id"], foursquare_id),
        ):
            if venue_id is not None:
                index = venue_index.get(str(venue_id))
                return [] if index is None else [self._location_ids[index]]
        distance = _haversine_m(lat, lng, self._snap.location_lat, self._snap.location_lng)
        near = np.flatnonzero(distance <= distance_m)
        near = near[np.lexsort((near, distance[near]))]
        return [self._location_ids[i] for i in near.tolist()]

    def search_media(
        self, lat: float, lng: float, distance_m: float, min_ts: int | None = None, max_ts: int | None = None
    ) -> list[tuple[str, float]]:
        """(media_id, distance in metres) of public located media within `distance_m`,
        created in [min_ts, max_ts] (unix seconds, either bound optional), newest first."""
        distance = _haversine_m(lat, lng, self._snap.location_lat, self._snap.location_lng)
        near = np.flatnonzero(distance <= distance_m).tolist()
        if not near:
            return []
        media = np.concatenate([self._media_by_location.items(i) for i in near])
        times = self._media_time.values[media]
        keep = np.ones(len(media), dtype=bool)
        if min_ts is not None:
            keep &= times >= int(min_ts)
        if max_ts is not None:
            keep &= times <= int(max_ts)
        media = np.sort(media[keep])[::-1]
        where = self._media_location.values[media]
        return list(zip(self._media_ids(media), distance[where].tolist()))

    # ----------------------------------------------------------------- tokens

    def _token_digest(self, uid: str, scope_mask: int) -> str:
        return hmac.new(self._secret, f"{uid}:{scope_mask}".encode(), hashlib.sha256).hexdigest()

    def token_for(self, uid: str, scopes: Iterable[str] = ALL_SCOPES) -> str:
        """A deterministic access token "{uid}.{7 hex}.{32 hex}" for `uid` with `scopes`."""
        self._u(uid)
        scopes = set(scopes)
        unknown = scopes - set(ALL_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; known: {ALL_SCOPES}")
        mask = sum(1 << k for k, scope in enumerate(ALL_SCOPES) if scope in scopes)
        digest = self._token_digest(uid, mask)
        return f"{uid}.{mask:02x}{digest[:5]}.{digest[32:64]}"

    def user_for_token(self, token: str) -> tuple[str, tuple[str, ...]] | None:
        """(user id, scopes) of a token made by `token_for`, or None."""
        parts = str(token).split(".")
        if len(parts) != 3 or parts[0] not in self._user_index or len(parts[1]) != 7:
            return None
        try:
            mask = int(parts[1][:2], 16)
        except ValueError:
            return None
        if mask >= 1 << len(ALL_SCOPES):
            return None
        digest = self._token_digest(parts[0], mask)
        if not hmac.compare_digest(f"{parts[1][2:]}.{parts[2]}", f"{digest[:5]}.{digest[32:64]}"):
            return None
        return parts[0], tuple(scope for k, scope in enumerate(ALL_SCOPES) if mask >> k & 1)

    # ----------------------------------------------------------------- raw facts (Graph mode)

    # The Graph mode (emulator.graph) serves the same world in another shape: it reads these
    # raw facts by index instead of the v1 objects, which it would have to take apart again.

    def user_index(self, uid: str) -> int:
        """The index of user `uid` (0 = the oldest account); KeyError if unknown."""
        return self._u(uid)

    def user_count(self) -> int:
        return self._user_count

    def user_facts(self, i: int) -> dict:
        """Raw facts of user index `i`: id, username, full_name, bio, website, is_business,
        is_private and the three counts."""
        uid = self._user_ids[i]
        full = self.user(uid)
        return {
            "id": uid,
            "username": full["username"],
            "full_name": full["full_name"],
            "bio": full["bio"],
            "website": full["website"],
            "profile_picture": full["profile_picture"],
            "is_business": full["is_business"],
            "is_private": bool(self._private[i]),
            "media_count": full["counts"]["media"],
            "follows_count": full["counts"]["follows"],
            "followers_count": full["counts"]["followed_by"],
        }

    def username_index(self, username: str) -> int | None:
        """The user index of `username`, or None."""
        index = self._cached(("username_index",), lambda: {name: i for i, name in enumerate(self._snap.username)})
        return index.get(username)

    def media_count_total(self) -> int:
        return len(self._media_owner)

    def media_id_at(self, index: int) -> str:
        """The v1 media id of media index `index`."""
        return self._media_id(index)

    def media_index(self, mid: str) -> int:
        """The index of v1 media id `mid`; KeyError if unknown."""
        return self._m(mid)

    def media_facts(self, index: int) -> tuple:
        """(owner index, unix time, kind, carousel size, caption text or None, shortcode,
        likes, live comments) of media index `index`."""
        phrase = int(self._media_caption[index])
        caption = None if phrase < 0 else " ".join([CAPTIONS[phrase], *(f"#{t}" for t in self._tags_of(index))])
        return (
            int(self._media_owner[index]),
            int(self._media_time[index]),
            int(self._media_type[index]),
            int(self._media_carousel_size[index]),
            caption,
            shortcode_of(self._media_n(index)),
            int(self._likes.backward.counts[index]),
            self._comments_by_media.count(index) - self._deleted_per_media.get(index, 0),
        )

    def media_indices_of_user(self, i: int) -> np.ndarray:
        """Media indices of user index `i`, oldest first (time order)."""
        return self._media_by_owner.items(i)

    def media_indices_tagging(self, i: int) -> np.ndarray:
        """Media indices in which user index `i` is tagged (users_in_photo), oldest first."""

        def compute() -> np.ndarray:
            positions = np.flatnonzero(self._photo_user.values == i)
            return np.searchsorted(self._media_photo_start.values, positions, side="right") - 1

        return self._cached(("tagging", i), compute)

    def tag_index(self, name: str) -> int | None:
        """The index of tag `name`, or None."""
        return self._tag_index.get(name)

    def tag_name(self, t: int) -> str:
        return self._snap.tag_name[t]

    def tag_media_indices(self, t: int) -> np.ndarray:
        """Public media indices tagged with tag index `t`, oldest tagging first."""
        return self._tagging_media.values[self._taggings_by_tag.items(t)]

    def comment_indices(self, index: int) -> list[int]:
        """Live comment indices of media index `index`, oldest first."""
        return self._live_comments(index)

    def comment_facts(self, ci: int) -> tuple[int, int, int, str]:
        """(media index, author user index, unix time, text) of comment index `ci`."""
        text = self._comment_custom_text.get(ci)
        if text is None:
            text = COMMENTS[int(self._comment_text[ci])]
        return int(self._comment_media[ci]), int(self._comment_user[ci]), int(self._comment_time[ci]), text

    def comment_live(self, ci: int) -> bool:
        return 0 <= ci < len(self._comment_media) and ci not in self._deleted_comments

    def publish(self, uid: str, kind: int | None = None) -> str:
        """`uid` posts a new media now (of `kind`, else drawn as in `advance`); returns its id."""
        owner = self._u(uid)
        rng = np.random.default_rng([self.config.seed, 2000, len(self._media_owner)])
        index = self._add_media(rng, owner, self.now, kind)
        self._cache.clear()  # a new media changes feeds, tag and place lists, popular
        return self._media_id(index)

    # ----------------------------------------------------------------- writes

    def follow(self, viewer: str, target: str) -> dict:
        """`viewer` follows `target` (a request if `target` is private). Returns the
        relationship afterwards: outgoing_status "follows" or "requested"."""
        v, t = self._u(viewer), self._u(target)
        if v == t:
            raise NotAllowedError("you cannot follow yourself")
        if (t, v) in self._blocks:
            raise NotAllowedError("this user has blocked you")
        if (v, t) in self._blocks:
            raise NotAllowedError("unblock this user before following them")
        if not self._follows.contains(v, t):
            (self._requests if self._private[t] else self._follows).add(v, t)
            self._relationships_changed(v, t)
        return self.relationship(viewer, target)

    def unfollow(self, viewer: str, target: str) -> dict:
        """Remove viewer's follow of (or pending request to) target."""
        v, t = self._u(viewer), self._u(target)
        if self._follows.remove(v, t) | self._requests.remove(v, t):
            self._relationships_changed(v, t)
        return self.relationship(viewer, target)

    def _answer_request(self, viewer: str, requester: str, *, accept: bool) -> dict:
        v, r = self._u(viewer), self._u(requester)
        if not self._requests.remove(r, v):
            raise NotAllowedError("there is no pending follow request from this user")
        if accept:
            self._follows.add(r, v)
        self._relationships_changed(r, v)
        return self.relationship(viewer, requester)

    def approve(self, viewer: str, requester: str) -> dict:
        """Accept `requester`'s pending request to follow `viewer`."""
        return self._answer_request(viewer, requester, accept=True)

    def ignore(self, viewer: str, requester: str) -> dict:
        """Drop `requester`'s pending request to follow `viewer`."""
        return self._answer_request(viewer, requester, accept=False)

    def block(self, viewer: str, target: str) -> dict:
        """`viewer` blocks `target`: follows and requests between them go, both ways."""
        v, t = self._u(viewer), self._u(target)
        if v == t:
            raise NotAllowedError("you cannot block yourself")
        for a, b in ((v, t), (t, v)):
            self._follows.remove(a, b)
            self._requests.remove(a, b)
        self._blocks.add((v, t))
        self._relationships_changed(v, t)
        return self.relationship(viewer, target)

    def unblock(self, viewer: str, target: str) -> dict:
        v, t = self._u(viewer), self._u(target)
        self._blocks.discard((v, t))
        return self.relationship(viewer, target)

    def like(self, uid: str, mid: str) -> None:
        """`uid` likes `mid` (no-op if it already does)."""
        user, index = self._u(uid), self._m(mid)
        if self._likes.add(user, index):
            self._likes_changed(user, index)

    def unlike(self, uid: str, mid: str) -> None:
        user, index = self._u(uid), self._m(mid)
        if self._likes.remove(user, index):
            self._likes_changed(user, index)

    def _add_comment(self, user: int, index: int, time: int, phrase: int, text: str | None = None) -> int:
        ci = self._comment_media.append(index)
        self._comment_user.append(user)
        self._comment_time.append(time)
        self._comment_text.append(phrase)
        if text is not None:
            self._comment_custom_text[ci] = text
        self._comments_by_media.add(index, ci)
        return ci

    def comment(self, uid: str, mid: str, text: str) -> dict:
        """`uid` comments `text` on `mid` now; returns the Comment object."""
        u, index = self._u(uid), self._m(mid)
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a comment needs some text")
        ci = self._add_comment(u, index, self.now, -1, text)
        return self._comment_object(ci)

    def delete_comment(self, uid: str, mid: str, cid: str) -> None:
        """Delete comment `cid` of `mid`: allowed on one's own media or for one's own comment."""
        u = self._u(uid)
        ci = self._c(mid, cid)
        index = int(self._comment_media[ci])
        if u not in (int(self._comment_user[ci]), int(self._media_owner[index])):
            raise NotAllowedError("you can delete only your own comments or comments on your media")
        self._deleted_comments.add(ci)
        self._deleted_per_media[index] = self._deleted_per_media.get(index, 0) + 1

    # ----------------------------------------------------------------- time

    def _add_media(self, rng: np.random.Generator, owner: int, time: int, forced_kind: int | None = None) -> int:
        config = self.config
        index = self._media_owner.append(owner)
        if index > MEDIA_INDEX_MASK:
            raise OverflowError("the world holds as many media as media ids can address")
        self._media_time.append(time)
        draw = rng.random()
        kind = (
            MEDIA_VIDEO
            if draw < config.video_share
            else (MEDIA_CAROUSEL if draw < config.video_share + config.carousel_share else MEDIA_IMAGE)
        )
        if forced_kind is not None:  # a published media: the draw above still happens (same stream)
            kind = forced_kind
        self._media_type.append(kind)
        self._media_filter.append(rng.integers(0, len(FILTERS)))
        self._media_carousel_size.append(rng.integers(2, 6) if kind == MEDIA_CAROUSEL else 0)
        captioned = rng.random() < config.captioned_share
        self._media_caption.append(rng.integers(0, len(CAPTIONS)) if captioned else -1)
        tag_count = min(8, int(rng.poisson(config.tags_per_media))) if captioned else 0
        tags = sorted(set(rng.choice(config.tags, tag_count, p=self._tag_weights).tolist()))
        public = not self._private[owner]
        for tag in tags:
            tagging = self._tag_flat.append(tag)
            self._tagging_media.append(index)
            if public:
                self._taggings_by_tag.add(tag, tagging)
        self._media_tag_start.append(len(self._tag_flat))
        location = -1
        if rng.random() < config.located_share:
            location = int(rng.integers(0, len(self._location_ids)))
            if public:
                self._media_by_location.add(location, index)
                self._media_by_geography.add(int(self._snap.location_geography[location]), index)
        self._media_location.append(location)
        self._media_by_owner.add(owner, index)
        self._likes.backward.counts.append(0)
        followed = self._follows.forward.listing(owner)[1]
        if kind != MEDIA_VIDEO and len(followed) and rng.random() < config.users_in_photo_share:
            for user in sorted(set(rng.choice(followed, min(3, len(followed)), replace=False).tolist())):
                self._photo_user.append(user)
                self._photo_x.append(rng.integers(50, 951))
                self._photo_y.append(rng.integers(50, 951))
        self._media_photo_start.append(len(self._photo_user))
        return index

    def _popular_user(self, rng: np.random.Generator, community: int) -> int:
        """A user drawn by popularity, inside `community` most of the time."""
        if rng.random() < self.config.intra_community_share:
            lo, hi = self._community_ptr[community], self._community_ptr[community + 1]
            if hi > lo:
                start = self._community_cumulative[lo - 1] if lo > 0 else 0.0
                draw = start + rng.random() * (self._community_cumulative[hi - 1] - start)
                position = min(int(np.searchsorted(self._community_cumulative, draw, side="right")), hi - 1)
                return int(self._community_members[position])
        draw = rng.random() * self._popularity_cumulative[-1]
        return min(int(np.searchsorted(self._popularity_cumulative, draw, side="right")), self._user_count - 1)

    def _recent_media(self, rng: np.random.Generator) -> int:
        """A media index, recent media being much more likely."""
        total = len(self._media_owner)
        return max(0, total - 1 - int(rng.exponential(max(20.0, total * 0.02))))

    def _engaging_user(self, rng: np.random.Generator, owner: int, from_followers: float) -> int:
        followers = self._follows.backward.listing(owner)[1]
        if len(followers) and rng.random() < from_followers:
            return int(followers[rng.integers(0, len(followers))])
        return int(rng.integers(0, self._user_count))

    def _default_rates(self, days: float) -> dict[str, float]:
        """Expected changes in `days`, proportional to the size of the world."""
        history = self.config.history_days
        return {
            "new_media": 1.5 * len(self._snap.media_owner) / history * days,
            "new_follows": 0.002 * len(self._snap.follow_src) * days,
            "unfollows": 0.0005 * len(self._snap.follow_src) * days,
            "new_likes": 1.5 * len(self._snap.like_user) / history * days,
            "new_comments": 1.5 * len(self._snap.comment_media) / history * days,
        }

    def advance(
        self,
        seconds: int,
        *,
        new_media: int | None = None,
        new_follows: int | None = None,
        unfollows: int | None = None,
        new_likes: int | None = None,
        new_comments: int | None = None,
    ) -> dict:
        """Move the clock by `seconds` and apply a deterministic batch of changes.

        Counts default to amounts proportional to the world's size and to `seconds`; explicit
        numbers override them. Follows aimed at private users become pending requests (listed
        under "new_requests", not counted in `new_follows`). Returns a summary:
        {"from", "to", "new_media": [mid], "new_follows": [(follower, followed)],
        "new_requests": [(requester, target)], "unfollows": [(follower, followed)],
        "new_likes": [(uid, mid)], "new_comments": [(mid, cid)]}.
        """
        if seconds < 0:
            raise ValueError("the world clock only moves forward")
        rng = np.random.default_rng([self.config.seed, 1000, self._advances])
        self._advances += 1
        expected = self._default_rates(seconds / DAY)
        wanted = {
            name: int(rng.poisson(rate)) if given is None else int(given)
            for (name, rate), given in zip(
                expected.items(), (new_media, new_follows, unfollows, new_likes, new_comments)
            )
        }
        if any(count < 0 for count in wanted.values()):
            raise ValueError("advance() counts must not be negative")
        start, end = self.now, self.now + int(seconds)
        ids = self._user_ids

        def times(count: int) -> list[int]:
            drawn = rng.integers(start + 1, end + 1, count) if end > start else np.full(count, end)
            return np.sort(drawn).tolist()

        summary: dict[str, Any] = {"from": start, "to": end}
        activity = self._media_by_owner.counts(self._user_count) + 1.0
        owners = rng.choice(self._user_count, wanted["new_media"], p=activity / activity.sum())
        summary["new_media"] = [
            self._media_id(self._add_media(rng, int(owner), time))
            for owner, time in zip(owners.tolist(), times(wanted["new_media"]))
        ]

        follows, requests = [], []
        for _ in range(20 * wanted["new_follows"] + 20):
            if len(follows) == wanted["new_follows"]:
                break
            follower = int(rng.integers(0, self._user_count))
            target = self._popular_user(rng, int(self._snap.community[follower]))
            if (
                follower == target
                or self._follows.contains(follower, target)
                or (target, follower) in self._blocks
                or (follower, target) in self._blocks
            ):
                continue
            if self._private[target]:
                if self._requests.add(follower, target):
                    requests.append((ids[follower], ids[target]))
            else:
                self._follows.add(follower, target)
                follows.append((ids[follower], ids[target]))
        summary["new_follows"], summary["new_requests"] = follows, requests

        removed = []
        for _ in range(wanted["unfollows"]):
            out = self._follows.forward.counts.values
            total = int(out.sum())
            if total == 0:
                break
            follower = int(np.searchsorted(np.cumsum(out), rng.integers(0, total), side="right"))
            followed = self._follows.forward.listing(follower)[1]
            target = int(followed[rng.integers(0, len(followed))])
            self._follows.remove(follower, target)
            removed.append((ids[follower], ids[target]))
        summary["unfollows"] = removed

        likes = []
        for _ in range(20 * wanted["new_likes"] + 20):
            if len(likes) == wanted["new_likes"]:
                break
            index = self._recent_media(rng)
            owner = int(self._media_owner[index])
            user = self._engaging_user(rng, owner, 0.85)
            if user != owner and self._likes.add(user, index):
                likes.append((ids[user], self._media_id(index)))
        summary["new_likes"] = likes

        comments = []
        for time in times(wanted["new_comments"]):
            index = self._recent_media(rng)
            user = self._engaging_user(rng, int(self._media_owner[index]), 0.7)
            time = max(time, int(self._media_time[index]) + 1)
            ci = self._add_comment(user, index, min(time, end), int(rng.integers(0, len(COMMENTS))))
            comments.append((self._media_id(index), str(COMMENT_ID_BASE + ci)))
        summary["new_comments"] = comments

        self.now = end
        self._cache.clear()
        return summary
