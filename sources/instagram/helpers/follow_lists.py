"""Follow lists: complete reads only, buffered across runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...common.errors import BudgetExhausted
from .client import PagingClient


def read_follow_list(
    client: PagingClient,
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
        client.status.work_remains()
