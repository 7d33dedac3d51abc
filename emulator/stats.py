"""Thread-safe request counters (`Emulator.stats`, `GET /_emulator/stats`)."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Counts the `/v1` requests served: in total, per endpoint ("GET /users/{id}/follows")
    and per HTTP status. Control-interface requests are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._by_endpoint: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()

    def record(self, endpoint: str, status: int) -> None:
        """Count one request to `endpoint` answered with `status`."""
        with self._lock:
            self._total += 1
            self._by_endpoint[endpoint] += 1
            self._by_status[status] += 1

    @property
    def total(self) -> int:
        """Requests served since the start or the last reset."""
        with self._lock:
            return self._total

    @property
    def by_endpoint(self) -> dict[str, int]:
        """Requests per "METHOD /path/template" (a copy)."""
        with self._lock:
            return dict(self._by_endpoint)

    @property
    def by_status(self) -> dict[int, int]:
        """Requests per HTTP status of the answer (a copy)."""
        with self._lock:
            return dict(self._by_status)

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._total = 0
            self._by_endpoint.clear()
            self._by_status.clear()

    def snapshot(self) -> dict:
        """All counters as one JSON-ready dict."""
        with self._lock:
            return {
                "total": self._total,
                "by_endpoint": dict(sorted(self._by_endpoint.items())),
                "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
            }
