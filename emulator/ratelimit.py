"""Sliding-window request counting, per key (docs/api.md §5).

The window runs on the real (monotonic) clock, not the world clock: a rate limit is about how
fast a client calls, and a client that backs off must see its allowance come back.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowCount:
    """The state of one key's window right after a request was counted."""

    limit: int
    made: int  # requests in the window, this one included

    @property
    def exceeded(self) -> bool:
        return self.made > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.made)


class SlidingWindow:
    """Counts requests per key over the last `window` seconds.

    Every request counts, refused ones included (the real API counted invalid requests too),
    so a client that keeps calling while limited stays limited.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        if limit < 0 or window <= 0:
            raise ValueError("rate limit must be >= 0 and its window > 0 seconds")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> WindowCount:
        """Count one request for `key` and return the window's state."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            self._forget_before(hits, now - self.window)
            hits.append(now)
            return WindowCount(self.limit, len(hits))

    def regain_seconds(self, key: str) -> float:
        """Seconds until `key` is back within its limit (0 if it is): the Graph mode's
        `estimated_time_to_regain_access`."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) <= self.limit:
                return 0.0
            return max(0.0, hits[len(hits) - self.limit - 1] + self.window - now)

    def reset(self) -> None:
        """Forget every request counted so far."""
        with self._lock:
            self._hits.clear()

    @staticmethod
    def _forget_before(hits: deque[float], cutoff: float) -> None:
        while hits and hits[0] <= cutoff:
            hits.popleft()
