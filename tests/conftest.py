"""Settings shared by every test: no telemetry, no dlt state outside the test's own folder."""

import os
from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresServer, postgres_server
from tests.warehouses import Warehouses

# Set before dlt reads its configuration, for every test and every subprocess a test starts.
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"


@pytest.fixture(autouse=True)
def isolated_dlt(tmp_path, monkeypatch):
    """Keep pipeline working dirs and dlt's global folder inside the test's tmp_path."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (started on first use, stopped at the end)."""
    pytest.importorskip("psycopg2", reason="the postgres extra is not installed (scripts/test-postgres)")
    with postgres_server() as server:
        yield server


@pytest.fixture
def warehouses(request: pytest.FixtureRequest) -> Warehouses:
    """New warehouses of the kind the test is parametrized with (`tests.warehouses.DESTINATIONS`),
    DuckDB files when it is not."""
    kind = getattr(request, "param", "duckdb")
    return Warehouses(kind, request.getfixturevalue("postgres") if kind == "postgres" else None)
