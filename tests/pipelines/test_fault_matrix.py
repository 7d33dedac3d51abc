"""The fault matrix: `python -m pipelines.run`, run again and again against an emulator that
injects one kind of fault at a rate a run can live with, or fails one endpoint always.

Each run exits with a documented code and never a traceback, loses nothing and loads nothing
wrong, and exits 0 only once its tables are those of a fault-free run of the same world. Within
`MAX_RUNS` runs the tables are those of the fault-free run; what could never be read is given
up in `extraction_errors`.

Fault plans are seeded, and `WORKERS=1` keeps the order of requests (and so which request gets
which fault) the same from one test run to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from emulator import Emulator, FaultPlan, World, WorldConfig
from emulator.faults import FAULT_KINDS
from pipelines.run import EXIT_ENTITIES_FAILED, EXIT_FAILURE, EXIT_PARTIAL, EXIT_SUCCESS

from .conftest import clean_run, pipeline_env, run_cli, source_settings, table_snapshot

WORLD = WorldConfig(seed=7, users=60)
SEED = 2026
MAX_RUNS = 8
# Few attempts, so that some reads outlast their retries and later runs must finish them;
# small pages, so that lists have follow-up pages (for `duplicate_page`, and for a budget that
# runs out mid-list).
SETTINGS = {
    "CRAWL_DEPTH": "1",
    "MEDIA_PAGE_SIZE": "5",
    "FOLLOW_PAGE_SIZE": "10",
    "WORKERS": "1",
    "REQUEST_ATTEMPTS": "3",
    "RETRY_BACKOFF_SECONDS": "0.01",
    "REQUEST_TIMEOUT": "1",
}
# What each exit code a faulty run may end with must say.
EXPLAINED = {
    EXIT_SUCCESS: "Work remains: no, everything configured was extracted",
    EXIT_FAILURE: "the API server is unavailable",
    EXIT_PARTIAL: "Work remains: the rate budget ran out",
    EXIT_ENTITIES_FAILED: "Entities failed",
}


@dataclass(frozen=True)
class Case:
    rate: float = 0.25
    plan: tuple[tuple[str, Any], ...] = ()  # more FaultPlan fields
    settings: tuple[tuple[str, str], ...] = ()  # more source settings


CASES = {kind: Case() for kind in FAULT_KINDS}
CASES["latency"] = Case(plan=(("latency_seconds", 0.05),))
# a stall outlasts the request timeout; kept short, the reads are one at a time
CASES["stall"] = Case(rate=0.2, plan=(("stall_seconds", 0.8),), settings=(("REQUEST_TIMEOUT", "0.3"),))
assert set(CASES) == set(FAULT_KINDS)


@dataclass
class Run:
    code: int
    output: str
    tables: dict[str, list[tuple]]
    user_ids: set[str]


def query(database: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# The source's bookkeeping: errors are checked on their own; the schedule's rows record when
# each read happened, which faults legitimately move (tests/source/test_refresh.py covers it).
BOOKKEEPING = ("extraction_errors", "refresh_schedule")


def data_tables(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {table: rows for table, rows in tables.items() if table not in BOOKKEEPING}


def row_counts(tables: dict[str, list[tuple]]) -> dict[str, int]:
    return {table: len(rows) for table, rows in data_tables(tables).items()}


@dataclass
class Clean:
    database: Path
    tables: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Clean:
    """A fault-free run of the world (one per test run, whichever worker asks first: read only)."""
    database = clean_run(tmp_path_factory, WORLD, **SETTINGS)
    tables = table_snapshot(database)
    assert tables["media"] and tables["likes"] and tables["comments"] and tables["follow_edges"]
    assert tables["extraction_errors"], "the world has refusals (a private user) to keep"
    return Clean(database, tables)


def user_ids(database: Path) -> set[str]:
    return {row["id"] for row in query(database, "SELECT id FROM instagram_raw.users")}


def errors(database: Path, where: str = "true") -> list[dict[str, Any]]:
    return query(database, f"SELECT * FROM instagram_raw.extraction_errors WHERE {where}")


def run_until_success(folder: Path, plan: FaultPlan, settings: dict[str, str], runs_wanted: int = 0) -> list[Run]:
    """Run the CLI against one emulator under `plan` until a run exits 0 (at most `MAX_RUNS`),
    or `runs_wanted` times. Every run exits with a documented code that its output explains,
    and no traceback."""
    runs: list[Run] = []
    with Emulator(World(WORLD), follows_any_user=True, faults=plan) as emu:
        env = pipeline_env(folder, **source_settings(emu, **settings))
        while len(runs) < MAX_RUNS:
            result = run_cli(folder, env, "--no-transforms", timeout=120)
            output = result.stdout + result.stderr
            context = f"run {len(runs) + 1}, codes so far {[run.code for run in runs]}:\n{output[-3000:]}"
            assert "Traceback" not in output, context
            assert result.returncode in EXPLAINED, context
            assert EXPLAINED[result.returncode] in output, context
            database = folder / "warehouse.duckdb"
            runs.append(Run(result.returncode, output, table_snapshot(database), user_ids(database)))
            if len(runs) == runs_wanted or (not runs_wanted and result.returncode == EXIT_SUCCESS):
                break
        assert emu.fired_faults, "the plan injected no fault"
    return runs


def assert_progress(runs: list[Run], expected: dict[str, list[tuple]], clean: Clean) -> None:
    """No run loses a row or loads a row a fault-free run does not have; a run that exits 0
    ends with the `expected` tables."""
    previous = {table: 0 for table in expected}
    clean_users = user_ids(clean.database)
    for number, run in enumerate(runs, 1):
        context = f"run {number} of {[r.code for r in runs]}"
        counts = row_counts(run.tables)
        assert all(counts.get(table, 0) >= count for table, count in previous.items()), (context, previous, counts)
        previous = counts
        for table, rows in data_tables(run.tables).items():
            if table != "users":  # a user seen in a list first has its short profile
                unexpected = set(rows) - set(clean.tables[table])
                assert not unexpected, (context, table, sorted(unexpected)[:3])
        assert run.user_ids <= clean_users, context
        if run.code == EXIT_SUCCESS:
            assert data_tables(run.tables) == expected, context


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_fault_kind_at_a_survivable_rate_converges_to_the_fault_free_tables(tmp_path, clean, kind):
    case = CASES[kind]
    plan = FaultPlan.from_dict({"seed": SEED, "rates": {kind: case.rate}, **dict(case.plan)})
    runs = run_until_success(tmp_path, plan, {**SETTINGS, **dict(case.settings)})
    codes = [run.code for run in runs]
    print(f"{kind} at {case.rate}: exit codes {codes}")  # shown with -rP
    assert codes[-1] == EXIT_SUCCESS, f"no run exited 0 within {MAX_RUNS}: {codes}"
    assert_progress(runs, data_tables(clean.tables), clean)
    # the refusals of the fault-free run, and a record of each read that outlasted its retries
    # in some run; none was given up (every one was read in a later run)
    assert set(clean.tables["extraction_errors"]) <= set(runs[-1].tables["extraction_errors"])
    retried = errors(tmp_path / "warehouse.duckdb", "failed_runs IS NOT NULL")
    assert not [row for row in retried if row["gave_up"] is not False], retried
    assert len(runs[-1].tables["extraction_errors"]) == len(clean.tables["extraction_errors"]) + len(retried)
    if EXIT_ENTITIES_FAILED in codes:
        assert retried


def test_an_endpoint_failing_always_costs_only_its_entities_which_are_given_up(tmp_path, clean):
    plan = FaultPlan.from_dict({"seed": SEED, "rates": {"http_500": 1.0}, "endpoints": ["GET /media/{id}/comments"]})
    runs = run_until_success(tmp_path, plan, {**SETTINGS, "FAILURE_MAX_RUNS": "2"}, runs_wanted=3)
    # failed, then failed again and given up, then nothing left to do but say they are given up
    assert [run.code for run in runs] == [EXIT_ENTITIES_FAILED] * 3
    assert "gave up" in runs[1].output
    assert "given up" in runs[2].output and "everything configured was extracted" not in runs[2].output
    # everything but the comments, and the users seen only as their authors
    comments = query(clean.database, "SELECT media_id, from_user_id FROM instagram_raw.comments")
    missing_users = user_ids(clean.database) - runs[-1].user_ids
    assert missing_users <= {row["from_user_id"] for row in comments}
    expected = {**data_tables(clean.tables), "comments": []}
    expected["users"] = data_tables(table_snapshot(tmp_path / "warehouse.duckdb"))["users"]
    assert len(expected["users"]) == len(clean.tables["users"]) - len(missing_users)
    assert set(expected["users"]) <= set(clean.tables["users"])
    assert_progress(runs, expected, clean)
    assert data_tables(runs[-1].tables) == expected
    # the comments of each commented media given up after two failed runs
    given_up = errors(tmp_path / "warehouse.duckdb", "gave_up")
    assert {row["entity_id"] for row in given_up} == {row["media_id"] for row in comments}
    assert {(row["entity_kind"], row["endpoint"], row["failed_runs"]) for row in given_up} == {
        ("comments", "GET /media/{id}/comments", 2)
    }
    assert len(errors(tmp_path / "warehouse.duckdb", "failed_runs IS NOT NULL")) == len(given_up)
    assert set(clean.tables["extraction_errors"]) <= set(runs[-1].tables["extraction_errors"])


@pytest.mark.parametrize("kind", ["http_502", "reset"])
def test_the_first_endpoint_read_failing_always_does_not_stop_the_run(tmp_path, clean, kind):
    """`GET /users/{id}` is the first request of a run; failing always without a v1 answer (a
    load balancer's page, a broken connection) it costs the profiles only, not the run."""
    plan = FaultPlan.from_dict({"seed": SEED, "rates": {kind: 1.0}, "endpoints": ["GET /users/{id}"]})
    with Emulator(World(WORLD), follows_any_user=True, faults=plan) as emu:
        env = pipeline_env(tmp_path, **source_settings(emu, **SETTINGS))
        result = run_cli(tmp_path, env, "--no-transforms", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_ENTITIES_FAILED, output[-3000:]
    assert "Traceback" not in output
    tables = table_snapshot(tmp_path / "warehouse.duckdb")
    for table in ("media", "media_counts", "media_tags", "likes", "comments", "locations"):
        assert tables[table] == clean.tables[table], table
    failed = errors(tmp_path / "warehouse.duckdb", "failed_runs IS NOT NULL")
    assert {(row["entity_kind"], row["entity_id"]) for row in failed} == {("user", "self")}
