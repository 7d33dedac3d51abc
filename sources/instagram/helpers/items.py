"""Rows → dlt items: typed Arrow batches per raw table, the tables' hints, and the rule that a
short profile never overwrites a full one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.normalizers.json.helpers import get_row_hash
from dlt.extract.hints import make_hints
from dlt.extract.items import DataItemWithMeta

from ...common.http_client import local_time
from ...common.rows import Rows
from ...common.schedule import Schedule, ScheduleUnavailable
from ...common.source_run import SourceRun
from ...common.tables import arrow_schema
from ...common.tables import column_hints as table_column_hints
from ...common.tables import key_columns as table_key_columns
from ..settings import FOLLOW_EDGES_DISPOSITION, ROWS_PER_BATCH, TABLES
from .client import InstagramClient
from .shaping import list_read_row, repaired_text_row


@dataclass(frozen=True)
class FollowListRead:
    """The `follow_edges` rows of one completely read follow list (see `shaping.edge_rows`)."""

    list_key: str
    rows: list[dict[str, Any]]

    @property
    def member_count(self) -> int:
        """Users in the list (the marker row left out)."""
        return sum(1 for row in self.rows if row["follower_id"] is not None)


def dlt_items(
    produced: Iterable[Rows | FollowListRead], run: SourceRun, profiles: FullProfiles, shard: str | None
) -> Iterator[DataItemWithMeta]:
    """What the readers produced, as dlt items: Arrow batches per table; the edges of completely
    read follow lists as Arrow batches too (`EdgeBatches`), with the scd2 hints, whose boundary
    is the run's observed time (the server's time of the run's first answer), and a
    `follow_list_reads` row at that same time (so an empty list, or one whose read changed no
    edge, still leaves its read on record). A shard's edges and reads carry its name."""
    client = run.client
    batches = TableBatches(ROWS_PER_BATCH)
    edges = EdgeBatches(ROWS_PER_BATCH)
    for item in produced:
        if isinstance(item, FollowListRead):
            # The shard is in the row hash, so each shard's history of a list is its own. The
            # unsharded pipeline's rows leave it out: their hash stays what it always was, and
            # no edge of an existing history gets a new version.
            rows = [{**row, "shard": shard} for row in item.rows] if shard else item.rows
            for arrow in edges.add(rows):
                yield follow_edges_item(arrow, client)
            read_row = list_read_row(item.list_key, item.member_count, client.first_observed_at, shard)
            read = {"follow_list_reads": [read_row]}
            for table, arrow in batches.add(read):
                yield dlt.mark.with_table_name(arrow, table)
            continue
        for table, arrow in batches.add(flag_repaired_text(profiles.filter(item), client)):
            yield dlt.mark.with_table_name(arrow, table)
        for table, arrow in batches.add(run.take_resolved()):  # failures that this read ended
            yield dlt.mark.with_table_name(arrow, table)
    for table, arrow in batches.add(run.take_resolved()):
        yield dlt.mark.with_table_name(arrow, table)
    for table, arrow in batches.flush():
        yield dlt.mark.with_table_name(arrow, table)
    for arrow in edges.flush():
        yield follow_edges_item(arrow, client)
    # every raw table exists from the first run on, even before it has rows (follow_edges, an
    # scd2 history, appears with the first completely read follow list)
    known = dlt.current.source_schema().tables
    for table in TABLES:
        if table != "follow_edges" and not known.get(table, {}).get("columns"):
            yield dlt.mark.with_table_name(to_arrow(table, []), table)


# Tables whose rows are not flagged when they hold repaired text: the flags themselves, and the
# schedule (its entity ids are flagged where the entity's own rows hold them).
_UNFLAGGED = {"extraction_errors", "refresh_schedule"}


