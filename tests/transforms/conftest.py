"""A real DuckDB warehouse for transform tests: raw tables written per the contract, then the
transforms run through a real dlt pipeline attached to the same file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import pytest

from transforms import run_transforms
from transforms.raw_tables import RAW_TABLES

RAW = "instagram_raw"
ANALYTICS = "instagram_analytics"
T0 = datetime(2016, 3, 1, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    """A UTC instant `days` and `hours` after the tests' epoch T0 (2016-03-01 00:00 UTC)."""
    return T0 + timedelta(days=days, hours=hours)


class Warehouse:
    """One DuckDB file: write raw tables, run the transforms, read the analytics tables. Its dlt
    pipeline keeps its working dir in `pipelines_dir` (default: dlt's), so that two warehouses
    in one test can each have their own."""

    def __init__(self, path: Path, pipelines_dir: Path | None = None) -> None:
        self.path = path
        self.pipelines_dir = pipelines_dir

    def write_raw(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows to a raw table, creating it with exactly the contract's columns."""
        columns = RAW_TABLES[table]
        with duckdb.connect(str(self.path)) as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
            column_sql = ", ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
            con.execute(f"CREATE TABLE IF NOT EXISTS {RAW}.{table} ({column_sql})")
            rows = list(rows)
            batch = pa.table({name: [row.get(name) for row in rows] for name in columns})
            con.register("batch", batch)
            con.execute(f"INSERT INTO {RAW}.{table} SELECT {', '.join(columns)} FROM batch")

    def write_follow_edges(
        self, edges: Iterable[tuple[str, str]], read_at: datetime, lists: tuple[str, ...] = ("follows",)
    ) -> None:
        """Current edges as read at `read_at` from each follower's `follows` list and, if asked,
        from each followed user's `followed_by` list too (then every edge is seen twice)."""
        edges = list(edges)
        rows = []
        for kind in lists:
            for follower, followed in edges:
                owner, other = (follower, followed) if kind == "follows" else (followed, follower)
                rows.append(
                    {
                        "edge_key": f"{kind}:{owner}:{other}",
                        "list_key": f"{kind}:{owner}",
                        "follower_id": follower,
                        "followed_id": followed,
                        "valid_from": read_at,
                        "valid_to": None,
                    }
                )
        self.write_raw("follow_edges", rows)

    def pipeline(self) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name="instagram",
            destination=dlt.destinations.duckdb(str(self.path)),
            dataset_name=RAW,
            pipelines_dir=None if self.pipelines_dir is None else str(self.pipelines_dir),
        )

    def transform(self) -> dict[str, Any]:
        return run_transforms(self.pipeline())

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()

    def rows(self, table: str, order_by: str = "1") -> list[dict[str, Any]]:
        """Every row of an analytics table as dicts, in a stable order."""
        with duckdb.connect(str(self.path), read_only=True) as con:
            cursor = con.execute(f"SELECT * FROM {ANALYTICS}.{table} ORDER BY {order_by}")
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def by_key(self, table: str, key: str) -> dict[Any, dict[str, Any]]:
        return {row[key]: row for row in self.rows(table)}


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "instagram.duckdb")
