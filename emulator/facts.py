"""The world's raw facts by index, for the Graph mode (emulator.graph): it serves the same
world in another shape, so it reads ints, tuples and numpy arrays instead of the v1 objects,
which it would have to take apart again."""

from __future__ import annotations

import numpy as np

from . import shapes
from .state import State


def user_facts(state: State, i: int) -> dict:
    """Raw facts of user index `i`: id, username, full_name, bio, website, is_business,
    is_private and the three counts."""
    uid = state.user_ids[i]
    full = shapes.user(state, uid)
    return {
        "id": uid,
        "username": full["username"],
        "full_name": full["full_name"],
        "bio": full["bio"],
        "website": full["website"],
        "profile_picture": full["profile_picture"],
        "is_business": full["is_business"],
        "is_private": bool(state.private[i]),
        "media_count": full["counts"]["media"],
        "follows_count": full["counts"]["follows"],
        "followers_count": full["counts"]["followed_by"],
    }


def username_index(state: State, username: str) -> int | None:
    """The user index of `username`, or None."""
    index = state.cached(("username_index",), lambda: {name: i for i, name in enumerate(state.snap.username)})
    return index.get(username)


def media_facts(state: State, index: int) -> tuple:
    """(owner index, unix time, kind, carousel size, caption text or None, shortcode, likes,
    live comments) of media index `index`."""
    return (
        int(state.media_owner[index]),
        int(state.media_time[index]),
        int(state.media_type[index]),
        int(state.media_carousel_size[index]),
        state.caption_text(index),
        shapes.shortcode(state.media_n(index)),
        int(state.likes.backward.counts[index]),
        state.comment_count(index),
    )


def media_indices_tagging(state: State, i: int) -> np.ndarray:
    """Media indices in which user index `i` is tagged (users_in_photo), oldest first."""

    def compute() -> np.ndarray:
        positions = np.flatnonzero(state.photo_user.values == i)
        return np.searchsorted(state.media_photo_start.values, positions, side="right") - 1

    return state.cached(("tagging", i), compute)


def tag_media_indices(state: State, t: int) -> np.ndarray:
    """Public media indices tagged with tag index `t`, oldest tagging first."""
    return state.tagging_media.values[state.taggings_by_tag.items(t)]


def comment_facts(state: State, ci: int) -> tuple[int, int, int, str]:
    """(media index, author user index, unix time, text) of comment index `ci`."""
    return (
        int(state.comment_media[ci]),
        int(state.comment_user[ci]),
        int(state.comment_time[ci]),
        state.comment_text(ci),
    )
