"""Reading a newest-first list incrementally (instagram-graph/API.md §2, §3): each run reads from
the top down to the *bookmark*, the newest item of the last complete read, and no further.

A read cut short (the budget, a stop request) is resumed by the next run from the cursor of the
page it was about to read, before that run starts a read of its own from the top; the bookmark
moves only when a read is complete, so a stop at any moment leaves no gap, and what is read twice
is merged on its key. A cursor gone stale (its item deleted, §3) starts the read again from the
top. The account's own media list (`media.py`) reads the same way, and on below the bookmark
while media whose counters are due lie further down.

State per list: `{"bookmark": {"timestamp", "ids"}, "pass": {"top": {"timestamp", "ids"},
"cursor": {parameter: value}}}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from ...common.errors import InstagramBadRequest
from .shaping import graph_time

logger = logging.getLogger("sources.instagram_graph")


class ListPage(Protocol):
    """One page of a newest-first list: its items, and the cursor parameters of the next page
    (None: the list ends here)."""

    @property
    def items(self) -> list[dict[str, Any]]: ...

    @property
    def next_cursor(self) -> dict[str, str] | None: ...


Page = TypeVar("Page", bound=ListPage)


def read_newest_first(
    what: str, state: dict[str, Any], pages: Callable[[Mapping[str, str] | None], Iterator[Page]]
) -> Iterator[Page]:
    """The pages a run reads of the list `what` (named in log lines): first the rest of a read an
    earlier run cut short, then a read of its own from the top down to the bookmark. `pages(cursor)`
    gives the list's pages from the one `cursor` names (None: the top). `state` is updated before
    each page is handed on."""
    pending = state.get("pass")
    if pending is not None:
        try:
            yield from _read(state, pending["top"], pending["cursor"], pages)
        except InstagramBadRequest as error:  # a stale cursor: read from the top
            logger.warning(
                "%s: the read an earlier run began cannot be resumed (%s); reading from the top", what, error
            )
            state.pop("pass", None)
    if state.get("pass") is None:
        yield from _read(state, None, None, pages)


def _read(
    state: dict[str, Any],
    top: dict[str, Any] | None,
    cursor: Mapping[str, str] | None,
    pages: Callable[[Mapping[str, str] | None], Iterator[Page]],
) -> Iterator[Page]:
    bookmark = state.get("bookmark")
    for page in pages(cursor):
        if top is None and page.items:
            top = position(page.items[0])
        done = page.next_cursor is None or any(is_old(item, bookmark) for item in page.items)
        if done:
            state.pop("pass", None)
            if top is not None:
                state["bookmark"] = top
        else:
            state["pass"] = {"top": top, "cursor": page.next_cursor}
        yield page
        if done:
            return


def position(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's place in a newest-first list: its time, and its id (items can share a second)."""
    return {"timestamp": item.get("timestamp"), "ids": [str(item.get("id"))]}


def is_old(item: Mapping[str, Any], bookmark: Mapping[str, Any] | None) -> bool:
    """Whether an item was read by an earlier complete read: at or below the bookmark."""
    if bookmark is None:
        return False
    created, marked = graph_time(item.get("timestamp")), graph_time(bookmark["timestamp"])
    if created is None or marked is None:
        return False
    return created < marked or (created == marked and str(item.get("id")) in bookmark["ids"])
