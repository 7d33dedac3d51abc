"""The recipe of a run, shared by `python -m pipelines.run` (cron), the Airflow DAG and
`python -m transforms`, so that they cannot drift apart: the names, how the pipeline is built,
and what follows a load (repair the follow history, then build the analytics tables).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines import duckdb_merge
from sources.instagram import (
    InstagramAuthError,
    InstagramConfigError,
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

# dlt copies Arrow tables into PostgreSQL as CSV with FORCE_NULL on every nullable column, which
# turns every empty string into NULL: a full profile's empty bio would read as the NULL of a
# short profile, and empty captions and websites as unknown ones. INSERT statements keep them
# (the source's Arrow tables are written as such at normalize; the API's rate limit, not the
# load, bounds a run's speed).
POSTGRES_FILE_FORMATS = ["insert_values"]

__all__ = [
    "ANALYTICS_DATASET",
    "DEFAULT_DUCKDB_FILE",
    "PIPELINE_NAME",
    "RAW_DATASET",
    "RunStopped",
    "build_analytics",
    "build_pipeline",
    "drop_analytics_views",
    "duckdb_destination",
    "duckdb_settings",
    "postgres_destination",
    "last_run",
    "raise_if_the_run_stopped",
    "recover_from_a_kill",
    "repair_after_load",
    "write_report",
]

log = logging.getLogger(__name__)

# The name dlt gives the temporary file of an atomic save (`FileStorage.save_atomic`: 8 random
# bytes in hex), written beside its target and then renamed over it.
DLT_TEMP_FILE = re.compile(r"[0-9a-f]{16}")


class RunStopped(InstagramError):
    """The source stopped reading for a run-level reason (a server that is not v1 or is down);
    what it read was loaded."""


log = logging.getLogger("pipelines.recipe")


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
    """dlt's DuckDB destination on `path`, with `duckdb_settings()` on each connection, a merge
    that stays within their memory limit (`pipelines/duckdb_merge.py`) and one load job at a
    time: dlt's 20 parallel jobs each hold their own table's rows in DuckDB at once (170 MB more
    at 200,000 media, for a load no faster: 7.6 s against 6.5 s; 1 s slower at 20,000)."""
    return duckdb_merge.duckdb(DuckDbCredentials(str(path), global_config=duckdb_settings()), max_parallel_load_jobs=1)


def postgres_destination() -> Any:
    """dlt's PostgreSQL destination (credentials from dlt's configuration, as dlt documents
    them: `destination.postgres.credentials`), loading by INSERT (`POSTGRES_FILE_FORMATS`)."""
    # no file format selector: dlt's would offer parquet (through ADBC) when its driver is installed
    return dlt.destinations.postgres(
        supported_loader_file_formats=POSTGRES_FILE_FORMATS, loader_file_format_selector=None
    )


def recover_from_a_kill(pipeline: dlt.Pipeline) -> list[str]:
    """Finish or undo what a process killed inside one of dlt's multi-step commits left in the
    working folder; dlt itself trips over each on every later run. Call it before any step.
    Returns what it did (also logged as warnings).

    - the temporary file of a schema save, never renamed: dlt takes it for a schema, and every
      state sync fails (`InvalidSchemaName`);
    - a package normalized (or loaded) whose extracted copy normalize had not yet deleted:
      normalizing it again fails ("Directory not empty") or would load it twice; the renamed
      copy is complete (a rename is atomic), so the extracted one goes;
    - extracted packages while the pipeline has no schema (the first extraction committed its
      package, then died before saving schema and state): `normalize()` skips them for ever.
      Nothing of them was loaded or recorded in the state, so they are aborted and the run
      extracts again.
    """
    done: list[str] = []
    schemas = Path(pipeline.working_dir) / "schemas"
    if schemas.is_dir():
        for path in schemas.iterdir():
            if path.is_file() and DLT_TEMP_FILE.fullmatch(path.name):
                path.unlink()
                done.append(f"removed {path.name}, a schema save left half done")
    # a run that met such a file before this recovery existed recorded it as a schema
    stray = [name for name in pipeline.schema_names if DLT_TEMP_FILE.fullmatch(name)]
    if stray:
        with pipeline.managed_state() as state:
            state["schema_names"] = [name for name in state["schema_names"] if name not in stray]
        done.append(f"forgot the schema names {', '.join(stray)} (schema saves left half done)")
    committed = set(pipeline.list_normalized_load_packages()) | set(pipeline.list_completed_load_packages())
    for load_id in sorted(set(pipeline.list_extracted_load_packages()) & committed):
        # no public API deletes one extracted package; this is the call normalize ends with
        pipeline._get_normalize_storage().extracted_packages.delete_package(load_id)
        done.append(f"package {load_id} was normalized but its extracted copy was left: removed the copy")
    if pipeline.list_extracted_load_packages() and not pipeline.default_schema_name:
        orphans = ", ".join(pipeline.list_extracted_load_packages())
        pipeline.abort_packages()
        done.append(f"package {orphans} was extracted but the pipeline state was not saved: extracting again")
    for line in done:
        log.warning("recovering from a killed run: %s", line)
    return done


def drop_analytics_views(pipeline: dlt.Pipeline) -> list[str]:
    """Drop the views of `instagram_analytics` (the staging models, which read the raw tables);
    the next transforms create them again. Call it before dlt drops raw tables (a full
    refresh): a database server that tracks dependencies (PostgreSQL) refuses to drop a table
    that a view reads. Returns the views dropped."""
    with pipeline.sql_client() as client:
        casefold = client.capabilities.casefold_identifier
        views = [
            name
            for (name,) in client.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'VIEW'",
                casefold(ANALYTICS_DATASET),
            )
            or []
        ]
        escape = client.capabilities.escape_identifier
        for name in views:
            client.execute_sql(f"DROP VIEW IF EXISTS {escape(casefold(ANALYTICS_DATASET))}.{escape(name)}")
    return views


def repair_after_load(pipeline: dlt.Pipeline) -> int:
    """The step after every load: remove follow history rows a resumed load inserted twice."""
    return remove_rows_loaded_twice(pipeline)


def build_analytics(pipeline: dlt.Pipeline, **options: Any) -> dict[str, ModelRun]:
    """Build `instagram_analytics` from what `pipeline` loaded (options: see `run_transforms`)."""
    return run_transforms(pipeline, **options)


def last_run(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The source's figures of its last extraction (`requests`, `work_remaining`, ...)."""
    return pipeline.state.get("sources", {}).get("instagram", {}).get("last_run", {})


