"""The world's lists (follows, requests, likes, a user's media, feeds, tags, places, popular),
newest first, and the relationship between two users. Lists are cached in the state until a
change forgets them: callers read them and never modify them.
"""

from __future__ import annotations

import numpy as np

from .generate import DAY
from .state import TAG_SEQUENCE_BASE, State
from .store import Groups

POPULAR_WINDOW = 7 * DAY
POPULAR_SIZE = 32


def follows_with_seq(state: State, uid: str) -> tuple[tuple[int, str], ...]:
    """(seq, followed id) pairs, newest follow first; seq only grows (stable cursors)."""
    i = state.index_of_user(uid)
    return state.cached(("follows", i), lambda: state.user_listing(state.follows.forward, i))


def followed_by_with_seq(state: State, uid: str) -> tuple[tuple[int, str], ...]:
    """(seq, follower id) pairs, newest follow first."""
    i = state.index_of_user(uid)
    return state.cached(("followed_by", i), lambda: state.user_listing(state.follows.backward, i))


def requested_by_with_seq(state: State, uid: str) -> tuple[tuple[int, str], ...]:
    """(seq, requester id) pairs of pending follow requests to `uid`, newest first."""
    i = state.index_of_user(uid)
    return state.cached(("requested_by", i), lambda: state.user_listing(state.requests.backward, i))


def _edge_status(state: State, a: int, b: int, following: str, requesting: str) -> str:
    """`following` if a follows b, `requesting` if a asked to, else "none"."""
    if state.follows.contains(a, b):
        return following
    return requesting if state.requests.contains(a, b) else "none"


def relationship(state: State, viewer: str, target: str) -> dict:
    """{outgoing_status, incoming_status, target_user_is_private} from viewer to target."""
    v, t = state.index_of_user(viewer), state.index_of_user(target)
    blocked = (v, t) in state.blocks
    return {
        "outgoing_status": _edge_status(state, v, t, "follows", "requested"),
        "incoming_status": "blocked_by_you" if blocked else _edge_status(state, t, v, "followed_by", "requested_by"),
        "target_user_is_private": bool(state.private[t]),
    }


def follow_edges(state: State) -> list[tuple[str, str]]:
    """Every current (follower_id, followed_id), oldest follow first."""

    def compute() -> list[tuple[str, str]]:
        a, b = state.follows.pairs()
        ids = state.user_ids
        return [(ids[x], ids[y]) for x, y in zip(a.tolist(), b.tolist())]

    return state.cached(("follow_edges",), compute)


def _newest_media(state: State, kind: str, groups: Groups, key: int) -> list[str]:
    """The media ids of a group, newest first (cached)."""
    return state.cached((kind, key), lambda: state.media_ids(groups.items(key)[::-1]))


def media_ids_of_user(state: State, uid: str) -> list[str]:
    """The user's media ids, newest first."""
    return _newest_media(state, "user_media", state.media_by_owner, state.index_of_user(uid))


def media_likers_with_seq(state: State, mid: str) -> tuple[tuple[int, str], ...]:
    """(seq, user id) of the media's likers, newest like first."""
    index = state.index_of_media(mid)
    return state.cached(("likers", index), lambda: state.user_listing(state.likes.backward, index))


def liked_media_with_seq(state: State, uid: str) -> tuple[tuple[int, str], ...]:
    """(like seq, media id) of the media `uid` liked, newest like first."""
    i = state.index_of_user(uid)

    def compute() -> tuple[tuple[int, str], ...]:
        seqs, media = state.likes.forward.listing(i)
        return tuple(zip(seqs.tolist(), state.media_ids(media)))

    return state.cached(("liked", i), compute)


def feed(state: State, uid: str) -> list[str]:
    """Media of the users `uid` follows and their own, newest first."""
    i = state.index_of_user(uid)

    def compute() -> list[str]:
        owners = [i, *state.follows.forward.listing(i)[1].tolist()]
        indices = np.concatenate([state.media_by_owner.items(o) for o in owners])
        return state.media_ids(np.sort(indices)[::-1])

    return state.cached(("feed", i), compute)


def popular(state: State) -> list[str]:
    """The most liked public media of the last week, most liked first."""

    def compute() -> list[str]:
        times = state.media_time.values
        recent = np.flatnonzero(times > state.now - POPULAR_WINDOW)
        recent = recent[~state.private[state.media_owner.values[recent]]]
        likes = state.likes.backward.counts.values[recent]
        order = np.lexsort((-recent, -likes))[:POPULAR_SIZE]
        return state.media_ids(recent[order])

    return state.cached(("popular",), compute)


def tag_media(state: State, name: str) -> tuple[tuple[str, str], ...]:
    """(tag_sequence_id, media_id) pairs of public media, newest tagging first. Sequence ids
    are increasing integers written as strings (the server's max/min_tag_id)."""
    t = state.index_of_tag(name)

    def compute() -> tuple[tuple[str, str], ...]:
        taggings = state.taggings_by_tag.items(t)[::-1]
        media = state.media_ids(state.tagging_media.values[taggings])
        return tuple(zip((str(TAG_SEQUENCE_BASE + k) for k in taggings.tolist()), media))

    return state.cached(("tag_media", t), compute)


def location_media(state: State, lid: str) -> list[str]:
    """Public media at the location, newest first."""
    return _newest_media(state, "location_media", state.media_by_location, state.index_of_location(lid))


def geography_media(state: State, gid: str) -> list[str]:
    """Public media at locations of the geography (a city), newest first."""
    index = state.index_of_geography(gid)
    return _newest_media(state, "geography_media", state.media_by_geography, index)
