"""The world's state: every store built from the generated snapshot, the clock, the ids and
the cache of computed answers. The other parts of the world (`lists`, `shapes`, `search`,
`writes`, `evolution`, `facts`) read and change it; `emulator.world.World` is their façade.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .generate import CAPTIONS, COMMENTS, DAY, RECENT_POSTING_DAYS, WorldConfig, generate, tag_mixtures
from .store import Column, Groups, Relation, Side, index_of

# Media ids are "{n}_{owner id}" with n = (milliseconds since Instagram's epoch << 23) | index,
# like the real ones: sortable by time, and the low bits give the media back without a lookup.
INSTAGRAM_EPOCH_MS = 1314220021721
MEDIA_INDEX_BITS = 23
MEDIA_INDEX_MASK = (1 << MEDIA_INDEX_BITS) - 1
COMMENT_ID_BASE = 17_841_000_000_000_000
CAPTION_ID_BASE = 17_900_000_000_000_000
TAG_SEQUENCE_BASE = 1_000_000_000_000
CACHE_SIZE = 4096  # cached lists (per user, media, tag, place), least recently used dropped


class State:
    """The stores of one world (numpy columns plus small change overlays) and its clock.

    Not thread-safe on its own: `World` runs every call under its lock.
    """

    def __init__(self, config: WorldConfig):
        self.config = config
        snap = generate(config)
        self.snap = snap
        self.now: int = config.start
        self.advances = 0
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self.tag_mixtures = tag_mixtures(config)  # per community: each tag's probability

        # users
        self.user_count = len(snap.user_id)
        self.user_ids: tuple[str, ...] = tuple(str(v) for v in snap.user_id.tolist())
        self.user_index = {uid: i for i, uid in enumerate(self.user_ids)}
        self.private = snap.is_private

        # relationships
        n = self.user_count
        self.follows = Relation(snap.follow_src, snap.follow_dst, n, n)
        self.requests = Relation(snap.request_src, snap.request_dst, n, n)
        self.blocks: set[tuple[int, int]] = set()

        # places and tags
        self.location_ids = tuple(str(v) for v in snap.location_id.tolist())
        self.location_index = {lid: i for i, lid in enumerate(self.location_ids)}
        self.geography_ids = tuple(str(v) for v in snap.geography_id.tolist())
        self.geography_index = {gid: i for i, gid in enumerate(self.geography_ids)}
        self.tag_index = {name: i for i, name in enumerate(snap.tag_name)}

        # media (index order is time order, for the initial media and every later one)
        media_count = len(snap.media_owner)
        if media_count > MEDIA_INDEX_MASK:
            raise ValueError(
                f"{media_count} media exceed the {MEDIA_INDEX_MASK} that media ids can address; "
                "lower WorldConfig.users or media_per_user"
            )
        self.media_owner = Column(snap.media_owner)
        self.media_time = Column(snap.media_time)
        self.media_type = Column(snap.media_type)
        self.media_filter = Column(snap.media_filter)
        self.media_location = Column(snap.media_location)
        self.media_caption = Column(snap.media_caption)
        self.media_carousel_size = Column(snap.media_carousel_size)
        self.media_tag_start = Column(np.concatenate([[0], np.cumsum(snap.media_tag_count)]))
        self.tag_flat = Column(snap.tag_flat)
        self.tagging_media = Column(np.repeat(np.arange(media_count), snap.media_tag_count))
        self.media_photo_start = Column(np.concatenate([[0], np.cumsum(snap.media_photo_user_count)]))
        self.photo_user = Column(snap.photo_user_flat)
        self.photo_x = Column(snap.photo_x_flat)
        self.photo_y = Column(snap.photo_y_flat)
        self.media_by_owner = Groups(snap.media_owner, n)
        # Public discovery lists (tags, places, search, popular) leave private accounts out.
        public_media = ~snap.is_private[snap.media_owner]
        located = np.flatnonzero(public_media & (snap.media_location >= 0))
        self.media_by_location = Groups(snap.media_location[located], len(self.location_ids), located)
        self.media_by_geography = Groups(
            snap.location_geography[snap.media_location[located]], len(self.geography_ids), located
        )
        public_taggings = np.flatnonzero(np.repeat(public_media, snap.media_tag_count))
        self.taggings_by_tag = Groups(snap.tag_flat[public_taggings], len(self.tag_index), public_taggings)

        # engagement
        self.likes = Relation(snap.like_user, snap.like_media, n, media_count)
        self.comment_media = Column(snap.comment_media)
        self.comment_user = Column(snap.comment_user)
        self.comment_time = Column(snap.comment_time)
        self.comment_phrase = Column(snap.comment_text)
        self.comment_custom_text: dict[int, str] = {}
        self.comments_by_media = Groups(snap.comment_media, media_count)
        self.deleted_comments: set[int] = set()
        self.deleted_per_media: dict[int, int] = {}

    # ----------------------------------------------------------------- the cache

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
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

    def forget(self, *keys: tuple) -> None:
        for key in keys:
            self._cache.pop(key, None)

    def forget_all(self) -> None:
        self._cache.clear()

    # ----------------------------------------------------------------- ids and indices

    def index_of_user(self, uid: str) -> int:
        """User index of `uid`; KeyError if unknown."""
        return index_of(self.user_index, uid, "user id")

    def index_of_tag(self, name: str) -> int:
        """Tag index of `name`; KeyError if unknown."""
        return index_of(self.tag_index, name, "tag")

    def index_of_location(self, lid: str) -> int:
        """Location index of `lid`; KeyError if unknown."""
        return index_of(self.location_index, lid, "location id")

    def index_of_geography(self, gid: str) -> int:
        """Geography index of `gid`; KeyError if unknown."""
        return index_of(self.geography_index, gid, "geography id")

    def index_of_media(self, mid: str) -> int:
        """Media index of a media id; KeyError unless the id is exactly one this world made."""
        try:
            n = int(str(mid).split("_", 1)[0])
        except ValueError:
            raise KeyError(f"unknown media id {mid!r}") from None
        index = n & MEDIA_INDEX_MASK
        if index >= len(self.media_owner) or self.media_id(index) != mid:
            raise KeyError(f"unknown media id {mid!r}")
        return index

    def index_of_comment(self, mid: str, cid: str) -> int:
        """Comment index of `cid` on `mid`; KeyError if there is no such live comment."""
        index = self.index_of_media(mid)
        try:
            ci = int(cid) - COMMENT_ID_BASE
        except (TypeError, ValueError):
            raise KeyError(f"unknown comment id {cid!r}") from None
        if not self.comment_live(ci) or int(self.comment_media[ci]) != index:
            raise KeyError(f"unknown comment id {cid!r} on media {mid!r}")
        return ci

    def media_numbers(self, indices: np.ndarray) -> np.ndarray:
        """The numeric part of media ids (the time in ms, made unique by the index)."""
        ms = self.media_time.values[indices] * 1000 + indices % 1000
        return ((ms - INSTAGRAM_EPOCH_MS) << MEDIA_INDEX_BITS) | indices

    def media_n(self, index: int) -> int:
        return int(self.media_numbers(np.array([index], dtype=np.int64))[0])

    def media_ids(self, indices: np.ndarray | list[int]) -> list[str]:
        indices = np.asarray(indices, dtype=np.int64)
        numbers = self.media_numbers(indices).tolist()
        owners = self.media_owner.values[indices].tolist()
        ids = self.user_ids
        return [f"{n}_{ids[o]}" for n, o in zip(numbers, owners)]

    def media_id(self, index: int) -> str:
        return self.media_ids([index])[0]

    def user_listing(self, side: Side, key: int) -> tuple[tuple[int, str], ...]:
        """(seq, user id) pairs of one side of a relation, newest first."""
        seqs, others = side.listing(key)
        ids = self.user_ids
        return tuple(zip(seqs.tolist(), (ids[o] for o in others.tolist())))

    # ----------------------------------------------------------------- facts read in several places

    def tags_of(self, index: int) -> list[str]:
        """Tag names of media index `index`, in the order they were applied."""
        lo, hi = int(self.media_tag_start[index]), int(self.media_tag_start[index + 1])
        return [self.snap.tag_name[t] for t in self.tag_flat.values[lo:hi].tolist()]

    def caption_text(self, index: int) -> str | None:
        """The caption of media index `index` (its phrase and its tags), or None."""
        phrase = int(self.media_caption[index])
        if phrase < 0:
            return None
        return " ".join([CAPTIONS[phrase], *(f"#{t}" for t in self.tags_of(index))])

    def comment_count(self, index: int) -> int:
        """Live comments of media index `index`."""
        return self.comments_by_media.count(index) - self.deleted_per_media.get(index, 0)

    def live_comments(self, index: int) -> list[int]:
        """Live comment indices of media index `index`, oldest first."""
        items = self.comments_by_media.items(index).tolist()
        if index in self.deleted_per_media:
            items = [ci for ci in items if ci not in self.deleted_comments]
        return items

    def comment_live(self, ci: int) -> bool:
        return 0 <= ci < len(self.comment_media) and ci not in self.deleted_comments

    def comment_text(self, ci: int) -> str:
        text = self.comment_custom_text.get(ci)
        return COMMENTS[int(self.comment_phrase[ci])] if text is None else text

    def add_comment(self, user: int, index: int, time: int, phrase: int, text: str | None = None) -> int:
        """Store a comment (a phrase of COMMENTS, or `text`); return its comment index."""
        ci = self.comment_media.append(index)
        self.comment_user.append(user)
        self.comment_time.append(time)
        self.comment_phrase.append(phrase)
        if text is not None:
            self.comment_custom_text[ci] = text
        self.comments_by_media.add(index, ci)
        return ci

    def best_connected_user(self) -> str:
        """The public user with media best connected both ways, one that posted in the last
        RECENT_POSTING_DAYS first (ties: the oldest account); in a world without such a user,
        the first account."""
        follows = self.follows.forward.counts.values
        followers = self.follows.backward.counts.values
        media = self.media_by_owner.counts(self.user_count)
        recent = self.media_time.values > self.now - RECENT_POSTING_DAYS * DAY
        posted_lately = np.bincount(self.media_owner.values[recent], minlength=self.user_count) > 0
        score = np.minimum(follows, followers).astype(np.float64)
        score[~posted_lately] -= followers.max(initial=0) + 1
        score[self.private | (media == 0)] = -np.inf
        return self.user_ids[int(np.argmax(score))]
