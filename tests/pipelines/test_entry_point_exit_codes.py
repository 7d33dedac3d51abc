"""The README's exit codes, for every entry point (`python -m pipelines.run`, `python -m
transforms`, `python -m pipelines.report`), by subprocess, for what the other modules of this
folder leave out: a damaged DuckDB file, entities given up or waiting out their backoff, a
configured entity that does not exist, the summary after a refused token, a second Ctrl-C, and
every code the transforms and the report can end with. Never a raw traceback.

Codes 3, 4, 5 and 6 concern reading the API: `transforms` and `pipelines.report` read none and
never use them (their module docstrings say so); `pipelines.run`'s 3, 4 and 5 are shown in
test_run.py, its 130 and 143 at random moments in test_signals.py.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from emulator import Emulator, FaultPlan, World
from pipelines.run import (
    EXIT_AUTH_ERROR,
    EXIT_CONFIG_ERROR,
    EXIT_ENTITIES_FAILED,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_SUCCESS,
)
from tests.process_output import ProcessOutput
from tests.shared import built_once

from .conftest import REPO_ROOT, pipeline_env, run_cli, source_settings, wait_for_signal_handlers

# one tag's media list and nothing else: a run of a few requests
ONE_TAG = ("--no-transforms", "--resources", "tag_media", "--tags", "love")
FAST_RETRIES = {"CRAWL_DEPTH": "0", "REQUEST_ATTEMPTS": "2", "RETRY_BACKOFF_SECONDS": "0.01"}


def assert_clean_exit(result, code: int, *phrases: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == code, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    for phrase in phrases:
        assert phrase in output, output[-3000:]
    return output


def module_cli(module: str, tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=tmp_path,
        env=pipeline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_module(module: str, tmp_path: Path, *args: str) -> ProcessOutput:
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=tmp_path,
        env=pipeline_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return ProcessOutput(process, process.stdout)


def truncated_duckdb_file(path: Path) -> Path:
    """A DuckDB database of several blocks, cut to a third: its header intact."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA instagram_raw")
        con.execute(
            "CREATE TABLE instagram_raw.media AS SELECT range AS id, md5(range::VARCHAR) AS caption FROM range(300000)"
        )
    os.truncate(path, path.stat().st_size // 3)
    assert path.stat().st_size > 3 * 4096
    return path


@pytest.fixture(scope="module")
def raw_warehouse(tmp_path_factory, small_world_config) -> Path:
    """A warehouse with one tag's media loaded, no analytics yet (one per test run, whichever
    worker asks first: copy it before writing)."""

    def load(folder: Path) -> None:
        with Emulator(World(small_world_config), follows_any_user=True) as emu:
            result = run_cli(folder, pipeline_env(folder, **source_settings(emu, CRAWL_DEPTH="0")), *ONE_TAG)
        assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]

    return built_once(tmp_path_factory, "one_tag_raw_warehouse", load) / "warehouse.duckdb"


@pytest.fixture
def warehouse(tmp_path, raw_warehouse) -> Path:
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(raw_warehouse, database)
    return database


# -- python -m pipelines.run ----------------------------------------------------------------------


def test_run_a_truncated_duckdb_file_exits_2_at_once_not_busy(tmp_path, emulator):
    database = truncated_duckdb_file(tmp_path / "warehouse.duckdb")
    started = time.monotonic()
    result = run_cli(tmp_path, pipeline_env(tmp_path, **source_settings(emulator)), "--load-wait", "5")
    output = assert_clean_exit(result, EXIT_CONFIG_ERROR, str(database), "damaged")
    assert "busy" not in output
    assert time.monotonic() - started < 5 + 30  # not after waiting for a busy file (load-wait 5 s)
    assert emulator.stats.total == 0, "found before extracting"


