"""The same world into DuckDB and into PostgreSQL, each through `python -m pipelines.run`, as
cron runs it: after every run, every raw table (`instagram_raw`) and every analytics table and
view (`instagram_analytics`) holds the same rows, row by row, floats equal within 1e-9. dlt's
bookkeeping (its `_dlt_*` tables and columns) and columns that name a pipeline's own state
(`STATE_COLUMNS`) are left out.

PostgreSQL is tested twice, side by side on one server: a database with the server's default
collation (`tests/postgres_server.py` creates the cluster with en_US.UTF-8, as most servers
are), and one with the C collation (`CREATE DATABASE ... LC_COLLATE 'C'`, docs/destinations.md).

Each warehouse gets its own emulator over its own copy of the demo world (the world depends only
on its seed, and the rate limit is per emulator), advanced a day between runs: the second run
adds follow history, counter changes and a second graph_summary row. The three warehouses load
at the same time. Each run is compared, not only the last: a difference a later run happens to
repair (the first run kept the short profile of 238 users on PostgreSQL; the second, a day
later, read their full profiles again) is still a difference.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from emulator import Emulator, World, WorldConfig
from pipelines.demo import source_config_for
from pipelines.run import EXIT_SUCCESS
from sources.instagram_contract import TABLES
from tests.postgres_server import SERVER_LOCALE, PostgresServer
from tests.warehouses import Warehouse
from transforms.runner import load_models

pytestmark = pytest.mark.postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
WORLD = WorldConfig(seed=42, users=400)
RUNS = 2
TOLERANCE = 1e-9
DATASETS = ("instagram_raw", "instagram_analytics")
# Columns that belong to one pipeline's state, not to what was read: `epoch`, a new random id per
# source state, and `write_order`, the order of one run's writes (threads read side by side).
STATE_COLUMNS = {("instagram_raw", "refresh_schedule"): {"epoch", "write_order"}}
# The PostgreSQL databases: the server's default collation, and C.
COLLATIONS = {"default": None, "C": "C"}

# schema.table -> (columns, rows)
Tables = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def load(
    folder: Path,
    warehouse: Warehouse,
    world_config: WorldConfig,
    *runs: tuple[str, ...],
    after_run: Callable[[], None] = lambda: None,
) -> None:
    """Runs of the CLI into `warehouse` (each with its extra flags), a world day apart;
    `after_run` after each."""
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
            after_run()
            world.advance(86400)


def comparable(value: Any) -> Any:
    """A value as both warehouses can agree on it: numbers as floats (DuckDB sums to HUGEINT,
    PostgreSQL to numeric), but whole numbers beyond a float's exact range as they are (a
    64-bit fingerprint must not compare equal to its neighbours); instants in UTC."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        if abs(value) >= 2**53 and value == int(value):
            return int(value)
        return float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def exact_part(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(value) for value in row if not isinstance(value, float))


def float_part(row: tuple[Any, ...]) -> tuple[float, ...]:
    return tuple(value for value in row if isinstance(value, float))


def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # exact columns first, then floats rounded well above the tolerance: rows differing only in
    # float noise sort alike
    return exact_part(row) + tuple(round(value, 6) for value in float_part(row))


def read_tables(connection: Any) -> Tables:
    """Every table and view of the raw and analytics datasets, without dlt's bookkeeping: its
    columns and its sorted rows. `connection`: a DB-API connection to DuckDB or PostgreSQL."""
    cursor = connection.cursor()
    schemas = ", ".join(f"'{schema}'" for schema in DATASETS)
    cursor.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        f" WHERE table_schema IN ({schemas}) ORDER BY table_schema, table_name, ordinal_position"
    )
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in cursor.fetchall():
        if table.startswith("_dlt_") or column.startswith("_dlt_"):
            continue
        if column not in STATE_COLUMNS.get((schema, table), ()):
            columns.setdefault((schema, table), []).append(column)
    tables = {}
    for (schema, table), names in columns.items():
        quoted = ", ".join(f'"{name}"' for name in names)
        cursor.execute(f'SELECT {quoted} FROM {schema}."{table}"')
        rows = [tuple(map(comparable, row)) for row in cursor.fetchall()]
        tables[f"{schema}.{table}"] = (names, sorted(rows, key=sort_key))
    return tables


