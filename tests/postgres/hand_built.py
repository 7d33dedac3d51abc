"""Hand-built raw tables in a DuckDB file or a PostgreSQL database, the transforms run over
them, and every table read back (`test_same_as_duckdb.read_tables`): for the tests that pin a
rule down on both engines with a few rows."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dlt
import duckdb

from pipelines.warehouse import postgres_destination
from tests.postgres.test_same_as_duckdb import Tables, read_tables
from tests.postgres_server import PostgresServer
from tests.transforms.conftest import RAW, Warehouse
from transforms import run_transforms
from transforms.raw_tables import RAW_TABLES

Rows = Mapping[str, list[dict[str, Any]]]


def built_in_duckdb(folder: Path, raw: Rows) -> Tables:
    """`raw` written in that order into a new DuckDB file in `folder`, then the transforms."""
    folder.mkdir()
    warehouse = Warehouse(folder / "instagram.duckdb", pipelines_dir=folder / "dlt")
    for table, rows in raw.items():
        warehouse.write_raw(table, rows)
    warehouse.transform()
    with contextlib.closing(duckdb.connect(str(warehouse.path), read_only=True)) as connection:
        return read_tables(connection)


def built_in_postgres(
    server: PostgresServer, database: str, folder: Path, raw: Rows, collation: str | None = None
) -> Tables:
    """`raw` written in that order into a new database (the server's default collation, or
    `collation`) with exactly the columns the transforms read, then the transforms."""
    url = server.create_database(database, collation)
    with contextlib.closing(server.connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {RAW}")
        for table, rows in raw.items():
            columns = RAW_TABLES[table]
            cursor.execute(f"CREATE TABLE {RAW}.{table} ({', '.join(f'{n} {t}' for n, t in columns.items())})")
            cursor.executemany(
                f"INSERT INTO {RAW}.{table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                [tuple(row.get(name) for name in columns) for row in rows],
            )
    pipeline = dlt.pipeline(
        "hand_built", destination=postgres_destination(url), dataset_name=RAW, pipelines_dir=str(folder)
    )
    run_transforms(pipeline)
    with contextlib.closing(server.connect(database)) as connection:
        return read_tables(connection)