def refresh_status(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """After the load: what the refresh schedule holds at the server's time of the last run,
    per kind: `due` (overdue: waiting for budget), `oldest_read_hours` among them, and
    `next_due_at` of the whole schedule (when the next work falls due). Empty before the
    first load or on a destination without SQL."""
    server_time = last_run(pipeline).get("server_time")
    if not server_time:
        return {}
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("refresh_schedule")
            epoch = pipeline.state.get("sources", {}).get("instagram", {}).get("schedule_epoch", "")
            now = f"CAST('{server_time}' AS TIMESTAMP WITH TIME ZONE)"
            of_epoch = f"epoch = '{epoch}' AND active"
            rows = client.execute_sql(
                f"SELECT kind, count(*), max({now} - last_read_at) FROM {table}"
                f" WHERE {of_epoch} AND next_due_at <= {now} GROUP BY kind ORDER BY kind"
            )
            next_due = client.execute_sql(
                f"SELECT min(next_due_at) FROM {table} WHERE {of_epoch} AND next_due_at > {now}"
            )
    except Exception as error:  # noqa: BLE001 - a summary line, never a reason to fail the run
        log.debug("no refresh status: %s", error)
        return {}
    due = {
        kind: {"due": count, "oldest_read_hours": None if age is None else round(age.total_seconds() / 3600, 1)}
        for kind, count, age in rows
    }
    return {"due": due, "next_due_at": next_due[0][0].isoformat() if next_due and next_due[0][0] else None}


def write_report(database: Path, schedule: dict[str, Any]) -> Path:
    """The HTML report beside `database`, with `schedule` (`refresh_status` of the run) as what
    was outstanding. Imported here, not at the top: it needs the optional `report` extra."""
    try:
        from pipelines.report import write_report as write
    except ImportError as error:
        raise InstagramConfigError(f"the report needs the report extra (pip install -e '.[report]'): {error}") from None
    return write(database, outstanding=schedule)


def raise_if_the_run_stopped(pipeline: dlt.Pipeline) -> None:
    """After the load: raise what stopped the source's last run, if anything did (a refused
    token as `InstagramAuthError`, a server that is not v1 or is down as `RunStopped`)."""
    stopped_by = last_run(pipeline).get("stopped_by")
    if not stopped_by:
        return
    error = InstagramAuthError if stopped_by["error"] == InstagramAuthError.__name__ else RunStopped
    raise error(f"{stopped_by['message']} (what was read before that is loaded)")
