"""A pipeline run in its own process (killed with SIGKILL by the tests), configured only
through environment variables (SOURCES__INSTAGRAM__*, or SOURCES__INSTAGRAM_GRAPH__* for the
Graph API's source), as cron would run it.

Usage: python -m tests.source.pipeline_process PIPELINES_DIR DESTINATION [API] (`duckdb` or
`postgres`, its credentials from dlt's variable, e.g. DESTINATION__DUCKDB__CREDENTIALS; API
`v1`, the default, or `graph`: the pipeline, dataset and source of `pipelines.warehouse`)

With CRASH_AFTER_STAGING=<table>, the process kills itself right after that table's file is
committed to the staging dataset and before dlt records the job as done, the worst moment for
an at-least-once load (once: it leaves CRASH_AFTER_STAGING_MARKER behind). With
CRASH_INSIDE=<moment>, it kills itself inside one of dlt's multi-file commits
(`tests.pipelines.crashing_cli.MOMENTS`).

dlt's progress goes to stderr ("... Extract instagram ...", "Normalize", "Load"), so that a test
can kill the process when it reaches a step. Before any step it recovers from what a kill left
half done inside one of dlt's commits, as `python -m pipelines.run` does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
from dlt.destinations.insert_job_client import InsertValuesLoadJob

from pipelines.recovery import recover_from_a_kill
from pipelines.warehouse import GRAPH_API, V1_API, pipeline_name, raw_dataset
from sources.instagram import instagram, remove_rows_loaded_twice
from sources.instagram_graph import instagram_graph
from tests.pipelines.crashing_cli import MOMENTS
from tests.warehouses import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def start(folder: Path, env: dict[str, str], warehouse: Warehouse, api: str = V1_API) -> subprocess.Popen:
    """This module's run of `api`'s source into `warehouse`, in `folder` (its pipelines dir
    there), its stderr (dlt's progress) piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.source.pipeline_process", str(folder / f"{pipeline_name(api=api)}_pipelines")]
        + [warehouse.kind, api],
        cwd=folder,
        env={**env, "PYTHONPATH": str(ROOT), **warehouse.env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen) -> int:
    """Wait for a started run; its exit code."""
    process.communicate(timeout=120)  # reading stderr: a full pipe would stall the process
    return process.returncode


def crash_after_staging(table: str, marker: Path) -> None:
    # dict rows load as INSERT statements, Arrow rows (follow_edges) by copying a file: parquet
    # into DuckDB, csv into PostgreSQL
    copy_jobs: list[type] = [DuckDbCopyJob]
    with contextlib.suppress(ImportError):  # psycopg2: the postgres extra
        from dlt.destinations.impl.postgres.postgres import PostgresCsvCopyJob

        copy_jobs.append(PostgresCsvCopyJob)
    for job_class in (InsertValuesLoadJob, *copy_jobs):
        job_class.run = _then_die(job_class.run, table, marker)


def _then_die(load_file: Callable[[Any], None], table: str, marker: Path) -> Callable[[Any], None]:
    def load_file_then_die(job: Any) -> None:
        load_file(job)
        staging = job._job_client.sql_client.dataset_name.endswith("_staging")
        if staging and job.load_table_name == table and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)

    return load_file_then_die


def main(pipelines_dir: str, destination: str, api: str = V1_API) -> int:
    if table := os.environ.get("CRASH_AFTER_STAGING"):
        crash_after_staging(table, Path(os.environ["CRASH_AFTER_STAGING_MARKER"]))
    if moment := os.environ.get("CRASH_INSIDE"):
        MOMENTS[moment]()
    pipeline = dlt.pipeline(
        pipeline_name(api=api),
        destination=destination,
        dataset_name=raw_dataset(api),
        pipelines_dir=pipelines_dir,
        progress=dlt.progress.log(logger=sys.stderr),
    )
    recover_from_a_kill(pipeline)
    if pipeline.has_pending_data:  # a killed run left a package: load it first
        # not run(), as the recipe: before the first load, its state sync wipes the package
        pipeline.normalize()
        pipeline.load()
    pipeline.run(instagram_graph() if api == GRAPH_API else instagram())
    if api == V1_API:  # the follow history is v1's
        remove_rows_loaded_twice(pipeline)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
