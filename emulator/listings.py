"""Keyed views of the world's newest-first lists, for paging (see `emulator.paging`).

The world returns plain id lists; paging needs a strictly decreasing integer key per item
that survives changes to the world:

- media lists (user media, feed, locations, geographies): the media's creation index, which
  the world encodes in the low bits of the media id (`state.MEDIA_INDEX_MASK`) and which
  grows with time; so `max_id` / `min_id` work even for an id no longer in the list;
- tags: the world's tag sequence ids (follow lists and likes need no view: the world
  gives them with their edge sequence numbers, `*_with_seq`).

The world caches each list until it changes, so keyed views are cached by the identity of
the list they were built from: rebuilt exactly when the world rebuilt the list.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from . import errors
from .state import MEDIA_INDEX_MASK
from .world import World

Entries = Sequence[tuple[int, str]]


def media_key(media_id: str) -> int:
    """The ordering key of a media id (its creation index); raises the API's parameter error
    for ids this world cannot have made."""
    head = media_id.split("_", 1)[0]
    if not (head.isascii() and head.isdigit()):  # "²".isdigit() is True, int("²") fails
        raise errors.invalid_parameters(f"Invalid media id {media_id}.")
    return int(head) & MEDIA_INDEX_MASK


class Listings:
    """Keyed, cached views of one world's lists. Thread-safe."""

    _CACHED_VIEWS = 1024

    def __init__(self, world: World):
        self.world = world
        self._views: OrderedDict[tuple[str, int], tuple[object, object]] = OrderedDict()
        self._lock = threading.Lock()

    def _view(self, kind: str, source: object, build: Callable[[], object]) -> object:
        key = (kind, id(source))
        with self._lock:
            cached = self._views.get(key)
            # The source is kept alive in the entry, so its id cannot be reused meanwhile.
            if cached is not None and cached[0] is source:
                self._views.move_to_end(key)
                return cached[1]
        view = build()
        with self._lock:
            self._views[key] = (source, view)
            while len(self._views) > self._CACHED_VIEWS:
                self._views.popitem(last=False)
        return view

    def media(self, media_ids: list[str]) -> Entries:
        """(key, media id) for a newest-first media list of the world."""
        return self._view("media", media_ids, lambda: [(media_key(m), m) for m in media_ids])

    def liked_set(self, user_id: str) -> frozenset[str]:
        """The media ids `user_id` likes (for `user_has_liked`)."""
        liked = self.world.liked_media_with_seq(user_id)
        return self._view("liked_set", liked, lambda: frozenset(mid for _, mid in liked))

    def tag(self, name: str) -> Entries:
        """(tag sequence id, media id) of the tag's media, newest tagging first."""
        tagged = self.world.tag_media(name)
        return self._view("tag", tagged, lambda: [(int(seq), m) for seq, m in tagged])
