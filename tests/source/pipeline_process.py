"""A pipeline run in its own process (killed with SIGKILL by the tests), configured only
through SOURCES__INSTAGRAM__* environment variables, as cron would run it.

Usage: python -m tests.source.pipeline_process PIPELINES_DIR DESTINATION (`duckdb` or
`postgres`; its credentials from dlt's variable, e.g. DESTINATION__DUCKDB__CREDENTIALS)

With CRASH_AFTER_STAGING=<table>, the process kills itself right after that table's file is
committed to the staging dataset and before dlt records the job as done, the worst moment for
an at-least-once load (once: it leaves CRASH_AFTER_STAGING_MARKER behind).

dlt's progress goes to stderr ("... Extract instagram ...", "Normalize", "Load"), so that a test
can kill the process when it reaches a step. Before any step it recovers from what a kill left
half done inside one of dlt's commits, as `python -m pipelines.run` does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
from dlt.destinations.insert_job_client import InsertValuesLoadJob

from pipelines.recovery import recover_from_a_kill
from sources.instagram import instagram, remove_rows_loaded_twice


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


def main(pipelines_dir: str, destination: str) -> int:
    if table := os.environ.get("CRASH_AFTER_STAGING"):
        crash_after_staging(table, Path(os.environ["CRASH_AFTER_STAGING_MARKER"]))
    pipeline = dlt.pipeline(
        "instagram",
        destination=destination,
        dataset_name="instagram_raw",
        pipelines_dir=pipelines_dir,
        progress=dlt.progress.log(logger=sys.stderr),
    )
    recover_from_a_kill(pipeline)
    if pipeline.has_pending_data:  # a killed run left a package: load it first
        pipeline.run()
    pipeline.run(instagram())
    remove_rows_loaded_twice(pipeline)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