def test_run_after_an_entity_is_given_up_says_so_and_exits_6(tmp_path, small_world_config):
    plan = FaultPlan.from_dict({"rates": {"http_500": 1.0}, "endpoints": ["GET /tags/{name}/media/recent"]})
    with Emulator(World(small_world_config), follows_any_user=True, faults=plan) as emu:
        env = pipeline_env(tmp_path, **source_settings(emu, FAILURE_MAX_RUNS="1", **FAST_RETRIES))
        first = run_cli(tmp_path, env, *ONE_TAG)
        assert_clean_exit(first, EXIT_ENTITIES_FAILED, "gave up")
        later = run_cli(tmp_path, env, *ONE_TAG)
    output = assert_clean_exit(later, EXIT_ENTITIES_FAILED, "given up", "list tag:love")
    assert "everything configured was extracted" not in output


def test_run_with_only_entities_waiting_out_their_backoff_exits_6_not_4(tmp_path, small_world_config):
    plan = FaultPlan.from_dict({"rates": {"http_500": 1.0}, "endpoints": ["GET /tags/{name}/media/recent"]})
    with Emulator(World(small_world_config), follows_any_user=True, faults=plan) as emu:
        env = pipeline_env(tmp_path, **source_settings(emu, FAILURE_MAX_RUNS="5", **FAST_RETRIES))
        codes = [run_cli(tmp_path, env, *ONE_TAG).returncode for _ in range(2)]  # failed, failed again
        assert codes == [EXIT_ENTITIES_FAILED, EXIT_ENTITIES_FAILED]
        waiting = run_cli(tmp_path, env, *ONE_TAG)  # the list waits out its backoff: no request for it
    output = assert_clean_exit(waiting, EXIT_ENTITIES_FAILED, "wait out their backoff", "list tag:love")
    assert "rate budget ran out" not in output


def test_run_a_configured_tag_that_does_not_exist_is_a_warning_and_exit_6(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator, CRAWL_DEPTH="0"))
    result = run_cli(tmp_path, env, "--no-transforms", "--resources", "tag_media", "--tags", "thisdoesnotexist,love")
    output = assert_clean_exit(result, EXIT_ENTITIES_FAILED, "tag thisdoesnotexist")
    assert any("WARNING" in line and "thisdoesnotexist" in line for line in output.splitlines()), output[-3000:]
    assert "everything configured was extracted" not in output


def test_run_after_a_refused_token_does_not_promise_that_the_next_run_continues(tmp_path, emulator):
    bad_token = "1234.abcdef0.0123456789abcdef0123456789abcdef"
    result = run_cli(tmp_path, pipeline_env(tmp_path, **source_settings(emulator, token=bad_token)), "--no-transforms")
    output = assert_clean_exit(result, EXIT_AUTH_ERROR, "renewed")
    assert "the next run continues where this one stopped" not in output


