"""dlt's DuckDB destination with a merge whose deduplication fits in DuckDB's `memory_limit`.

dlt's delete-insert merge keeps one staging row per primary key with
`ROW_NUMBER() OVER (PARTITION BY <key>)` over every column of the staging table. DuckDB's window
operator holds that whole payload in memory: the merge of one run's `media` takes about 1 MB
per 1,000 rows, so that under a `memory_limit` of 256 MB (then `warehouse.DUCKDB_SETTINGS`, now its floor), a load of
400,000 media failed with "Out of Memory" (and so did its retry, which loads the same package),
and any limit fails a load large enough. Here the
row to keep is chosen by a GROUP BY over the key and the row id alone, an aggregate DuckDB
spills to disk, and the full rows are then taken by that row id: the same rows as dlt's (any
row of a key, or the first by `dedup_sort`), in memory bounded by the limit whatever the size
of the load.

Only the SQL of that one step differs; the destination keeps dlt's name and type (`duckdb`),
so its configuration, state and datasets are those of dlt's DuckDB destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.duck import DuckDbClient
from dlt.destinations.sql_jobs import SqlMergeFollowupJob


class SpillingDedupMergeJob(SqlMergeFollowupJob):
    """dlt's merge job, deduplicating the staging table by row id (see the module docstring)."""

    @classmethod
    def gen_select_from_dedup_sql(
        cls,
        table_name: str,
        primary_keys: Sequence[str],
        columns: Sequence[str],
        dedup_sort: tuple[str, str] | None = None,
        condition: str | None = None,
        condition_columns: Sequence[str] | None = None,
        skip_dedup: bool = False,
    ) -> str:
        if skip_dedup:
            return super().gen_select_from_dedup_sql(
                table_name, primary_keys, columns, dedup_sort, condition, condition_columns, skip_dedup
            )
        if dedup_sort is None:
            kept = "min(rowid)"
        else:
            # the first row by the sort column; rows whose sort value is NULL come last, as in
            # dlt's ORDER BY on DuckDB (arg_max/arg_min skip them; a key with only NULLs keeps
            # any). PostgreSQL sorts NULL first in a descending sort: the raw tables' sort
            # columns are never NULL (sources/instagram_contract.py)
            pick = "arg_max" if dedup_sort[1] == "desc" else "arg_min"
            kept = f"coalesce({pick}(rowid, {dedup_sort[0]}), min(rowid))"
        keys = ", ".join(primary_keys)
        return (
            f"SELECT {', '.join(columns)} FROM {table_name}"
            f" WHERE rowid IN (SELECT {kept} FROM {table_name} GROUP BY {keys}) AND ({condition or '1 = 1'})"
        )


class SpillingDedupDuckDbClient(DuckDbClient):
    """dlt's DuckDB job client, merging with `SpillingDedupMergeJob`."""

    def _create_merge_followup_jobs(self, table_chain: Sequence[Any]) -> list[Any]:
        return [SpillingDedupMergeJob.from_table_chain(table_chain, self.sql_client)]


class duckdb(dlt.destinations.duckdb):  # noqa: N801 (dlt names a destination after its factory class)
    """dlt's DuckDB destination factory, loading through `SpillingDedupDuckDbClient`."""

    @property
    def destination_type(self) -> str:
        return "dlt.destinations.duckdb"

    @property
    def client_class(self) -> type[DuckDbClient]:
        return SpillingDedupDuckDbClient
