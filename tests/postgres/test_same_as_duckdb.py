"""The same world into DuckDB and into PostgreSQL, each through `python -m pipelines.run`, as
cron runs it: every analytics table holds the same rows, floats equal within 1e-9.

Each warehouse gets its own emulator over its own copy of the demo world (the world depends only
on its seed, and the rate limit is per emulator), advanced a day between runs: the second run
adds follow history, counter changes and a second graph_summary row.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import pytest

from emulator import Emulator, World, WorldConfig
from pipelines.demo import source_config_for
from pipelines.run import EXIT_SUCCESS
from tests.postgres_server import PostgresServer
from tests.warehouses import Warehouse
from transforms.runner import load_models

pytestmark = pytest.mark.postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
WORLD = WorldConfig(seed=42, users=400)
RUNS = 2
TOLERANCE = 1e-9


def load(folder: Path, warehouse: Warehouse, world_config: WorldConfig, *runs: tuple[str, ...]) -> None:
    """Runs of the CLI into `warehouse` (each with its extra flags), a world day apart."""
    folder.mkdir()
    world = World(world_config)
    with Emulator(world, follows_any_user=True) as emu:
        settings = {**source_config_for(world), "base_url": emu.base_url, "access_token": emu.access_token}
        env = {key: value for key, value in os.environ.items() if not key.startswith(("SOURCES__", "DESTINATION__"))}
        # dlt reads lists from the environment as JSON, strings as they are
        env.update(
            {
                f"SOURCES__INSTAGRAM__{key.upper()}": value if isinstance(value, str) else json.dumps(value)
                for key, value in settings.items()
            }
        )
        env.update(warehouse.env(), DLT_DATA_DIR=str(folder / "dlt"), PYTHONPATH=str(REPO_ROOT))
        for flags in runs:
            result = subprocess.run(
                [sys.executable, "-m", "pipelines.run", "--destination", warehouse.kind, *flags],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]
            world.advance(86400)


def comparable(value: Any) -> Any:
    """A value as both warehouses can agree on it: numbers as floats (DuckDB sums to HUGEINT,
    PostgreSQL to numeric), instants in UTC."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # exact columns first, then floats rounded well above the tolerance: rows differing only in
    # float noise sort alike
    exact = tuple(repr(value) for value in row if not isinstance(value, float))
    approximate = tuple(round(value, 6) for value in row if isinstance(value, float))
    return exact + approximate


def analytics_tables(warehouse: Warehouse, pipelines_dir: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table and view of the analytics dataset: its columns and its sorted rows."""
    pipeline = dlt.pipeline(
        "compare",
        destination=warehouse.destination(),
        dataset_name="instagram_analytics",
        pipelines_dir=str(pipelines_dir),
    )
    tables = {}
    with pipeline.sql_client() as client:
        names = [
            name
            for (name,) in client.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'instagram_analytics'"
            )
        ]
        for name in sorted(names):
            columns = [
                column
                for (column,) in client.execute_sql(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'instagram_analytics' AND table_name = %s ORDER BY ordinal_position",
                    name,
                )
            ]
            rows = [tuple(map(comparable, row)) for row in client.execute_sql(f'SELECT * FROM "{name}"')]
            tables[name] = (columns, sorted(rows, key=sort_key))
    return tables


def same_value(duckdb_value: Any, postgres_value: Any) -> bool:
    if isinstance(duckdb_value, float) and isinstance(postgres_value, float):
        return math.isclose(duckdb_value, postgres_value, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return duckdb_value == postgres_value


def test_every_analytics_table_is_the_same_in_duckdb_and_postgres(tmp_path: Path, postgres: PostgresServer) -> None:
    warehouses = {
        "duckdb": Warehouse("duckdb", str(tmp_path / "instagram.duckdb")),
        "postgres": Warehouse("postgres", postgres.create_database("same_as_duckdb")),
    }
    for kind, warehouse in warehouses.items():
        load(tmp_path / kind, warehouse, WORLD, *[()] * RUNS)
    duckdb_tables, postgres_tables = (
        analytics_tables(warehouse, tmp_path / "compare" / kind) for kind, warehouse in warehouses.items()
    )

    assert sorted(postgres_tables) == sorted(duckdb_tables)
    assert len(duckdb_tables) > 40  # every model, with the graph and engagement marts
    for table, (columns, duckdb_rows) in duckdb_tables.items():
        postgres_columns, postgres_rows = postgres_tables[table]
        assert postgres_columns == columns, table
        assert len(postgres_rows) == len(duckdb_rows), table
        for duckdb_row, postgres_row in zip(duckdb_rows, postgres_rows):
            assert all(map(same_value, duckdb_row, postgres_row)), (table, columns, duckdb_row, postgres_row)
    # the comparison covered real content: the graph, its history and the engagement figures
    for table in ("user_graph_metrics", "follow_events", "media_engagement_history", "user_engagement"):
        assert duckdb_tables[table][1], table
    assert len(duckdb_tables["graph_summary"][1]) == RUNS


def test_a_full_refresh_drops_the_raw_tables_that_views_read(tmp_path: Path, postgres: PostgresServer) -> None:
    """PostgreSQL refuses to drop a table a view reads: the run drops the staging views first,
    and its transforms build them again."""
    warehouse = Warehouse("postgres", postgres.create_database("full_refresh"))
    load(tmp_path / "run", warehouse, WorldConfig(seed=7, users=150), (), ("--full-refresh",))
    with contextlib.closing(postgres.connect("full_refresh")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.views WHERE table_schema = 'instagram_analytics'")
        staging_views = [model for model in load_models() if model.materialized == "view"]
        assert cursor.fetchone()[0] == len(staging_views) > 0
        cursor.execute("SELECT count(*) FROM instagram_analytics.stg_users")
        assert cursor.fetchone()[0] > 0
