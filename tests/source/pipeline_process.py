"""A pipeline run in its own process (killed with SIGKILL by the tests), configured only
through SOURCES__INSTAGRAM__* environment variables, as cron would run it.

Usage: python -m tests.source.pipeline_process PIPELINES_DIR DUCKDB_FILE
"""

from __future__ import annotations

import sys

import dlt

from sources.instagram import instagram


def main(pipelines_dir: str, database: str) -> int:
    pipeline = dlt.pipeline(
        "instagram", destination=dlt.destinations.duckdb(database), dataset_name="instagram_raw",
        pipelines_dir=pipelines_dir,
    )
    if pipeline.has_pending_data:  # a killed run left a package: load it first
        pipeline.run()
    pipeline.run(instagram())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
