"""Every entry point builds its pipeline in one place (`Warehouse.pipeline`), with the project's
DuckDB destination: the spilling merge, `duckdb_settings()` on each connection and `LOAD_JOBS`
load jobs. The Airflow DAG's unsharded path once loaded through dlt's stock DuckDB destination
(no memory limit, dlt's merge, 20 jobs) and nothing noticed. Here the command line, a shard and
`python -m transforms` run for real, in this process, with every pipeline dlt builds recorded;
tests/airflow/test_airflow_dag.py does the same for both paths of the DAG."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import Emulator
from pipelines import analytics
from pipelines import run as run_module
from tests.warehouses import assert_project_duckdb, pipelines_built

from .conftest import source_settings

SHARDS = {"north": "north-token-0123456789", "south": "south-token-0123456789"}


@pytest.fixture
def settings(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A run's settings in the environment, as cron would have them; returns the DuckDB file."""
    for key in [key for key in os.environ if key.startswith("SOURCES__")]:
        monkeypatch.delenv(key)
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(database))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for key, value in source_settings(emulator, CRAWL_DEPTH="0").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SOURCES__INSTAGRAM__SHARDS", '["north", "south"]')
    for shard, token in SHARDS.items():
        emulator.add_token(token)
        monkeypatch.setenv(f"INSTAGRAM_{shard.upper()}__SOURCES__INSTAGRAM__ACCESS_TOKEN", token)
    # what `main` sets for its process, undone after the test: dlt's log level (inherited by
    # every CLI the worker starts later) and its signal handlers
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "INFO")
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.chdir(tmp_path)
    yield database
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def test_the_cli_a_shard_and_the_transforms_load_through_the_project_destination(
    settings: Path, tmp_path: Path
) -> None:
    dlt_dir = str(tmp_path / "dlt")
    with pipelines_built() as built:
        assert run_module.main(["--pipelines-dir", dlt_dir, "--no-publish"]) == run_module.EXIT_SUCCESS
        assert run_module.main(["--pipelines-dir", dlt_dir, "--shard", "north"]) == run_module.EXIT_SUCCESS
        assert analytics.main(["--pipelines-dir", dlt_dir, "--no-publish"]) == analytics.EXIT_BUILT
    assert [pipeline.pipeline_name for pipeline in built] == ["instagram", "instagram_north", "instagram"]
    for pipeline in built:
        assert_project_duckdb(pipeline, settings)