def flag_repaired_text(rows: Rows, client: InstagramClient) -> Rows:
    """`rows`, plus an `extraction_errors` row (error type `RepairedText`, entity kind the
    table, entity id the row's key, the message naming the columns) for every row holding text
    the client repaired (`InstagramClient.repaired`). Costs nothing while no answer of the run
    needed a repair."""
    if not client.texts_repaired:
        return rows
    flags = []
    for table, table_rows in rows.items():
        if table in _UNFLAGGED or table not in TABLES:
            continue
        for row in table_rows:
            endpoint, columns = None, []
            for column, value in row.items():
                if isinstance(value, str) and "\ufffd" in value and (sent_by := client.repaired(value)) is not None:
                    endpoint, columns = endpoint or sent_by, [*columns, column]
            if columns:
                entity_id = ":".join(str(row[key]) for key in key_columns(table))
                observed_at = row.get("observed_at") or client.first_observed_at or local_time()
                flags.append(repaired_text_row(table, entity_id, columns, endpoint or "", observed_at))
    if flags:
        rows.setdefault("extraction_errors", []).extend(flags)
    return rows


def key_columns(table: str) -> tuple[str, ...]:
    """Primary key columns of a raw table (never NULL)."""
    return table_key_columns(TABLES[table])


def column_hints(table: str) -> list[dict[str, Any]]:
    """dlt column hints of a raw table (`common.tables.column_hints`)."""
    return table_column_hints(TABLES[table])


ARROW_SCHEMAS = {table: arrow_schema(spec) for table, spec in TABLES.items()}


def to_arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """`rows` as an Arrow table with the declared column types of `table`."""
    return pa.Table.from_pylist(rows, schema=ARROW_SCHEMAS[table])


class TableBatches:
    """Collects rows per table, one per primary key (the same user or media seen again in a
    batch is loaded once: the first by the table's `dedup_sort`, as the load would choose, else
    the latest), and hands them out as Arrow tables of about `size` rows. Rows pass
    `FullProfiles.filter` first, so the latest `users` row is never a short profile of a user
    whose full profile was seen."""

    def __init__(self, size: int):
        self.size = size
        self._rows: dict[str, dict[tuple, dict[str, Any]]] = {}

    def add(self, rows: Rows) -> Iterator[tuple[str, pa.Table]]:
        """Add `rows`; yield `(table, arrow)` for every table that reached the batch size."""
        for table, more in rows.items():
            if not more:
                continue
            keys = key_columns(table)
            dedup_sort = TABLES[table].get("dedup_sort")
            bucket = self._rows.setdefault(table, {})
            for row in more:
                key = tuple(row[k] for k in keys)
                if dedup_sort is None or key not in bucket or _sorts_first(row, bucket[key], *dedup_sort):
                    bucket[key] = row
            if len(bucket) >= self.size:
                yield table, to_arrow(table, list(bucket.values()))
                self._rows[table] = {}

    def flush(self) -> Iterator[tuple[str, pa.Table]]:
        """Yield what is left."""
        for table, bucket in self._rows.items():
            if bucket:
                yield table, to_arrow(table, list(bucket.values()))
        self._rows = {}


def _sorts_first(row: dict[str, Any], other: dict[str, Any], column: str, order: str) -> bool:
    """Whether `row` comes before `other` by `column` in `order` ("asc" or "desc"), NULL last,
    `row` on a tie: the row dlt's merge keeps of two with one key."""
    value, other_value = row.get(column), other.get(column)
    if value is None or other_value is None:
        return other_value is None
    return value >= other_value if order == "desc" else value <= other_value


# what `shaping.edge_rows` gives, and the shard `dlt_items` adds
EDGE_COLUMNS = ("edge_key", "list_key", "follower_id", "followed_id", "shard")
ROW_HASH, LOAD_ID = "_dlt_id", "_dlt_load_id"
# the table's columns in the order a history loaded from dicts has them: the declared ones (the
# validity columns stay NULL, dlt's merge fills them), then the two the normalizer added
EDGES_SCHEMA = (
    ARROW_SCHEMAS["follow_edges"]
    .append(pa.field(LOAD_ID, pa.string(), nullable=False))
    .append(pa.field(ROW_HASH, pa.string(), nullable=False))
)


