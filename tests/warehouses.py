"""Empty warehouses of one kind (a DuckDB file, or a database on the tests' PostgreSQL server),
for the tests that must hold on every tested destination (docs/destinations.md).

`@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)` runs a test once per
destination; the Postgres case carries the `postgres` mark, and skips where the postgres extra
is not installed (the main .venv: scripts/test-postgres runs it).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import pytest

from pipelines import duckdb_merge
from pipelines.warehouse import LOAD_JOBS, duckdb_destination, duckdb_settings, postgres_destination
from tests.postgres_server import PostgresServer

DESTINATIONS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]

_database_numbers = itertools.count()


@dataclass(frozen=True)
class Warehouse:
    """One warehouse: the dlt destination `kind` and its credentials (a file path or a URL)."""

    kind: str
    credentials: str

    def destination(self) -> Any:
        if self.kind == "duckdb":
            return duckdb_destination(Path(self.credentials))  # what every run loads through
        return postgres_destination(self.credentials)

    def env(self) -> dict[str, str]:
        """How a pipeline process finds it: dlt's variable for the destination's credentials."""
        return {f"DESTINATION__{self.kind.upper()}__CREDENTIALS": self.credentials}


class Warehouses:
    """Makes new, empty warehouses of one kind."""

    def __init__(self, kind: str, server: PostgresServer | None = None) -> None:
        self.kind = kind
        self.server = server

    def new(self, folder: Path, name: str = "instagram") -> Warehouse:
        """A new warehouse: `<folder>/<name>.duckdb`, or a new database on the server."""
        if self.server is None:
            return Warehouse("duckdb", str(folder / f"{name}.duckdb"))
        database = f"{name}_{os.getpid()}_{next(_database_numbers)}"
        return Warehouse("postgres", self.server.create_database(database))


@contextlib.contextmanager
def pipelines_built() -> Iterator[list[dlt.Pipeline]]:
    """Every pipeline `dlt.pipeline` builds inside the block, in order."""
    built: list[dlt.Pipeline] = []
    build = dlt.pipeline

    def recording(*args: Any, **kwargs: Any) -> dlt.Pipeline:
        built.append(build(*args, **kwargs))
        return built[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dlt, "pipeline", recording)
        yield built


def assert_project_duckdb(pipeline: dlt.Pipeline, database: Path) -> None:
    """`pipeline` loads into `database` through the project's DuckDB destination and settings."""
    destination = pipeline.destination
    assert type(destination) is duckdb_merge.duckdb, f"{pipeline.pipeline_name}: {type(destination)}"
    credentials = destination.config_params["credentials"]
    assert Path(credentials.database) == database
    assert credentials.global_config == duckdb_settings()
    assert destination.capabilities().max_parallel_load_jobs == LOAD_JOBS
