"""What a reader yields: rows per raw table (`Rows`), merged table by table."""

from __future__ import annotations

from typing import Any

Rows = dict[str, list[dict[str, Any]]]


def merge_rows(target: Rows, more: Rows) -> Rows:
    """Append the rows of `more` to `target`, table by table."""
    for table, rows in more.items():
        target.setdefault(table, []).extend(rows)
    return target
