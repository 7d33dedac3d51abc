"""Settings shared by every test: no telemetry, DuckDB on one thread, no dlt state outside the test's
own folder."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer, postgres_server
from tests.warehouses import Warehouses

# Set before dlt reads its configuration, for every test and every subprocess a test starts.
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
# DuckDB on one thread, through the override pipelines/warehouse.py documents (its other
# settings stay): the test workers and the steps beside them already keep both cores busy, and
# on the tests' small tables a second DuckDB thread costs CPU (about a third more per query)
# and saves no time.
os.environ["DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"] = '{"threads": 1}'


# The modules that take longest (`pytest --durations`, summed per module), longest first. They
# run before the rest, in this order, each module's tests together (so that a module-scoped
# fixture is set up once per worker): xdist hands each worker a contiguous share of the
# collection and `--dist worksteal` steals from the back of a worker's queue, so the long tests
# start early, on every worker once the short ones are stolen, and the last minute of the suite
# is short tests on both workers rather than one campaign on one worker while the other idles.
# A module missing here only runs later; the list is a schedule, not a selection.
LONGEST_FIRST = (
    "pipelines/test_first_pass.py",  # one test, the suite's longest (about a minute)
    "pipelines/test_run.py",
    "transforms/test_incremental_build.py",
    "pipelines/test_fault_matrix.py",
    "source/test_budget.py",
    "pipelines/test_signals.py",
    "pipelines/test_entry_point_exit_codes.py",
    "pipelines/test_analyst_session.py",
    "pipelines/test_shards.py",
    "pipelines/test_exit_codes.py",
    "source/test_hostile_server.py",
    "source/test_kill.py",
    "graph_source/test_kill.py",
    "graph_source/test_run.py",
    "source/test_counters.py",
    "source/test_load.py",
    "transforms/test_follow_history_emulator.py",
    "source/test_refresh.py",
    "source/test_faults.py",
)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    rank = {tests / name: position for position, name in enumerate(LONGEST_FIRST)}
    # a stable sort: the other modules, and the tests within each module, keep their order
    items.sort(key=lambda item: rank.get(item.path, len(rank)))


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
