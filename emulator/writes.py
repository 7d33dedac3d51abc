"""The world's writes (follows, requests, blocks, likes, comments, publishing) and its
refusals. Each write forgets the cached lists it can change."""

from __future__ import annotations

import numpy as np

from . import lists, shapes
from .evolution import add_media
from .state import State


class WorldError(Exception):
    """Base class of the world's refusals."""


class NotAllowedError(WorldError):
    """A write the world refuses: following oneself or a user who blocked you, approving a
    request that does not exist, deleting someone else's comment on someone else's media."""


def _relationships_changed(state: State, a: int, b: int) -> None:
    """Forget answers that a change of follows or requests between a and b can alter."""
    for x, y in ((a, b), (b, a)):
        state.forget(("follows", x), ("followed_by", y), ("requested_by", y), ("feed", x))
    state.forget(("follow_edges",))


def _likes_changed(state: State, user: int, index: int) -> None:
    state.forget(("likers", index), ("liked", user), ("popular",))


def follow(state: State, viewer: str, target: str) -> dict:
    """`viewer` follows `target` (a request if `target` is private). Returns the relationship
    afterwards: outgoing_status "follows" or "requested"."""
    v, t = state.index_of_user(viewer), state.index_of_user(target)
    if v == t:
        raise NotAllowedError("you cannot follow yourself")
    if (t, v) in state.blocks:
        raise NotAllowedError("this user has blocked you")
    if (v, t) in state.blocks:
        raise NotAllowedError("unblock this user before following them")
    if not state.follows.contains(v, t):
        (state.requests if state.private[t] else state.follows).add(v, t)
        _relationships_changed(state, v, t)
    return lists.relationship(state, viewer, target)


def unfollow(state: State, viewer: str, target: str) -> dict:
    """Remove viewer's follow of (or pending request to) target."""
    v, t = state.index_of_user(viewer), state.index_of_user(target)
    if state.follows.remove(v, t) | state.requests.remove(v, t):
        _relationships_changed(state, v, t)
    return lists.relationship(state, viewer, target)


def answer_request(state: State, viewer: str, requester: str, *, accept: bool) -> dict:
    """Accept (approve) or drop (ignore) `requester`'s pending request to follow `viewer`."""
    v, r = state.index_of_user(viewer), state.index_of_user(requester)
    if not state.requests.remove(r, v):
        raise NotAllowedError("there is no pending follow request from this user")
    if accept:
        state.follows.add(r, v)
    _relationships_changed(state, r, v)
    return lists.relationship(state, viewer, requester)


def block(state: State, viewer: str, target: str) -> dict:
    """`viewer` blocks `target`: follows and requests between them go, both ways."""
    v, t = state.index_of_user(viewer), state.index_of_user(target)
    if v == t:
        raise NotAllowedError("you cannot block yourself")
    for a, b in ((v, t), (t, v)):
        state.follows.remove(a, b)
        state.requests.remove(a, b)
    state.blocks.add((v, t))
    _relationships_changed(state, v, t)
    return lists.relationship(state, viewer, target)


def unblock(state: State, viewer: str, target: str) -> dict:
    v, t = state.index_of_user(viewer), state.index_of_user(target)
    state.blocks.discard((v, t))
    return lists.relationship(state, viewer, target)


def like(state: State, uid: str, mid: str) -> None:
    """`uid` likes `mid` (no-op if it already does)."""
    user, index = state.index_of_user(uid), state.index_of_media(mid)
    if state.likes.add(user, index):
        _likes_changed(state, user, index)


def unlike(state: State, uid: str, mid: str) -> None:
    user, index = state.index_of_user(uid), state.index_of_media(mid)
    if state.likes.remove(user, index):
        _likes_changed(state, user, index)


def comment(state: State, uid: str, mid: str, text: str) -> dict:
    """`uid` comments `text` on `mid` now; returns the Comment object."""
    u, index = state.index_of_user(uid), state.index_of_media(mid)
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a comment needs some text")
    return shapes.comment(state, state.add_comment(u, index, state.now, -1, text))


def delete_comment(state: State, uid: str, mid: str, cid: str) -> None:
    """Delete comment `cid` of `mid`: allowed on one's own media or for one's own comment."""
    u = state.index_of_user(uid)
    ci = state.index_of_comment(mid, cid)
    index = int(state.comment_media[ci])
    if u not in (int(state.comment_user[ci]), int(state.media_owner[index])):
        raise NotAllowedError("you can delete only your own comments or comments on your media")
    state.deleted_comments.add(ci)
    state.deleted_per_media[index] = state.deleted_per_media.get(index, 0) + 1


def publish(state: State, uid: str, kind: int | None = None) -> str:
    """`uid` posts a new media now (of `kind`, else drawn as in `advance`); returns its id."""
    owner = state.index_of_user(uid)
    rng = np.random.default_rng([state.config.seed, 2000, len(state.media_owner)])
    index = add_media(state, rng, owner, state.now, kind)
    state.forget_all()  # a new media changes feeds, tag and place lists, popular
    return state.media_id(index)
