"""Fixtures for running `python -m pipelines.run` as a subprocess against a real emulator."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import Emulator, World, WorldConfig
from pipelines.run import EXIT_SUCCESS
from tests.process_output import ProcessOutput
from tests.shared import DONE, built_once, read_only, source_env

REPO_ROOT = Path(__file__).resolve().parents[2]
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")
DEMO_ARGS = ("--demo", "--demo-users", "300")


@pytest.fixture(scope="session")
def small_world_config() -> WorldConfig:
    return WorldConfig(seed=7, users=150)


@pytest.fixture
def emulator(small_world_config):
    with Emulator(World(small_world_config), follows_any_user=True) as emu:
        yield emu


def pipeline_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """Environment for one pipeline process: its own DuckDB file and dlt working dir."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOURCES__")}
    env.update(
        DESTINATION__DUCKDB__CREDENTIALS=str(tmp_path / "warehouse.duckdb"),
        DLT_DATA_DIR=str(tmp_path / "dlt_data"),
        RUNTIME__DLTHUB_TELEMETRY="false",
        PYTHONPATH=str(REPO_ROOT),
    )
    env.update(settings)
    return env


def source_settings(emu: Emulator, token: str | None = None, **extra: str) -> dict[str, str]:
    settings = {
        "SOURCES__INSTAGRAM__BASE_URL": emu.base_url,
        "SOURCES__INSTAGRAM__ACCESS_TOKEN": token if token is not None else emu.access_token,
        "SOURCES__INSTAGRAM__CRAWL_DEPTH": "1",
    }
    settings.update(source_env(extra))
    return settings


def run_cli(tmp_path: Path, env: dict[str, str], *args: str, timeout: float = 240):
    return subprocess.run(
        [sys.executable, "-m", "pipelines.run", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# where a run built once (`run_once`, `demo`) keeps its output, beside the folder a copy takes
RUN_OUTPUT = ("stdout.txt", "stderr.txt")


def kept_output(folder: Path, result: subprocess.CompletedProcess) -> None:
    """The output of a run built once that exited 0, in `RUN_OUTPUT` in `folder`."""
    assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]
    for name, output in zip(RUN_OUTPUT, (result.stdout, result.stderr), strict=True):
        (folder / name).write_text(output)


def run_once(tmp_path_factory: pytest.TempPathFactory, world: WorldConfig, *args: str, **settings: str) -> Path:
    """The folder of a successful CLI run with `args` against `world` (follow lists of any
    user) and the source `settings` (`source_settings`'s), laid out as `pipeline_env` lays it
    out (the DuckDB file, dlt's working folder, the read copy), its output in `RUN_OUTPUT`. One
    per test run, arguments and settings, whichever worker asks first: read only (see
    `copy_of_run`). Its emulator is its own, over the same seeded world as a test's (a world's
    clock moves only when a test advances it)."""

    def run(folder: Path) -> None:
        with Emulator(World(world), follows_any_user=True) as emu:
            kept_output(folder, run_cli(folder, pipeline_env(folder, **source_settings(emu, **settings)), *args))

    key = hashlib.sha256(repr((world, args, sorted(settings.items()))).encode()).hexdigest()[:16]
    return built_once(tmp_path_factory, f"run_{key}", run)


def copy_of_run(run: Path, folder: Path) -> tuple[str, str]:
    """`folder` as a run built once (`run_once`, `demo`) left its own, for a test to go on
    from; that run's stdout and stderr."""
    shutil.copytree(run, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*RUN_OUTPUT, DONE))
    stdout, stderr = ((run / name).read_text() for name in RUN_OUTPUT)
    return stdout, stderr


def clean_run(tmp_path_factory: pytest.TempPathFactory, world: WorldConfig, **settings: str) -> Path:
    """The DuckDB file of a fault-free `--no-transforms` run (`run_once`): the reference the
    tests that disturb such a run compare their tables with."""
    return run_once(tmp_path_factory, world, "--no-transforms", **settings) / "warehouse.duckdb"


@pytest.fixture
def first_run(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, small_world_config: WorldConfig
) -> tuple[str, str]:
    """`tmp_path` as a first run with the default settings (`emulator`'s world and
    `source_settings`'s, transforms and read copy) leaves it: a copy of one such run
    (`run_once`). Its stdout and stderr."""
    return copy_of_run(run_once(tmp_path_factory, small_world_config), tmp_path)


def demo_env(folder: Path) -> dict[str, str]:
    """The environment of a demo run in `folder`, as scripts/demo runs it: into ./instagram.duckdb."""
    env = pipeline_env(folder)
    env.pop("DESTINATION__DUCKDB__CREDENTIALS")
    return env


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of one `--demo` run (`DEMO_ARGS`) as scripts/demo runs it, in a folder holding
    the project's own .dlt/config.toml, its output in `RUN_OUTPUT`. One per test run, whichever
    worker asks first: read only (copy it to run again)."""

    def run(folder: Path) -> None:
        shutil.copytree(REPO_ROOT / ".dlt", folder / ".dlt")
        kept_output(folder, run_cli(folder, demo_env(folder), *DEMO_ARGS))

    return built_once(tmp_path_factory, "demo", run)


def start_cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.run", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_signal_handlers(process: subprocess.Popen, *signums: int, timeout: float = 120) -> None:
    """Block until `process` catches each of `signums` (its SigCgt mask in /proc): until the CLI
    has installed its handlers, a SIGTERM kills it outright, whatever the test meant to check."""
    wanted = sum(1 << (signum - 1) for signum in signums)
    deadline = time.monotonic() + timeout
    while True:
        with open(f"/proc/{process.pid}/status") as status:
            caught = int(next(line for line in status if line.startswith("SigCgt:")).split()[1], 16)
        if caught & wanted == wanted:
            return
        assert process.poll() is None, f"the process ended (code {process.returncode}) before it caught {signums}"
        assert time.monotonic() < deadline, f"no handlers for {signums} after {timeout} s"
        time.sleep(0.005)  # polling a condition, not a guess at how long start-up takes


def watch_cli(tmp_path: Path, env: dict[str, str], *args: str) -> ProcessOutput:
    process = start_cli(tmp_path, env, *args)
    return ProcessOutput(process, process.stdout)


@contextlib.contextmanager
def answers_held(emu: Emulator) -> Iterator[None]:
    """Requests reach the emulator but wait for their answers until the block ends: the
    emulator answers only under its world lock (the one `Emulator.advance` takes)."""
    with emu._api.world_lock:
        yield


# The schedule's epoch names the source state that wrote a row: a random id, equal only within
# one warehouse's history; its write_order orders the writes of one run, as they happened.
PER_STATE_COLUMNS = {("refresh_schedule", "epoch"), ("refresh_schedule", "write_order")}


def table_snapshot(database: Path, schema: str = "instagram_raw") -> dict[str, list[tuple]]:
    """Every table of `schema` as sorted rows, without dlt's per-load bookkeeping columns."""
    with read_only(database) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ?"
            " AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY table_name, column_name",
            [schema],
        ).fetchall():
            kept = columns.setdefault(table, [])
            if column not in DLT_COLUMNS and (table, column) not in PER_STATE_COLUMNS:
                kept.append(column)
        snapshot = {}
        for table, kept in columns.items():
            select = ", ".join(f'"{column}"' for column in kept)
            rows = con.execute(f'SELECT {select} FROM {schema}."{table}"').fetchall()
            snapshot[table] = sorted(rows, key=repr)
        return snapshot
