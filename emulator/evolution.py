"""How the world evolves: `advance` moves the clock and applies a deterministic batch of new
media, follows, unfollows, likes and comments drawn from the seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from .generate import (
    CAPTIONS,
    COMMENTS,
    DAY,
    FILTERS,
    MEDIA_CAROUSEL,
    MEDIA_IMAGE,
    MEDIA_VIDEO,
    RECENT_POSTING_DAYS,
    csr,
)
from .state import COMMENT_ID_BASE, MEDIA_INDEX_MASK, State

# Who posts, and how much, follows the world's posting spans (generate.py): the users that
# posted in the last RECENT_POSTING_DAYS, at that pace; one that did not posts rarely.
INACTIVE_WEIGHT = 0.05
# A day's follows and unfollows, as shares of the follow edges: about 1 % net follower growth a
# month, in the range established accounts show (docs/emulator.md, "The world's numbers").
FOLLOW_RATE = 0.0006
UNFOLLOW_RATE = 0.0003


def add_media(state: State, rng: np.random.Generator, owner: int, time: int, forced_kind: int | None = None) -> int:
    """Store a new media of `owner` at `time`, its facts drawn from `rng`; return its index."""
    config = state.config
    index = state.media_owner.append(owner)
    if index > MEDIA_INDEX_MASK:
        raise OverflowError("the world holds as many media as media ids can address")
    state.media_time.append(time)
    draw = rng.random()
    kind = (
        MEDIA_VIDEO
        if draw < config.video_share
        else (MEDIA_CAROUSEL if draw < config.video_share + config.carousel_share else MEDIA_IMAGE)
    )
    if forced_kind is not None:  # a published media: the draw above still happens (same stream)
        kind = forced_kind
    state.media_type.append(kind)
    state.media_filter.append(rng.integers(0, len(FILTERS)))
    state.media_carousel_size.append(rng.integers(2, 6) if kind == MEDIA_CAROUSEL else 0)
    captioned = rng.random() < config.captioned_share
    state.media_caption.append(rng.integers(0, len(CAPTIONS)) if captioned else -1)
    tag_count = min(8, int(rng.poisson(config.tags_per_media))) if captioned else 0
    mixture = state.tag_mixtures[state.snap.community[owner]]
    tags = sorted(set(rng.choice(config.tags, tag_count, p=mixture).tolist()))
    public = not state.private[owner]
    for tag in tags:
        tagging = state.tag_flat.append(tag)
        state.tagging_media.append(index)
        if public:
            state.taggings_by_tag.add(tag, tagging)
    state.media_tag_start.append(len(state.tag_flat))
    location = -1
    if rng.random() < config.located_share:
        location = int(rng.integers(0, len(state.location_ids)))
        if public:
            state.media_by_location.add(location, index)
            state.media_by_geography.add(int(state.snap.location_geography[location]), index)
    state.media_location.append(location)
    state.media_by_owner.add(owner, index)
    state.likes.backward.counts.append(0)
    followed = state.follows.forward.listing(owner)[1]
    if kind != MEDIA_VIDEO and len(followed) and rng.random() < config.users_in_photo_share:
        for user in sorted(set(rng.choice(followed, min(3, len(followed)), replace=False).tolist())):
            state.photo_user.append(user)
            state.photo_x.append(rng.integers(50, 951))
            state.photo_y.append(rng.integers(50, 951))
    state.media_photo_start.append(len(state.photo_user))
    return index


class Evolution:
    """Draws the changes of one world as its clock moves, with the popularity tables the
    draws need (fixed by the seed)."""

    def __init__(self, state: State):
        self._state = state
        snap = state.snap
        self._community_ptr, self._community_members = csr(snap.community, state.config.communities)
        self._community_cumulative = np.cumsum(snap.popularity[self._community_members])
        self._popularity_cumulative = np.cumsum(snap.popularity)

    def _popular_user(self, rng: np.random.Generator, community: int) -> int:
        """A user drawn by popularity, inside `community` most of the time."""
        if rng.random() < self._state.config.intra_community_share:
            lo, hi = self._community_ptr[community], self._community_ptr[community + 1]
            if hi > lo:
                start = self._community_cumulative[lo - 1] if lo > 0 else 0.0
                draw = start + rng.random() * (self._community_cumulative[hi - 1] - start)
                position = min(int(np.searchsorted(self._community_cumulative, draw, side="right")), hi - 1)
                return int(self._community_members[position])
        draw = rng.random() * self._popularity_cumulative[-1]
        return min(int(np.searchsorted(self._popularity_cumulative, draw, side="right")), self._state.user_count - 1)

    def _recent_media(self, rng: np.random.Generator) -> int:
        """A media index, recent media being much more likely."""
        total = len(self._state.media_owner)
        return max(0, total - 1 - int(rng.exponential(max(20.0, total * 0.02))))

    def _engaging_user(self, rng: np.random.Generator, owner: int, from_followers: float) -> int:
        followers = self._state.follows.backward.listing(owner)[1]
        if len(followers) and rng.random() < from_followers:
            return int(followers[rng.integers(0, len(followers))])
        return int(rng.integers(0, self._state.user_count))

    def _recent_posts(self, now: int) -> np.ndarray:
        """Per user, its media of the last RECENT_POSTING_DAYS before `now`."""
        state = self._state
        recent = state.media_time.values > now - RECENT_POSTING_DAYS * DAY
        return np.bincount(state.media_owner.values[recent], minlength=state.user_count).astype(float)

    def default_rates(self, days: float) -> dict[str, float]:
        """Expected changes in `days`, proportional to the size of the world."""
        snap, history = self._state.snap, self._state.config.history_days
        return {
            # the pace the world has been posting at lately
            "new_media": self._recent_posts(self._state.now).sum() / RECENT_POSTING_DAYS * days,
            "new_follows": FOLLOW_RATE * len(snap.follow_src) * days,
            "unfollows": UNFOLLOW_RATE * len(snap.follow_src) * days,
            "new_likes": 1.5 * len(snap.like_user) / history * days,
            "new_comments": 1.5 * len(snap.comment_media) / history * days,
        }

    def advance(self, seconds: int, counts: dict[str, int | None]) -> dict:
        """Move the clock by `seconds` and apply the changes (see `World.advance`); `counts`
        names each kind of change, None for the default rate."""
        state = self._state
        if seconds < 0:
            raise ValueError("the world clock only moves forward")
        rng = np.random.default_rng([state.config.seed, 1000, state.advances])
        state.advances += 1
        expected = self.default_rates(seconds / DAY)
        wanted = {
            name: int(rng.poisson(rate)) if counts[name] is None else int(counts[name])
            for name, rate in expected.items()
        }
        if any(count < 0 for count in wanted.values()):
            raise ValueError("advance() counts must not be negative")
        start, end = state.now, state.now + int(seconds)
        ids = state.user_ids

        def times(count: int) -> list[int]:
            drawn = rng.integers(start + 1, end + 1, count) if end > start else np.full(count, end)
            return np.sort(drawn).tolist()

        summary: dict[str, Any] = {"from": start, "to": end}
        # who posts is who has been posting lately (the world's posting spans, generate.py)
        activity = self._recent_posts(start) + INACTIVE_WEIGHT
        owners = rng.choice(state.user_count, wanted["new_media"], p=activity / activity.sum())
        summary["new_media"] = [
            state.media_id(add_media(state, rng, int(owner), time))
            for owner, time in zip(owners.tolist(), times(wanted["new_media"]))
        ]

        follows, requests = [], []
        for _ in range(20 * wanted["new_follows"] + 20):
            if len(follows) == wanted["new_follows"]:
                break
            follower = int(rng.integers(0, state.user_count))
            target = self._popular_user(rng, int(state.snap.community[follower]))
            if (
                follower == target
                or state.follows.contains(follower, target)
                or (target, follower) in state.blocks
                or (follower, target) in state.blocks
            ):
                continue
            if state.private[target]:
                if state.requests.add(follower, target):
                    requests.append((ids[follower], ids[target]))
            else:
                state.follows.add(follower, target)
                follows.append((ids[follower], ids[target]))
        summary["new_follows"], summary["new_requests"] = follows, requests

        removed = []
        for _ in range(wanted["unfollows"]):
            out = state.follows.forward.counts.values
            total = int(out.sum())
            if total == 0:
                break
            follower = int(np.searchsorted(np.cumsum(out), rng.integers(0, total), side="right"))
            followed = state.follows.forward.listing(follower)[1]
            target = int(followed[rng.integers(0, len(followed))])
            state.follows.remove(follower, target)
            removed.append((ids[follower], ids[target]))
        summary["unfollows"] = removed

        likes = []
        for _ in range(20 * wanted["new_likes"] + 20):
            if len(likes) == wanted["new_likes"]:
                break
            index = self._recent_media(rng)
            owner = int(state.media_owner[index])
            user = self._engaging_user(rng, owner, 0.85)
            if user != owner and state.likes.add(user, index):
                likes.append((ids[user], state.media_id(index)))
        summary["new_likes"] = likes

        comments = []
        for time in times(wanted["new_comments"]):
            index = self._recent_media(rng)
            user = self._engaging_user(rng, int(state.media_owner[index]), 0.7)
            time = max(time, int(state.media_time[index]) + 1)
            ci = state.add_comment(user, index, min(time, end), int(rng.integers(0, len(COMMENTS))))
            comments.append((state.media_id(index), str(COMMENT_ID_BASE + ci)))
        summary["new_comments"] = comments

        state.now = end
        state.forget_all()
        return summary
