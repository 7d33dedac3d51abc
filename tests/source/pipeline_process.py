"""A pipeline run in its own process (killed with SIGKILL by the tests), configured only
through SOURCES__INSTAGRAM__* environment variables, as cron would run it.

Usage: python -m tests.source.pipeline_process PIPELINES_DIR DUCKDB_FILE

With CRASH_AFTER_STAGING=<table>, the process kills itself right after that table's file is
committed to the staging dataset and before dlt records the job as done, the worst moment for
an at-least-once load (once: it leaves CRASH_AFTER_STAGING_MARKER behind).

dlt's progress goes to stderr ("... Extract instagram ...", "Normalize", "Load"), so that a test
can kill the process when it reaches a step. Before any step it recovers from what a kill left
half done inside one of dlt's commits, as `python -m pipelines.run` does.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
from dlt.destinations.insert_job_client import InsertValuesLoadJob

from pipelines.recipe import recover_from_a_kill
from sources.instagram import instagram, remove_rows_loaded_twice


def crash_after_staging(table: str, marker: Path) -> None:
    # dict rows load as INSERT statements, Arrow rows (follow_edges) by copying a parquet file
    for job_class in (InsertValuesLoadJob, DuckDbCopyJob):
        job_class.run = _then_die(job_class.run, table, marker)


def _then_die(load_file: Callable[[Any], None], table: str, marker: Path) -> Callable[[Any], None]:
    def load_file_then_die(job: Any) -> None:
        load_file(job)
        staging = job._sql_client.dataset_name.endswith("_staging")
        if staging and job.load_table_name == table and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)

    return load_file_then_die


def main(pipelines_dir: str, database: str) -> int:
    if table := os.environ.get("CRASH_AFTER_STAGING"):
        crash_after_staging(table, Path(os.environ["CRASH_AFTER_STAGING_MARKER"]))
    pipeline = dlt.pipeline(
        "instagram",
        destination=dlt.destinations.duckdb(database),
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
