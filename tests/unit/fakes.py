"""Scripted stand-ins for the HTTP client: lists served page by page and a request budget."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sources.common.errors import BudgetExhausted, InstagramNotAllowed, InstagramNotFound
from sources.common.http_client import Answer
from sources.common.status import RunStatus
from sources.instagram.helpers.client import Page

NOW = datetime(2016, 3, 1, 12, 0, tzinfo=UTC)


class Budget:
    """`requests` requests per run (None: unlimited); once out, every later request is refused."""

    def __init__(self, requests: int | None = None):
        self.left = requests
        self.made = 0
        self.exhausted = False
        self._lock = threading.Lock()

    def spend(self) -> None:
        with self._lock:
            if self.exhausted or (self.left is not None and self.left <= 0):
                self.exhausted = True
                raise BudgetExhausted()
            if self.left is not None:
                self.left -= 1
            self.made += 1

    @property
    def remaining(self) -> int | None:
        """Requests left (None: unlimited), as `RateBudget.remaining`."""
        return self.left


class FeedClient:
    """Serves one newest-first list of items; `max_id`-style cursors (the id of the last item
    handed out): the next page holds the items older than the cursor, so items added at the top
    between runs do not shift the pages below."""

    workers = 1

    def __init__(self, items: list[dict[str, Any]], page_size: int, budget: Budget | None = None):
        self.items = items
        self.page_size = page_size
        self.budget = budget or Budget()
        self.status = RunStatus()
        self.cursors: list[str | None] = []

    def pages(
        self,
        path: str,
        family: str,
        params: Mapping[str, Any] | None = None,
        *,
        cursor: str | None = None,
        endpoint: str = "",
    ) -> Iterator[Page]:
        while True:
            self.budget.spend()
            self.cursors.append(cursor)
            below = [i for i in self.items if cursor is None or int(i["id"]) < int(cursor)]
            page = below[: self.page_size]
            more = len(below) > self.page_size
            next_cursor = page[-1]["id"] if more else None
            yield Page([dict(i) for i in page], next_cursor, NOW)
            if next_cursor is None:
                return
            cursor = next_cursor


def media(media_id: int, age_seconds: float = 10_000) -> dict[str, Any]:
    return {"id": str(media_id), "created_time": str(int(NOW.timestamp() - age_seconds))}


class GraphClient:
    """Serves profiles (`get`) and follow lists (`pages`, offset cursors) of a scripted graph.

    `follows`/`followed_by`: user id → member ids; `private`: profiles refused; `self_only`: the
    lists of any user but `self` (and its real id) are refused; `delay`: user id → seconds each
    of its requests takes (to change the order in which parallel reads finish); `now`: the
    server's clock, the time of every answer (move it between runs to make things due). A
    profile's `counts` hold the lengths of its lists, as a v1 server's do. Answers before the
    first one are told by `server_now()`, whose probe costs one request (`probes`)."""

    def __init__(
        self,
        follows: dict[str, list[str]],
        followed_by: dict[str, list[str]] | None = None,
        *,
        page_size: int = 2,
        self_id: str = "100",
        private: set[str] | None = None,
        self_only: bool = False,
        budget: Budget | None = None,
        workers: int = 4,
        delay: Callable[[str], float] | None = None,
        now: datetime = NOW,
    ):
        self.lists = {"follows": follows, "followed-by": followed_by or {}}
        self.page_size = page_size
        self.self_id = self_id
        self.private = private or set()
        self.self_only = self_only
        self.budget = budget or Budget()
        self.workers = workers
        self.delay = delay or (lambda uid: 0.0)
        self.status = RunStatus()
        self.now = now
        self.first_observed_at: datetime | None = None
        self.probes = 0
        self._latest_answer: datetime | None = None
        self.profiles_read: list[str] = []
        self.list_pages: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()

    def _real(self, uid: str) -> str:
        return self.self_id if uid == "self" else uid

    def _answered(self) -> datetime:
        with self._lock:
            self._latest_answer = self.now
            if self.first_observed_at is None:
                self.first_observed_at = self.now
        return self.now

    def server_now(self, probe: bool = True) -> datetime | None:
        """The time of the latest answer; before any, with `probe`, one request to learn it."""
        if self._latest_answer is None and probe:
            self.budget.spend()
            with self._lock:
                self.probes += 1
            self._answered()
        return self._latest_answer

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, endpoint: str = "") -> Answer:
        uid = path.split("/")[2]
        self.budget.spend()
        self._wait(uid)
        with self._lock:
            self.profiles_read.append(uid)
        real = self._real(uid)
        observed_at = self._answered()
        known = set(self.lists["follows"]) | set(self.lists["followed-by"]) | {self.self_id}
        known |= {m for lists in self.lists.values() for members in lists.values() for m in members}
        if real not in known:
            raise InstagramNotFound("no such user", endpoint=endpoint, error_type="APINotFoundError")
        if real in self.private:
            raise InstagramNotAllowed("private", endpoint=endpoint, error_type="APINotAllowedError")
        counts = {"media": 1, "follows": len(self.lists["follows"].get(real, []))}
        counts["followed_by"] = len(self.lists["followed-by"].get(real, []))
        return Answer({"id": real, "username": f"user{real}", "bio": "", "counts": counts}, {}, observed_at)

    def pages(
        self,
        path: str,
        family: str,
        params: Mapping[str, Any] | None = None,
        *,
        cursor: str | None = None,
        endpoint: str = "",
    ) -> Iterator[Page]:
        _, _, uid, kind = path.split("/")
        real = self._real(uid)
        members = self.lists[kind].get(real, [])
        while True:
            self.budget.spend()
            self._wait(uid)
            with self._lock:
                self.list_pages.append((real, kind, cursor))
            observed_at = self._answered()
            if self.self_only and uid != "self" and real != self.self_id:
                raise InstagramNotAllowed(
                    "you cannot view this resource", endpoint=endpoint, error_type="APINotAllowedError"
                )
            start = int(cursor or 0)
            end = start + self.page_size
            next_cursor = str(end) if end < len(members) else None
            yield Page([{"id": m, "username": f"user{m}"} for m in members[start:end]], next_cursor, observed_at)
            if next_cursor is None:
                return
            cursor = next_cursor

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """`function` over `items`, one after the other (the real client uses its workers)."""
        return map(function, items)

    def _wait(self, uid: str) -> None:
        seconds = self.delay(uid)
        if seconds:
            threading.Event().wait(seconds)
