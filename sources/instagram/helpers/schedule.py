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
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt

from .shaping import Rows

logger = logging.getLogger("sources.instagram")

TABLE = "refresh_schedule"
# the raw tables a run reads besides its schedule: `{name}` in a query
QUERIED_TABLES = ("follow_edges", "user_counts")

# What can be due, per `kind` (docs/tables.md, "refresh_schedule"):
#   crawl        a crawled user: profile, then each follow list that changed (change detection)
#   follows, followed_by   a user's follow list: when it was last read completely, at what count
#   profile      a profile read by `user_profiles`
#   counters     a media's like and comment counters (decaying with the media's age)
#   likes, comments        a media's likers and comments (when due and their counter changed)
#   tag, location, relationship, requested_by, search: details that change slowly
CRAWL_KINDS = ("crawl", "follows", "followed_by")

Query = Callable[[str], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class RefreshPolicy:
    """How old each kind may get before it is read again (docs/refresh.md)."""

    seed_hours: float
    crawl_hours: float
    list_max_age_hours: float
    engagement_ages_hours: tuple[float, ...]

    def user_age(self, depth: int) -> timedelta:
        """Age at which a user at crawl `depth` (0: a seed) is due again."""
        return timedelta(hours=self.seed_hours if depth == 0 else self.crawl_hours)

    @property
    def detail_age(self) -> timedelta:
        """Age of details tied to the configuration (tags, locations, relationships, searches)."""
        return timedelta(hours=self.seed_hours)

    @property
    def list_max_age(self) -> timedelta:
        return timedelta(hours=self.list_max_age_hours)

    def media_due(self, created_at: datetime | None, read_at: datetime) -> datetime | None:
        """The first age after `read_at` at which a media created at `created_at` is due again
        (None: past its last age, never again)."""
        if created_at is None:
            return None
        for hours in sorted(self.engagement_ages_hours):
            due = created_at + timedelta(hours=hours)
            if due > read_at:
                return due
        return None


def schedule_row(
    kind: str,
    entity_id: str,
    *,
    read_at: datetime | None,
    next_due_at: datetime | None,
    depth: int | None = None,
    created_at: datetime | None = None,
    last_count: int | None = None,
    parent: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """A `refresh_schedule` row (its `epoch` is set by `Schedule.write`)."""
    return {
        "entity_key": f"{kind}:{entity_id}",
        "kind": kind,
        "entity_id": entity_id,
        "parent": parent,
        "depth": depth,
        "created_at": created_at,
        "last_read_at": read_at,
        "last_count": last_count,
        "next_due_at": next_due_at,
        "active": active,
        "epoch": None,
    }


_COLUMNS = tuple(schedule_row("crawl", "", read_at=None, next_due_at=None))
# rows per query when a run reads the schedule's snapshot from the warehouse
SNAPSHOT_PAGE_ROWS = 50_000


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
        sql = (
            f"SELECT {self._select} FROM written WHERE {condition}"
            f" UNION ALL SELECT {self._select} FROM snapshot AS s WHERE {condition}"
            " AND NOT EXISTS (SELECT 1 FROM written AS w WHERE w.entity_key = s.entity_key)"
        )
        return self._rows(sql, params + params)

    def within_policy(self, kind: str, now: datetime) -> dict[str, tuple[int, int]]:
        """Per kind of list (the `parent` before ':'), how many rows of `kind` are not overdue at
        `now`, of how many; the writes over the snapshot's."""
        rows = (
            "SELECT parent, active, next_due_at FROM written WHERE kind = ?"
            " UNION ALL SELECT parent, active, next_due_at FROM snapshot AS s WHERE kind = ?"
            " AND NOT EXISTS (SELECT 1 FROM written AS w WHERE w.entity_key = s.entity_key)"
        )
        sql = (
            "SELECT substr(parent, 1, instr(parent || ':', ':') - 1) AS list,"
            " sum(NOT (active AND next_due_at <= ?)), count(*)"
            f" FROM ({rows}) GROUP BY list ORDER BY list"
        )
        found = self._db.execute(sql, (_microseconds(now), kind, kind)).fetchall()
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
                self._query = warehouse_query()
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
            page = self._select_unlocked(f"{not_crawl} AND entity_key > {_literal(after)}", limit=SNAPSHOT_PAGE_ROWS)
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
        return {row["entity_id"] for row in rows.values() if not _due(row, now)}

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
            return self._query(sql.replace("{epoch}", _literal(epoch)))
        except Exception as error:
            raise ScheduleUnavailable(str(error)) from error

    def _select_unlocked(
        self, where: str, order_by: str = "entity_key", limit: int | None = None
    ) -> list[dict[str, Any]]:
        if self._query is None:
            return []
        sql = f"SELECT {', '.join(_COLUMNS)} FROM {{table}} WHERE epoch = {_literal(self._epoch)} AND {where}"
        sql += f" ORDER BY {order_by}" + ("" if limit is None else f" LIMIT {int(limit)}")
        return [dict(zip(_COLUMNS, (_aware(value) for value in found))) for found in self._query(sql)]

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


def _due(row: dict[str, Any], now: datetime) -> bool:
    return bool(row["active"]) and row["next_due_at"] is not None and row["next_due_at"] <= now


def warehouse_query() -> Query | None:
    """A `Query` on the destination of the pipeline that is extracting; None when the
    destination cannot run SQL (then everything is due every run, as the log says)."""
    pipeline = dlt.current.pipeline()
    try:
        client_factory = pipeline.sql_client
        with client_factory() as probe:
            names = {"{table}": probe.make_qualified_table_name(TABLE)} | {
                f"{{{name}}}": probe.make_qualified_table_name(name) for name in QUERIED_TABLES
            }
    except Exception as error:  # noqa: BLE001 - any destination without SQL: no schedule to read
        logger.warning("the destination cannot be queried (%s): every entity is read as if due", error)
        return None

    def run(sql: str) -> list[tuple[Any, ...]]:
        for name, qualified in names.items():
            sql = sql.replace(name, qualified)
        with client_factory() as client:
            if not client.has_dataset():
                return []
            try:
                return list(client.execute_sql(sql) or [])
            except Exception as error:
                if _is_missing_table(error):
                    return []  # the first runs: the table appears with the first load
                raise

    return run


def _is_missing_table(error: BaseException) -> bool:
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    return isinstance(error, DatabaseUndefinedRelation) or "does not exist" in str(error)


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def timestamp_literal(moment: datetime) -> str:
    return f"CAST('{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00' AS TIMESTAMP WITH TIME ZONE)"


def _aware(value: Any) -> Any:
    """Timestamps from any destination as aware UTC datetimes."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def literals(values: Sequence[str]) -> str:
    """`values` as a SQL list of text literals."""
    return ", ".join(_literal(value) for value in values) or "NULL"


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