def same_value(duckdb_value: Any, postgres_value: Any) -> bool:
    if isinstance(duckdb_value, float) and isinstance(postgres_value, float):
        return math.isclose(duckdb_value, postgres_value, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return duckdb_value == postgres_value


def same_row(duckdb_row: tuple[Any, ...], postgres_row: tuple[Any, ...]) -> bool:
    return len(duckdb_row) == len(postgres_row) and all(map(same_value, duckdb_row, postgres_row))


def differences(duckdb_rows: list[tuple], postgres_rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The rows of each side that the other lacks (floats within the tolerance count as equal)."""
    if len(duckdb_rows) == len(postgres_rows) and all(map(same_row, duckdb_rows, postgres_rows)):
        return [], []
    # rows whose exact columns agree are paired by their floats; the rest differ
    unmatched_postgres: dict[tuple, list[tuple]] = {}
    for row in postgres_rows:
        unmatched_postgres.setdefault(exact_part(row), []).append(row)
    only_duckdb = []
    for row in duckdb_rows:
        candidates = unmatched_postgres.get(exact_part(row), [])
        match = next((i for i, other in enumerate(candidates) if same_row(row, other)), None)
        if match is None:
            only_duckdb.append(row)
        else:
            candidates.pop(match)
    only_postgres = [row for rows in unmatched_postgres.values() for row in rows]
    return only_duckdb, sorted(only_postgres, key=sort_key)


def table_differences(duckdb_tables: Tables, postgres_tables: Tables) -> dict[str, str]:
    """table -> what differs, for every table that differs."""
    found = {}
    for table in sorted(set(duckdb_tables) | set(postgres_tables)):
        if table not in postgres_tables or table not in duckdb_tables:
            found[table] = "only in " + ("DuckDB" if table in duckdb_tables else "PostgreSQL")
            continue
        (columns, duckdb_rows), (postgres_columns, postgres_rows) = duckdb_tables[table], postgres_tables[table]
        if postgres_columns != columns:
            found[table] = f"columns: DuckDB {columns}, PostgreSQL {postgres_columns}"
            continue
        only_duckdb, only_postgres = differences(duckdb_rows, postgres_rows)
        if only_duckdb or only_postgres:
            found[table] = (
                f"{len(only_duckdb)} of {len(duckdb_rows)} rows only in DuckDB, {len(only_postgres)} of"
                f" {len(postgres_rows)} only in PostgreSQL; columns {columns}; e.g. DuckDB"
                f" {only_duckdb[:2]}, PostgreSQL {only_postgres[:2]}"
            )
    return found


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> dict[str, list[Tables]]:
    """The same world into DuckDB and into a PostgreSQL database per collation, at the same
    time: every table after each run, per warehouse ('duckdb', or the collation's name)."""
    root = tmp_path_factory.mktemp("same_as_duckdb")
    warehouses = {"duckdb": Warehouse("duckdb", str(root / "instagram.duckdb"))}
    for name, collation in COLLATIONS.items():
        warehouses[name] = Warehouse("postgres", postgres.create_database(f"same_as_duckdb_{name}", collation))
    taken: dict[str, list[Tables]] = {name: [] for name in warehouses}

    def connect(name: str) -> Any:
        if name == "duckdb":
            return duckdb.connect(warehouses[name].credentials, read_only=True)
        return postgres.connect(f"same_as_duckdb_{name}")

    def load_one(name: str) -> None:
        def snapshot() -> None:
            with contextlib.closing(connect(name)) as connection:
                taken[name].append(read_tables(connection))

        load(root / name, warehouses[name], WORLD, *[()] * RUNS, after_run=snapshot)

    with ThreadPoolExecutor(len(warehouses)) as pool:
        for done in [pool.submit(load_one, name) for name in warehouses]:
            done.result()
    return taken


@pytest.mark.parametrize("collation", COLLATIONS)
def test_every_raw_and_analytics_table_is_the_same_in_duckdb_and_postgres(
    snapshots: dict[str, list[Tables]], collation: str
) -> None:
    for run, (duckdb_tables, postgres_tables) in enumerate(zip(snapshots["duckdb"], snapshots[collation]), 1):
        found = table_differences(duckdb_tables, postgres_tables)
        assert not found, f"after run {run} of {RUNS}:\n" + "\n".join(
            f"{table}: {what}" for table, what in found.items()
        )


def test_the_comparison_covers_every_table_with_content(snapshots: dict[str, list[Tables]]) -> None:
    """Every raw table of the contract, every model, and real content: the graph, its history
    and the engagement figures."""
    assert {name: len(taken) for name, taken in snapshots.items()} == {name: RUNS for name in snapshots}
    last = snapshots["duckdb"][-1]
    assert {f"instagram_raw.{table}" for table in TABLES} <= set(last)
    assert {f"instagram_analytics.{model.name}" for model in load_models()} <= set(last)
    for table in ("users", "user_counts", "media", "follow_edges", "likes", "comments", "refresh_schedule"):
        assert last[f"instagram_raw.{table}"][1], table
    for table in ("user_graph_metrics", "follow_events", "media_engagement_history", "user_engagement", "stg_users"):
        assert last[f"instagram_analytics.{table}"][1], table
    assert len(last["instagram_analytics.graph_summary"][1]) == RUNS


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


def test_the_databases_have_the_collations_compared(
    snapshots: dict[str, list[Tables]], postgres: PostgresServer
) -> None:
    expected = {f"same_as_duckdb_{name}": collation or SERVER_LOCALE for name, collation in COLLATIONS.items()}
    with contextlib.closing(postgres.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT datname, datcollate FROM pg_database WHERE datname LIKE 'same_as_duckdb_%'")
        assert dict(cursor.fetchall()) == expected
