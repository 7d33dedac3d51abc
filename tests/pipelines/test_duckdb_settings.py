"""DuckDB's memory limit and threads: a share of the machine's memory with a floor, and the CPUs
the process may use, unless dlt's configuration sets them (`pipelines/warehouse.py`, documented
in .dlt/config.toml and docs/destinations.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("memory", "limit"),
    [(24 * 2**30, f"{6 * 1024}MB"), (2**30, "256MB"), (512 * 2**20, "256MB")],
)
def test_the_default_limit_is_a_quarter_of_the_machine_at_least_256_mb(
    monkeypatch: pytest.MonkeyPatch, memory: int, limit: str
) -> None:
    monkeypatch.setattr(warehouse, "machine_memory_bytes", lambda: memory)
    assert warehouse.default_memory_limit() == limit


def test_a_cgroup_limit_below_the_machine_memory_is_the_machine_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(warehouse, "CGROUP", tmp_path)
    (tmp_path / "memory.max").write_text("max\n")
    physical = warehouse.machine_memory_bytes()
    (tmp_path / "memory.max").write_text(f"{2**30}\n")
    assert warehouse.machine_memory_bytes() == min(physical, 2**30)


def test_the_threads_are_the_cpus_of_the_cgroup_quota(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(warehouse, "CGROUP", tmp_path)
    monkeypatch.setattr(warehouse.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert warehouse.machine_cpus() == 8
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert warehouse.machine_cpus() == 8
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # one and a half CPUs
    assert warehouse.machine_cpus() == 2


def test_the_environment_overrides_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", '{"memory_limit": "1GB"}')
    settings = warehouse.duckdb_settings()
    assert settings["memory_limit"] == "1GB"
    assert settings["threads"] == warehouse.DUCKDB_SETTINGS["threads"]


def test_the_config_file_sets_them_and_the_duckdb_file_is_still_found(tmp_path: Path) -> None:
    # the section .dlt/config.toml documents, read by a new process there (dlt reads a folder's
    # config file once per process); the credentials become a table, whose `database` (or,
    # without one, the default file) is the warehouse
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[destination.duckdb.credentials.global_config]\nmemory_limit = "3GB"\nthreads = 3\n'
    )
    shown = "from pipelines import warehouse; print(warehouse.duckdb_settings(), warehouse.configured_duckdb_file())"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    # the environment wins over the file, and tests/conftest.py sets the threads there
    for overriding in ("DESTINATION__DUCKDB__CREDENTIALS", "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"):
        env.pop(overriding, None)
    output = subprocess.run(
        [sys.executable, "-c", shown], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "'memory_limit': '3GB', 'threads': 3" in output
    assert output.strip().endswith(str((tmp_path / warehouse.DEFAULT_DUCKDB_FILE).resolve()))
