"""Reading lists: parallel producers, incremental media lists that survive being cut short,
and follow lists that are only loaded once complete."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .client import BudgetExhausted, InstagramClient, Page

# ---------------------------------------------------------------------------------------------
# Concurrency: several producers, one consumer (the dlt resource's thread)
# ---------------------------------------------------------------------------------------------

_DONE = object()


def fan_in(producers: list[Callable[[], Iterator[Any]]], workers: int) -> Iterator[Any]:
    """Run each producer on a thread pool and yield what they produce, as it comes.

    The queue is bounded, so producers wait for the consumer (memory stays flat). The first
    exception of a producer stops the others and is raised here.
    """
    if not producers:
        return
    results: queue.Queue[Any] = queue.Queue(maxsize=max(4, workers * 2))
    stop = threading.Event()

    def run(producer: Callable[[], Iterator[Any]]) -> None:
        try:
            for item in producer():
                while not stop.is_set():
                    try:
                        results.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as error:  # handed to the consumer, raised there
            results.put(_Failure(error))
        finally:
            results.put(_DONE)

    pool = ThreadPoolExecutor(min(workers, len(producers)), thread_name_prefix="instagram-list")
    try:
        for producer in producers:
            pool.submit(run, producer)
        running = len(producers)
        while running:
            item = results.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, _Failure):
                raise item.error
            else:
                yield item
    finally:
        stop.set()
        while True:  # unblock producers waiting on a full queue
            try:
                results.get_nowait()
            except queue.Empty:
                break
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class _Failure:
    error: BaseException


# ---------------------------------------------------------------------------------------------
# Media lists: incremental passes that survive being cut short
# ---------------------------------------------------------------------------------------------


@dataclass
class MediaList:
    """One newest-first media list (a user's media, a tag feed, ...) and how to read it.

    State (a dict kept in dlt resource state, JSON only, no URL):
      `marker`: id of the newest item of the last completed pass: a later pass stops there.
      `resume`: a pass cut short by the budget: `{"cursor", "top", "stop_at"}`.

    A run first finishes a pass that was cut short (from its saved cursor down to its
    `stop_at`), then reads from the top down to the newest marker. Nothing is skipped when a
    run stops early: the marker only moves once the pass below it is complete, so a repeat
    run with nothing new costs one request. With a look-back, the pass goes on past the marker while items are younger than
    the look-back, to refresh their counters.
    """

    key: str
    path: str
    family: str
    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)

    def read(self, client: InstagramClient, state: dict[str, Any], lookback_seconds: float) -> Iterator[Page]:
        """Pages of new items (and look-back items); updates `state` as pages are handed out."""
        try:
            resume = state.get("resume")
            if resume:
                yield from self._pass(client, state, resume["cursor"], resume["stop_at"], resume["top"], 0.0)
                state["marker"] = resume["top"]
                state.pop("resume", None)
            yield from self._pass(client, state, None, state.get("marker"), None, lookback_seconds)
        except BudgetExhausted:
            client.work_remaining = True

    def _pass(
        self,
        client: InstagramClient,
        state: dict[str, Any],
        cursor: str | None,
        stop_at: str | None,
        top: str | None,
        lookback_seconds: float,
    ) -> Iterator[Page]:
        reached_known = False
        for page in client.pages(self.path, self.family, self.params, cursor=cursor, endpoint=self.endpoint):
            boundary = page.observed_at.timestamp() - lookback_seconds
            items: list[dict[str, Any]] = []
            finished = page.next_cursor is None
            for item in page.items:
                reached_known = reached_known or str(item.get("id")) == stop_at
                if reached_known and not _younger_than(item, boundary):
                    finished = True
                    break
                items.append(item)
            if top is None and page.items:
                top = str(page.items[0].get("id"))
            # bookmarks first, then the page: both reach dlt's package together or not at all
            if finished:
                state.pop("resume", None)
                if top is not None and cursor is None:
                    state["marker"] = top
            else:
                state["resume"] = {"cursor": page.next_cursor, "top": top, "stop_at": stop_at}
            yield Page(items, page.next_cursor, page.observed_at)
            if finished:
                return


def _younger_than(item: Mapping[str, Any], boundary: float) -> bool:
    try:
        return int(item.get("created_time")) >= boundary
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# Follow lists: complete reads only, buffered across runs
# ---------------------------------------------------------------------------------------------


def read_follow_list(
    client: InstagramClient,
    list_key: str,
    path: str,
    endpoint: str,
    page_size: int,
    state: dict[str, Any],
) -> Iterator[tuple[list[dict[str, Any]], datetime, list[str] | None]]:
    """Pages of a follow list as `(users, observed_at, members)`; `members` is the complete
    membership on the last page, else None.

    A list is never loaded partially into `follow_edges` (that would retire edges that merely
    were not read yet). When the budget ends a run mid-list, the ids read so far and the
    cursor stay in `state` (`{"cursor", "members"}`), which dlt commits atomically with the
    pages' user rows; the next run continues from the cursor and emits the whole list once it
    is complete. Only interrupted lists are buffered, so state stays small.
    """
    cursor = state.get("cursor")
    members: list[str] = list(state.get("members", []))
    try:
        for page in client.pages(path, "cursor", {"count": page_size}, cursor=cursor, endpoint=endpoint):
            members.extend(str(user.get("id")) for user in page.items)
            complete = page.next_cursor is None
            if complete:
                state.clear()
            else:
                state.update(cursor=page.next_cursor, members=members)
            yield page.items, page.observed_at, (members if complete else None)
    except BudgetExhausted:
        client.work_remaining = True