def test_run_a_second_ctrl_c_inside_the_extract_exits_130(tmp_path, emulator):
    result = subprocess.run(
        [sys.executable, "-m", "tests.pipelines.interrupted_twice_cli", *ONE_TAG],
        cwd=tmp_path,
        env={**pipeline_env(tmp_path, **source_settings(emulator, CRAWL_DEPTH="0")), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_clean_exit(result, EXIT_INTERRUPTED[signal.SIGINT], "stopped at once")


# -- python -m transforms -------------------------------------------------------------------------


def test_transforms_on_a_mistyped_path_exit_2_and_create_nothing(tmp_path):
    result = module_cli("transforms", tmp_path, "--duckdb", str(tmp_path / "typo.duckdb"))
    output = assert_clean_exit(result, EXIT_CONFIG_ERROR, "typo.duckdb does not exist")
    assert "contract tests passed" not in output
    assert not list(tmp_path.glob("typo*")), "a warehouse it was asked to read was created"


@pytest.mark.parametrize("kind", ["truncated", "not a database", "folder"])
def test_transforms_on_a_file_that_is_no_usable_database_exit_2(tmp_path, kind):
    database = tmp_path / "warehouse.duckdb"
    if kind == "truncated":
        truncated_duckdb_file(database)
    elif kind == "folder":
        database.mkdir()
    else:
        database.write_text("this is a spreadsheet, not a database" * 100)
    result = module_cli("transforms", tmp_path, "--duckdb", str(database))
    assert_clean_exit(result, EXIT_CONFIG_ERROR, "configuration error", str(database))


def test_transforms_where_nothing_can_be_written_exit_2(tmp_path, warehouse):
    # the lock beside the file cannot be created (what a read-only folder does to a non-root user)
    (tmp_path / "warehouse.duckdb.lock").mkdir()
    result = module_cli("transforms", tmp_path, "--duckdb", str(warehouse))
    assert_clean_exit(result, EXIT_CONFIG_ERROR, "configuration error", "warehouse.duckdb.lock")


def test_transforms_on_a_file_another_process_holds_exit_1_then_0(tmp_path, warehouse):
    with duckdb.connect(str(warehouse)):  # an analyst's session on the file
        result = module_cli("transforms", tmp_path, "--duckdb", str(warehouse), "--no-publish")
    assert_clean_exit(result, EXIT_FAILURE, "held by another process")
    assert_clean_exit(module_cli("transforms", tmp_path, "--duckdb", str(warehouse)), 0, "models built")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_transforms_interrupted_exit_130_or_143(tmp_path, warehouse, signum):
    with open(tmp_path / "warehouse.duckdb.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a run holds the warehouse: the transforms wait for it
        watched = start_module("transforms", tmp_path, "--duckdb", str(warehouse))
        wait_for_signal_handlers(watched.process, signal.SIGINT, signal.SIGTERM, timeout=30)
        assert watched.wait_for("waiting for it to finish")
        watched.process.send_signal(signum)
        output = watched.finish(timeout=60)
    assert watched.process.returncode == EXIT_INTERRUPTED[signum], output[-3000:]
    assert "Traceback" not in output, output[-3000:]


# -- python -m pipelines.report ---------------------------------------------------------------------


def test_report_on_a_truncated_file_exit_2(tmp_path):
    database = truncated_duckdb_file(tmp_path / "warehouse.duckdb")
    result = module_cli("pipelines.report", tmp_path, "--duckdb", str(database))
    assert_clean_exit(result, 2, str(database), "damaged")
    assert not list(tmp_path.glob("*.html"))


def test_report_that_cannot_be_written_exit_2(tmp_path, warehouse):
    result = module_cli("pipelines.report", tmp_path, "--duckdb", str(warehouse), "--output", "/proc/x/report.html")
    assert_clean_exit(result, 2, "cannot write the report")


def test_report_on_a_file_another_process_holds_exit_1_then_0(tmp_path, warehouse):
    with duckdb.connect(str(warehouse)):  # a run loading into the file
        result = module_cli("pipelines.report", tmp_path, "--duckdb", str(warehouse))
    assert_clean_exit(result, 1, "held by another process")
    assert_clean_exit(module_cli("pipelines.report", tmp_path, "--duckdb", str(warehouse)), 0, "Report written")


def blocked_on_open(pid: int) -> bool:
    with open(f"/proc/{pid}/wchan") as wchan:
        waiting_in = wchan.read()
    return "fifo" in waiting_in or "partner" in waiting_in  # Linux: wait_for_partner


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_report_interrupted_exit_130_or_143(tmp_path, warehouse, signum):
    # the report's temporary file is a named pipe nobody reads: writing it waits for ever
    output = tmp_path / "report.html"
    os.mkfifo(output.with_name("report.html.tmp"))
    watched = start_module("pipelines.report", tmp_path, "--duckdb", str(warehouse), "--output", str(output))
    wait_for_signal_handlers(watched.process, signal.SIGINT, signal.SIGTERM, timeout=30)
    deadline = time.monotonic() + 60
    while not blocked_on_open(watched.process.pid):
        assert watched.process.poll() is None, watched.text[-3000:]
        assert time.monotonic() < deadline, "the report never reached its output"
        time.sleep(0.01)
    watched.process.send_signal(signum)
    text = watched.finish(timeout=60)
    assert watched.process.returncode == EXIT_INTERRUPTED[signum], text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert not output.exists()
