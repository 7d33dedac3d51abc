"""The refresh schedule: when each thing the source reads is due again.

The schedule is a raw table, `refresh_schedule` (one row per entity and kind, merged on
`entity_key`), kept in the warehouse beside the data it describes: it grows with the crawl
(a million known users are a few million rows) where dlt's state blob, rewritten with every
load, must stay small. Its rows travel in the same load package as the rows they describe, so
a run killed at any moment leaves both or neither, and the next run (which first loads what an
earlier run left pending) reads a schedule that matches the data.

The destination is read on dlt's thread only, and only where no request runs in parallel:
once when the first resource starts (`bind`: every row but the crawl's, whose number follows
the configuration and the media of the engagement lists), and by the crawl at its start
(`select`, `query`: the due users, the frontier). Readers then ask the snapshot, overlaid with
this run's writes, which dlt loads with the data. An analyst who opens the DuckDB file during a
run therefore costs the crawl at most one run (`ScheduleUnavailable`). The snapshot and the
writes are kept on disk (`RowStore`), not in dicts: a crawl's first pass writes three rows per
user it finds, and a warehouse of a million media holds three million engagement rows.

Every row carries the `epoch` of the source state that wrote it: a refresh that drops the
source state (`--full-refresh`, `drop_sources`) starts a new epoch, so rows of a dropped
warehouse are never mistaken for work already done, even before dlt drops the old tables.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import dlt

from .refresh_policy import COLUMNS, CRAWL_KINDS, RefreshPolicy, is_due, schedule_row
from .rows import Rows
from .schedule_store import RowStore
from .warehouse_sql import Query, aware_utc, literal, literals, warehouse_query

logger = logging.getLogger("sources.instagram")

TABLE = "refresh_schedule"
# the raw tables a run's queries name (`{table}` is the schedule's own)
WAREHOUSE_TABLES = {"{table}": TABLE, "{follow_edges}": "follow_edges", "{user_counts}": "user_counts"}
# rows per query when a run reads the schedule's snapshot from the warehouse
SNAPSHOT_PAGE_ROWS = 50_000


class ScheduleUnavailable(Exception):
    """The warehouse could not be read (e.g. another process holds the DuckDB file)."""


class Schedule:
    """The refresh schedule of one run: the warehouse's rows, overlaid with this run's writes."""

    _UNBOUND: Any = object()

    def __init__(self, policy: RefreshPolicy, query: Query | None = _UNBOUND, epoch: str | None = None):
        """`query` runs SQL on the warehouse, with `{table}` and `{follow_edges}` replaced by
        qualified names (None: no warehouse to ask, everything is due). By default both
        `query` and `epoch` come from the pipeline that is extracting, on `bind`."""
        self.policy = policy
        self._query = query
        self._epoch = epoch
        self._bound = False
        self._rows = RowStore()
        self._write_order = itertools.count()  # a run's writes, in order: its last write of a key wins
        self.unavailable = False  # the warehouse could not be read when the run started
        self._lock = threading.Lock()

    def bind(self) -> None:
        """Read the warehouse's rows (all but the crawl's) once, on dlt's thread: dlt's context
        exists there only, so each resource binds before its readers start their threads."""
        with self._lock:
            if self._bound:
                return
            if self._query is Schedule._UNBOUND:
                self._query = warehouse_query(WAREHOUSE_TABLES)
            if self._epoch is None:
                self._epoch = dlt.current.source_state().setdefault("schedule_epoch", uuid.uuid4().hex)
            try:
                self._read_snapshot()
            except Exception as error:  # noqa: BLE001 - e.g. another process holds the DuckDB file
                logger.warning(
                    "the refresh schedule cannot be read (%s): this run reads the media lists only, and"
                    " what is scheduled waits for the next run",
                    error,
                )
                self.unavailable = True
            self._bound = True

    def _read_snapshot(self) -> None:
        """Every row but the crawl's into the store, a page at a time (by key)."""
        not_crawl = f"kind NOT IN ({literals(CRAWL_KINDS)})"
        after = ""
        while True:
            page = self._select_unlocked(f"{not_crawl} AND entity_key > {literal(after)}", limit=SNAPSHOT_PAGE_ROWS)
            self._rows.put("snapshot", page)
            if len(page) < SNAPSHOT_PAGE_ROWS:
                return
            after = page[-1]["entity_key"]

    @property
    def epoch(self) -> str:
        self.bind()
        return self._epoch  # type: ignore[return-value]

    # -- the snapshot (any thread) ----------------------------------------------------------

    def get(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The rows of `keys` that exist (this run's writes first). Crawl rows come from
        `select` only. While the warehouse cannot be read, every key has a row that is not
        due: scheduled work waits for the next run."""
        self.bind()
        keys = list(dict.fromkeys(keys))
        with self._lock:
            found = self._rows.get(keys)
        if self.unavailable:  # unknown: taken as read and not due
            for key in keys:
                if key not in found:
                    kind, entity_id = key.split(":", 1)
                    found[key] = schedule_row(kind, entity_id, read_at=None, next_due_at=None, active=False)
        return found

    def written_row(self, key: str) -> dict[str, Any] | None:
        """This run's write of `key`, if any."""
        with self._lock:
            return self._rows.get([key], tables=("written",)).get(key)

    def written_rows(self, kind: str | None = None) -> list[dict[str, Any]]:
        """This run's writes (of `kind`), by key."""
        with self._lock:
            return self._rows.written(kind)

    def due(self, kind: str, now: datetime, *, parent: str | None = None) -> list[dict[str, Any]]:
        """Rows of `kind` (and `parent`) due at `now`, most overdue first (this run's writes
        included)."""
        self.bind()
        with self._lock:
            due = self._rows.due(kind, now, parent)
        return sorted(due, key=lambda row: (row["next_due_at"], row["entity_key"]))

    def not_due(self, kind: str, entity_ids: Iterable[str], clock: Callable[[], datetime]) -> set[str]:
        """The ids among `entity_ids` whose `kind` row exists and is not due at `clock()`
        (asked only when a row exists: what was never read is due at any time)."""
        rows = self.get(f"{kind}:{entity_id}" for entity_id in entity_ids)
        if not rows:
            return set()
        now = clock()
        return {row["entity_id"] for row in rows.values() if not is_due(row, now)}

    # -- the warehouse (dlt's thread, no request in flight) ---------------------------------

    def select(self, where: str, order_by: str = "entity_key", limit: int | None = None) -> list[dict[str, Any]]:
        """Rows of this epoch matching the SQL condition `where`, each replaced by this run's
        write of it, if any."""
        try:
            found = self._select_unlocked(f"({where})", order_by, limit)
        except Exception as error:
            raise ScheduleUnavailable(str(error)) from error
        with self._lock:
            written = self._rows.get([row["entity_key"] for row in found], tables=("written",))
        return [written.get(row["entity_key"], row) for row in found]

    def select_keys(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """`select` by key, in chunks."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 1000):
            for row in self.select(f"entity_key IN ({literals(keys[start : start + 1000])})"):
                found[row["entity_key"]] = row
        with self._lock:
            found.update(self._rows.get(keys, tables=("written",)))
        return found

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """`sql` on the warehouse (`{table}`, `{epoch}` and `QUERIED_TABLES` filled in); no
        rows without a warehouse or before the tables exist. Raises `ScheduleUnavailable`
        when the warehouse cannot be read."""
        epoch = self.epoch
        if self._query is None:
            return []
        try:
            return self._query(sql.replace("{epoch}", literal(epoch)))
        except Exception as error:
            raise ScheduleUnavailable(str(error)) from error

    def _select_unlocked(
        self, where: str, order_by: str = "entity_key", limit: int | None = None
    ) -> list[dict[str, Any]]:
        if self._query is None:
            return []
        sql = f"SELECT {', '.join(COLUMNS)} FROM {{table}} WHERE epoch = {literal(self._epoch)} AND {where}"
        sql += f" ORDER BY {order_by}" + ("" if limit is None else f" LIMIT {int(limit)}")
        return [dict(zip(COLUMNS, (aware_utc(value) for value in found))) for found in self._query(sql)]

    # -- writing ----------------------------------------------------------------------------

    def write(self, row: dict[str, Any]) -> Rows:
        """Record `row` for this run; the rows to load with the data it describes."""
        row = {**row, "epoch": self.epoch}
        with self._lock:
            return self._put_written(row)

    def replace(
        self, row: dict[str, Any], merge: Callable[[dict[str, Any] | None, dict[str, Any]], dict[str, Any]]
    ) -> tuple[Rows, dict[str, Any] | None]:
        """Write `merge(old, row)`, `old` being the row it replaces (None: the first), in one
        step that no other thread's write of the same key comes between; the rows to load and
        `old`."""
        row = {**row, "epoch": self.epoch}
        with self._lock:
            old = self._rows.get([row["entity_key"]]).get(row["entity_key"])
            return self._put_written(merge(old, row)), old

    def _put_written(self, row: dict[str, Any]) -> Rows:
        """Store this run's write of `row` (the lock held) and number it: a load keeps a key's
        last write (`write_order`, the table's `dedup_sort`)."""
        self._rows.put("written", [row])
        return {TABLE: [{**row, "write_order": next(self._write_order)}]}

    def read_detail(self, kind: str, entity_id: str, read_at: datetime) -> Rows:
        """A detail (tag, location, relationship, search, profile) was read: due again after
        the detail age."""
        due = read_at + self.policy.detail_age
        return self.write(schedule_row(kind, entity_id, read_at=read_at, next_due_at=due, depth=0))

    def counters_within_policy(self, now: datetime) -> dict[str, dict[str, int]]:
        """Per kind of media list (`user`, `feed`, `tag`, ...: the list that refreshes them), how
        many media have counters within the refresh policy at `now` (not overdue), of how many."""
        with self._lock:
            found = self._rows.within_policy("counters", now)
        return {kind: {"within_policy": fresh, "media": total} for kind, (fresh, total) in found.items()}

    def refreshed_since(self, started: datetime) -> dict[str, int]:
        """How many rows of each kind this run read (wrote with a read at or after `started`)."""
        with self._lock:
            return self._rows.read_since(started)


def refresh_summary(schedule: Schedule, client: Any) -> dict[str, Any]:
    """The run's refresh figures for `last_run`: the server's time, what was refreshed per kind,
    and per kind of media list how many media have counters within the policy (what is overdue is
    counted after the load, `status.schedule_status`): the `LastRun` fields of the schedule."""
    now = client.server_now(probe=False)
    if now is None:
        return {}
    return {
        "server_time": now.isoformat(),
        "refreshed": schedule.refreshed_since(client.first_observed_at or now),
        "counters": schedule.counters_within_policy(now),
    }
