"""The recipe of a run, shared by `python -m pipelines.run` (cron), the Airflow DAG and
`python -m transforms`, so that they cannot drift apart: the names, how the pipeline is built,
and what follows a load (repair the follow history, then build the analytics tables).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from sources.instagram import (
    InstagramAuthError,
    InstagramError,
    remove_rows_loaded_twice,
)
from transforms import ANALYTICS_DATASET, ModelRun, run_transforms

PIPELINE_NAME = "instagram"
RAW_DATASET = "instagram_raw"
DEFAULT_DUCKDB_FILE = "instagram.duckdb"
PROGRESS_LOG_SECONDS = 10.0
# DuckDB's settings for every connection a run opens (the load, the repair, the transforms).
# Without a limit DuckDB keeps up to 80 % of the machine's RAM before it spills to disk, and the
# scd2 merge of `follow_edges`, the repair and the graph models join and aggregate the whole
# history: a run's memory then grows with the warehouse (9.5 GB for the transforms of a
# 100,000-user crawl). With a limit, what does not fit spills to `<file>.tmp` beside the
# database (DuckDB's default `temp_directory`). Hash tables and sort runs are per thread, so
# the threads share the limit; the allocator returns freed memory to the system sooner than
# its default 128 MB threshold; insertion order is never relied on (every reader orders what
# it needs), and keeping it costs memory in large CREATE TABLE AS and INSERT ... SELECT.
# dlt's `DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG` (or the same key in a config file)
# overrides any of them, e.g. '{"memory_limit": "2GB", "threads": 8}'. The partitioned
# transforms (int_two_hop_reach) size their parts for a limit of at least 256 MB.
DUCKDB_SETTINGS: dict[str, Any] = {
    "memory_limit": "256MB",
    "threads": 2,
    "allocator_flush_threshold": "16MB",
    "preserve_insertion_order": False,
}

__all__ = [
    "ANALYTICS_DATASET",
    "DEFAULT_DUCKDB_FILE",
    "PIPELINE_NAME",
    "RAW_DATASET",
    "RunStopped",
    "build_analytics",
    "build_pipeline",
    "duckdb_destination",
    "duckdb_settings",
    "last_run",
    "raise_if_the_run_stopped",
    "repair_after_load",
]


class RunStopped(InstagramError):
    """The source stopped reading for a run-level reason (a server that is not v1 or is down);
    what it read was loaded."""


def build_pipeline(
    destination: Any = "duckdb", pipelines_dir: str | None = None, *, progress: bool = True
) -> dlt.Pipeline:
    """The `instagram` pipeline into the raw dataset of `destination` (a name or a dlt
    destination); with `progress`, rows and jobs per step are logged through our logging, and
    so through its secret filter."""
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=destination,
        dataset_name=RAW_DATASET,
        pipelines_dir=pipelines_dir,
        progress=dlt.progress.log(
            log_period=PROGRESS_LOG_SECONDS, logger=logging.getLogger("pipelines.progress"), dump_system_stats=False
        )
        if progress
        else None,
    )


def duckdb_settings() -> dict[str, Any]:
    """`DUCKDB_SETTINGS`, with what dlt's configuration sets for the DuckDB destination's
    `global_config` on top (explicit credentials would otherwise hide it)."""
    configured = dlt.config.get("destination.duckdb.credentials.global_config", dict) or {}
    return {**DUCKDB_SETTINGS, **configured}


def duckdb_destination(path: Path) -> Any:
    """dlt's DuckDB destination on `path`, with `duckdb_settings()` on each connection."""
    return dlt.destinations.duckdb(DuckDbCredentials(str(path), global_config=duckdb_settings()))


def repair_after_load(pipeline: dlt.Pipeline) -> int:
    """The step after every load: remove follow history rows a resumed load inserted twice."""
    return remove_rows_loaded_twice(pipeline)


def build_analytics(pipeline: dlt.Pipeline, **options: Any) -> dict[str, ModelRun]:
    """Build `instagram_analytics` from what `pipeline` loaded (options: see `run_transforms`)."""
    return run_transforms(pipeline, **options)


def last_run(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The source's figures of its last extraction (`requests`, `work_remaining`, ...)."""
    return pipeline.state.get("sources", {}).get("instagram", {}).get("last_run", {})


def raise_if_the_run_stopped(pipeline: dlt.Pipeline) -> None:
    """After the load: raise what stopped the source's last run, if anything did (a refused
    token as `InstagramAuthError`, a server that is not v1 or is down as `RunStopped`)."""
    stopped_by = last_run(pipeline).get("stopped_by")
    if not stopped_by:
        return
    error = InstagramAuthError if stopped_by["error"] == InstagramAuthError.__name__ else RunStopped
    raise error(f"{stopped_by['message']} (what was read before that is loaded)")
