"""Where a run keeps the schedule rows it read and wrote: a private temporary SQLite database
(`RowStore`), on disk, so that a crawl of a million users fits in bounded memory."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .refresh_policy import COLUMNS as _COLUMNS


class RowStore:
    """Schedule rows in a private temporary SQLite database (on disk, deleted when closed): the
    warehouse's rows a run read (`snapshot`) and the run's own writes (`written`), found by key
    and by due time in memory bounded by SQLite's page cache, whatever the crawl's size.
    Timestamps are kept as whole microseconds, so that rows read back exactly as written. Not
    thread-safe: `Schedule` holds its lock around every call."""

    TABLES = ("snapshot", "written")
    _TIMES = frozenset({"created_at", "last_read_at", "next_due_at"})
    _CHUNK = 500  # keys per `IN (...)`, below SQLite's limit on parameters

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA temp_store = FILE")
        for table in self.TABLES:
            self._db.execute(f"CREATE TABLE {table} ({', '.join(_COLUMNS)}, PRIMARY KEY (entity_key)) WITHOUT ROWID")
            self._db.execute(f"CREATE INDEX {table}_due ON {table} (kind, active, next_due_at)")
        # the run's rows: its writes, and the snapshot's rows it did not write (SQLite pushes a
        # query's conditions into both halves, so each still searches its index)
        self._db.execute(
            f"CREATE VIEW current_rows AS SELECT {', '.join(_COLUMNS)} FROM written"
            f" UNION ALL SELECT {', '.join(_COLUMNS)} FROM snapshot AS s"
            " WHERE NOT EXISTS (SELECT 1 FROM written AS w WHERE w.entity_key = s.entity_key)"
        )
        # one transaction for the store's life: the database is private and never persisted,
        # and a commit per row would cost a journal write each
        self._db.execute("BEGIN")
        self._insert = {
            table: f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(_COLUMNS))})" for table in self.TABLES
        }
        self._select = ", ".join(_COLUMNS)

    def put(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        self._db.executemany(
            self._insert[table],
            ([_microseconds(row[c]) if c in self._TIMES else row[c] for c in _COLUMNS] for row in rows),
        )

    def get(self, keys: Sequence[str], tables: Sequence[str] = TABLES) -> dict[str, dict[str, Any]]:
        """The rows of `keys` in `tables`, this run's writes over the snapshot's."""
        found: dict[str, dict[str, Any]] = {}
        for table in tables:  # the writes last: they replace the snapshot's rows
            for start in range(0, len(keys), self._CHUNK):
                chunk = keys[start : start + self._CHUNK]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT {self._select} FROM {table} WHERE entity_key IN ({marks})"
                found.update((row["entity_key"], row) for row in self._rows(sql, chunk))
        return found

    def written(self, kind: str | None = None) -> list[dict[str, Any]]:
        """This run's writes (of `kind`), by key."""
        where = " WHERE kind = ?" if kind else ""
        return self._rows(f"SELECT {self._select} FROM written{where} ORDER BY entity_key", (kind,) if kind else ())

    def due(self, kind: str, now: datetime, parent: str | None) -> list[dict[str, Any]]:
        """Active rows of `kind` (and `parent`) due at `now`, the writes over the snapshot's."""
        condition = "kind = ? AND active AND next_due_at <= ?" + ("" if parent is None else " AND parent = ?")
        params = (kind, _microseconds(now)) + (() if parent is None else (parent,))
        return self._rows(f"SELECT {self._select} FROM current_rows WHERE {condition}", params)

    def within_policy(self, kind: str, now: datetime) -> dict[str, tuple[int, int]]:
        """Per kind of list (the `parent` before ':'), how many rows of `kind` are not overdue at
        `now`, of how many; the writes over the snapshot's."""
        sql = (
            "SELECT substr(parent, 1, instr(parent || ':', ':') - 1) AS list,"
            " sum(NOT (active AND next_due_at <= ?)), count(*)"
            " FROM current_rows WHERE kind = ? GROUP BY list ORDER BY list"
        )
        found = self._db.execute(sql, (_microseconds(now), kind)).fetchall()
        return {list_kind: (fresh, total) for list_kind, fresh, total in found if list_kind}

    def read_since(self, started: datetime) -> dict[str, int]:
        """How many rows of each kind this run wrote with a read at or after `started`."""
        sql = "SELECT kind, count(*) FROM written WHERE last_read_at >= ? GROUP BY kind ORDER BY kind"
        return dict(self._db.execute(sql, (_microseconds(started),)).fetchall())

    def _rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        rows = []
        for values in self._db.execute(sql, params):
            row = dict(zip(_COLUMNS, values))
            for column in self._TIMES:
                if row[column] is not None:
                    row[column] = _EPOCH + timedelta(microseconds=row[column])
            row["active"] = bool(row["active"])
            rows.append(row)
        return rows


def _microseconds(moment: datetime | None) -> int | None:
    """`moment` as whole microseconds since the epoch (exact, where a float is not)."""
    if moment is None:
        return None
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