class EdgeBatches:
    """The `follow_edges` rows of completely read lists (marker rows included), as Arrow tables
    of about `size` rows; a list's rows are never split across two tables.

    Arrow, not dicts: dict rows go through dlt's row-by-row normalizer into `insert_values`
    files, which DuckDB loads as INSERT statements of up to 16 MB each, and parsing those took
    most of a run's memory. An Arrow table is written to parquet once and copied as it is.
    Arrow items skip the normalizer, so the two columns it adds are added here: `_dlt_id`, the
    scd2 row hash, computed as dlt computes it for a dict row (`get_row_hash` of the same
    dict), so that a history loaded from dicts keeps matching and no edge gets a new version;
    and `_dlt_load_id`, the id of the load package being extracted.
    """

    def __init__(self, size: int):
        self.size = size
        self._rows: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> Iterator[pa.Table]:
        """Add one list's rows; yield a table once the batch reaches the batch size."""
        self._rows.extend(rows)
        if len(self._rows) >= self.size:
            yield from self.flush()

    def flush(self) -> Iterator[pa.Table]:
        """Yield what is left."""
        if self._rows:
            rows, self._rows = self._rows, []
            yield edges_to_arrow(rows, dlt.current.load_package_state()["load_id"])


def edges_to_arrow(rows: list[dict[str, Any]], load_id: str) -> pa.Table:
    """`follow_edges` rows as an Arrow table with dlt's scd2 row hash and the load id."""
    values = {name: [row.get(name) for row in rows] for name in EDGE_COLUMNS}
    values[LOAD_ID] = [load_id] * len(rows)
    values[ROW_HASH] = [get_row_hash(row) for row in rows]
    arrays = [pa.array(values.get(field.name, [None] * len(rows)), field.type) for field in EDGES_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=EDGES_SCHEMA)


def follow_edges_item(arrow: pa.Table, client: InstagramClient) -> DataItemWithMeta:
    """An edges batch with the `follow_edges` scd2 hints; the boundary (the run's observed time)
    is known once the server has answered, so the hints travel with each batch."""
    disposition = {**FOLLOW_EDGES_DISPOSITION, "boundary_timestamp": client.first_observed_at}
    hints = make_hints(table_name="follow_edges", write_disposition=disposition)
    return dlt.mark.with_hints(arrow, hints, create_table_variant=True)


def _is_short_profile(row: Mapping[str, Any]) -> bool:
    return row["bio"] is None and row["website"] is None


class FullProfiles:
    """The users whose full profile was read, so that a short profile (no bio, website) seen
    in this run never overwrites the full one in `users`: those with a `user_counts` row in the
    warehouse (every full profile read writes one; read once per run, on dlt's thread) or in
    this run. This is the one place that applies the rule to rows, and it marks every `users`
    row it keeps with `is_full_profile`: the `users` table's `dedup_sort` on that column
    (settings.TABLES) is still needed for a short profile flushed in an earlier batch of the
    same load than the full one, which dlt's merge would otherwise pick at random. (It sorted
    on `bio` before, whose NULL PostgreSQL sorts first in a descending sort.) The warehouse,
    not dlt state, holds the set: state is stored again with every load, and the set grows
    with the crawl.

    While the warehouse cannot be read, short profiles of users not profiled in this run are
    left out: a full profile is never lost, and a user first seen now gets its row when seen
    again."""

    def __init__(self, schedule: Schedule):
        self._schedule = schedule
        self._known: set[str] | None = None
        self._warehouse_read = True

    def filter(self, rows: Rows) -> Rows:
        """Record the full profiles in `rows`; drop short `users` rows of known ones."""
        known = self._load()
        known.update(snapshot["user_id"] for snapshot in rows.get("user_counts", ()))
        if rows.get("users"):
            rows["users"] = [
                {**row, "is_full_profile": not _is_short_profile(row)}
                for row in rows["users"]
                if not _is_short_profile(row) or self._may_load(row["id"])
            ]
        return rows

    def _may_load(self, user_id: str) -> bool:
        return self._warehouse_read and user_id not in self._known  # type: ignore[operator]

    def _load(self) -> set[str]:
        if self._known is None:
            try:
                found = self._schedule.query("SELECT DISTINCT user_id FROM {user_counts}")
            except ScheduleUnavailable:
                found, self._warehouse_read = [], False
            self._known = {user_id for (user_id,) in found}
        return self._known
