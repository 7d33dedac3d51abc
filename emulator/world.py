"""The emulator's synthetic social world: the single source of truth the server answers from.

`World(WorldConfig(seed=..., users=...))` builds a deterministic world (see
`emulator.generate`) and keeps it as numpy columns plus small change overlays, so that a
100,000-user world builds in seconds and every read is cheap. The clock (`world.now`) starts
at `config.start` and only moves with `advance()`.

`World` is a façade that holds the lock; the work is done by its parts, each over the one
`emulator.state.State` (the stores, the clock, the ids and the cache):

- `lists`: the newest-first lists (follows, requests, likes, media, feeds, tags, places) and
  relationships; `shapes`: the v1 objects (User, Media, Comment, Location, Tag);
- `search`: users, tags, locations and media; `tokens`: the v1 access tokens;
- `writes`: follows, blocks, likes, comments, publishing; `evolution`: `advance`;
- `facts`: raw facts by index for the Graph mode.

The public contract is listed in docs/architecture.md ("The emulator's world"). Helpers the
server may use on top of it (allowed additions to the contract):

- `follows_with_seq(uid)`, `followed_by_with_seq(uid)`, `requested_by_with_seq(uid)`:
  `(seq, user_id)` pairs, newest first. `seq` is an int that only grows as edges are created,
  so a cursor "items with seq < the last one seen" stays stable while the world changes.
- `has_liked(uid, mid)`, `media_owner_id(mid)`, `comment_object(mid, cid)`,
  `location_facebook_places_id(lid)`, `location_foursquare_v2_id(lid)`,
  `location_foursquare_id(lid)` (the venue ids `search_locations` can look up by).
- `media_likers_with_seq(mid)`, `liked_media_with_seq(uid)`: the same, for likes.
- `default_rates(days)`, `like_count_total()`: what `advance` draws by default, and the
  likes of the whole world (bench/ reads them).

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
import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import facts, lists, shapes, writes
from .evolution import Evolution
from .generate import WorldConfig
from .search import Search
from .state import State
from .tokens import ALL_SCOPES, Tokens
from .writes import NotAllowedError, WorldError

__all__ = ["ALL_SCOPES", "NotAllowedError", "World", "WorldConfig", "WorldError"]


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

    A façade: the state lives in `emulator.state`, and each method hands it to the part that
    answers (`lists`, `shapes`, `search`, `tokens`, `writes`, `evolution`, `facts`).
    Lists returned are cached and shared until the world changes: read them, do not modify.
    """

    def __init__(self, config: WorldConfig | None = None):
        self._lock = threading.RLock()
        self._state = State(config or WorldConfig())
        self._search = Search(self._state)
        self._tokens = Tokens(self._state.config.seed, self._state.user_index)
        self._evolution = Evolution(self._state)
        self.default_user_id: str = self._state.best_connected_user()

    @property
    def config(self) -> WorldConfig:
        return self._state.config

    @property
    def now(self) -> int:
        """The world clock (unix seconds); only `advance` moves it."""
        return self._state.now

    # ----------------------------------------------------------------- users

    def user_ids(self) -> tuple[str, ...]:
        """Every user id, oldest account first."""
        return self._state.user_ids

    def user_short(self, uid: str) -> dict:
        return shapes.user_short(self._state, uid)

    def user(self, uid: str) -> dict:
        return shapes.user(self._state, uid)

    def is_private(self, uid: str) -> bool:
        return bool(self._state.private[self._state.index_of_user(uid)])

    def community(self, uid: str) -> int:
        """The community this user was planted in."""
        return int(self._state.snap.community[self._state.index_of_user(uid)])

    # ----------------------------------------------------------------- relationships

    def follows_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        return lists.follows_with_seq(self._state, uid)

    def followed_by_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        return lists.followed_by_with_seq(self._state, uid)

    def requested_by_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        return lists.requested_by_with_seq(self._state, uid)

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
        return lists.relationship(self._state, viewer, target)

    def follow_edges(self) -> list[tuple[str, str]]:
        return lists.follow_edges(self._state)

    # ----------------------------------------------------------------- media

    def media_ids_of_user(self, uid: str) -> list[str]:
        return lists.media_ids_of_user(self._state, uid)

    def media_owner_id(self, mid: str) -> str:
        """Id of the user who posted `mid`."""
        state = self._state
        return state.user_ids[int(state.media_owner[state.index_of_media(mid)])]

    def media_id_by_shortcode(self, shortcode: str) -> str:
        return shapes.media_id_by_shortcode(self._state, shortcode)

    def media(self, mid: str) -> dict:
        return shapes.media(self._state, mid)

    def has_liked(self, uid: str, mid: str) -> bool:
        """Whether `uid` currently likes `mid` (the server's `user_has_liked`)."""
        state = self._state
        return state.likes.contains(state.index_of_user(uid), state.index_of_media(mid))

    def media_likers_with_seq(self, mid: str) -> tuple[tuple[int, str], ...]:
        return lists.media_likers_with_seq(self._state, mid)

    def media_likers(self, mid: str) -> list[str]:
        """User ids liking `mid`, newest like first; len equals likes.count."""
        return [uid for _, uid in self.media_likers_with_seq(mid)]

    def liked_media_with_seq(self, uid: str) -> tuple[tuple[int, str], ...]:
        return lists.liked_media_with_seq(self._state, uid)

    def liked_media(self, uid: str) -> list[str]:
        """Media ids `uid` liked, newest like first."""
        return [mid for _, mid in self.liked_media_with_seq(uid)]

    def media_comments(self, mid: str) -> list[dict]:
        """Comment objects of `mid`, oldest first; len equals comments.count."""
        state = self._state
        return [shapes.comment(state, ci) for ci in state.live_comments(state.index_of_media(mid))]

    def comment_object(self, mid: str, cid: str) -> dict:
        """One live comment of `mid`; KeyError if there is none."""
        return shapes.comment(self._state, self._state.index_of_comment(mid, cid))

    def feed(self, uid: str) -> list[str]:
        return lists.feed(self._state, uid)

    def popular(self) -> list[str]:
        return lists.popular(self._state)

    # ----------------------------------------------------------------- tags and places

    def tag_names(self) -> list[str]:
        """Every tag name, most used first (by the initial world)."""
        return list(self._state.snap.tag_name)

    def tag(self, name: str) -> dict:
        return shapes.tag(self._state, name)

    def tag_media(self, name: str) -> tuple[tuple[str, str], ...]:
        return lists.tag_media(self._state, name)

    def location_ids(self) -> tuple[str, ...]:
        return self._state.location_ids

    def location(self, lid: str) -> dict:
        return shapes.location(self._state, self._state.index_of_location(lid))

    def location_facebook_places_id(self, lid: str) -> str:
        """The location's Facebook Places id (what `search_locations` can look up by)."""
        return str(int(self._state.snap.location_places_id[self._state.index_of_location(lid)]))

    def location_foursquare_v2_id(self, lid: str) -> str:
        """The location's Foursquare v2 venue id (24 hex digits; `search_locations` finds it)."""
        return self._state.snap.location_foursquare_v2_id[self._state.index_of_location(lid)]

    def location_foursquare_id(self, lid: str) -> str:
        """The location's older, numeric (v1) Foursquare venue id."""
        return str(int(self._state.snap.location_foursquare_id[self._state.index_of_location(lid)]))

    def location_media(self, lid: str) -> list[str]:
        return lists.location_media(self._state, lid)

    def geography_ids(self) -> tuple[str, ...]:
        return self._state.geography_ids

    def geography_media(self, gid: str) -> list[str]:
        return lists.geography_media(self._state, gid)

    # ----------------------------------------------------------------- search

    def search_users(self, q: str) -> list[str]:
        return self._search.users(q)

    def search_tags(self, q: str) -> list[str]:
        return self._search.tags(q)

    def search_locations(
        self,
        lat: float,
        lng: float,
        distance_m: float,
        facebook_places_id: str | None = None,
        foursquare_v2_id: str | None = None,
        foursquare_id: str | None = None,
    ) -> list[str]:
        return self._search.locations(lat, lng, distance_m, facebook_places_id, foursquare_v2_id, foursquare_id)

    def search_media(
        self, lat: float, lng: float, distance_m: float, min_ts: int | None = None, max_ts: int | None = None
    ) -> list[tuple[str, float]]:
        return self._search.media(lat, lng, distance_m, min_ts, max_ts)

    # ----------------------------------------------------------------- tokens

    def token_for(self, uid: str, scopes: Iterable[str] = ALL_SCOPES) -> str:
        return self._tokens.token_for(uid, scopes)

    def user_for_token(self, token: str) -> tuple[str, tuple[str, ...]] | None:
        return self._tokens.user_for_token(token)

    # ----------------------------------------------------------------- raw facts (Graph mode)

    def user_index(self, uid: str) -> int:
        """The index of user `uid` (0 = the oldest account); KeyError if unknown."""
        return self._state.index_of_user(uid)

    def user_count(self) -> int:
        return self._state.user_count

    def user_facts(self, i: int) -> dict:
        return facts.user_facts(self._state, i)

    def username_index(self, username: str) -> int | None:
        return facts.username_index(self._state, username)

    def media_count_total(self) -> int:
        return len(self._state.media_owner)

    def like_count_total(self) -> int:
        return int(self._state.likes.backward.counts.values.sum())

    def media_id_at(self, index: int) -> str:
        """The v1 media id of media index `index`."""
        return self._state.media_id(index)

    def media_index(self, mid: str) -> int:
        """The index of v1 media id `mid`; KeyError if unknown."""
        return self._state.index_of_media(mid)

    def media_facts(self, index: int) -> tuple:
        return facts.media_facts(self._state, index)

    def media_indices_of_user(self, i: int) -> np.ndarray:
        """Media indices of user index `i`, oldest first (time order)."""
        return self._state.media_by_owner.items(i)

    def media_indices_tagging(self, i: int) -> np.ndarray:
        return facts.media_indices_tagging(self._state, i)

    def tag_index(self, name: str) -> int | None:
        """The index of tag `name`, or None."""
        return self._state.tag_index.get(name)

    def tag_name(self, t: int) -> str:
        return self._state.snap.tag_name[t]

    def tag_media_indices(self, t: int) -> np.ndarray:
        return facts.tag_media_indices(self._state, t)

    def comment_indices(self, index: int) -> list[int]:
        """Live comment indices of media index `index`, oldest first."""
        return self._state.live_comments(index)

    def comment_facts(self, ci: int) -> tuple[int, int, int, str]:
        return facts.comment_facts(self._state, ci)

    def comment_live(self, ci: int) -> bool:
        return self._state.comment_live(ci)

    # ----------------------------------------------------------------- writes

    def follow(self, viewer: str, target: str) -> dict:
        return writes.follow(self._state, viewer, target)

    def unfollow(self, viewer: str, target: str) -> dict:
        return writes.unfollow(self._state, viewer, target)

    def approve(self, viewer: str, requester: str) -> dict:
        """Accept `requester`'s pending request to follow `viewer`."""
        return writes.answer_request(self._state, viewer, requester, accept=True)

    def ignore(self, viewer: str, requester: str) -> dict:
        """Drop `requester`'s pending request to follow `viewer`."""
        return writes.answer_request(self._state, viewer, requester, accept=False)

    def block(self, viewer: str, target: str) -> dict:
        return writes.block(self._state, viewer, target)

    def unblock(self, viewer: str, target: str) -> dict:
        return writes.unblock(self._state, viewer, target)

    def like(self, uid: str, mid: str) -> None:
        writes.like(self._state, uid, mid)

    def unlike(self, uid: str, mid: str) -> None:
        writes.unlike(self._state, uid, mid)

    def comment(self, uid: str, mid: str, text: str) -> dict:
        return writes.comment(self._state, uid, mid, text)

    def delete_comment(self, uid: str, mid: str, cid: str) -> None:
        writes.delete_comment(self._state, uid, mid, cid)

    def publish(self, uid: str, kind: int | None = None) -> str:
        return writes.publish(self._state, uid, kind)

    # ----------------------------------------------------------------- time

    def default_rates(self, days: float) -> dict[str, float]:
        """Expected changes in `days` when `advance` is given no counts (bench/ reads them)."""
        return self._evolution.default_rates(days)

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
        counts = {
            "new_media": new_media,
            "new_follows": new_follows,
            "unfollows": unfollows,
            "new_likes": new_likes,
            "new_comments": new_comments,
        }
        return self._evolution.advance(seconds, counts)
