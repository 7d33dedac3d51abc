"""The recipe of a run: one sequence of named steps that every entry point runs, each taking
the steps it needs by argument (`Steps`):

    lock → recover → load pending → extract and load → repair → (the caller's summary) →
    stop if the source stopped → build analytics → report → publish

- `python -m pipelines.run` (cron): all of them;
- a shard (`--shard`, the DAG's `load_shard`): up to the repair (the transforms run once, after
  every shard);
- the Graph API's source (`--api graph`): up to the load, then the publish (the repair and the
  transforms are v1's);
- the Airflow DAG's `load` task: up to the repair; its `transforms` task: repair, build, publish;
- `python -m transforms`: repair, build, publish.

Where things live: `pipelines.warehouse` (destinations, files, locks, the read copy),
`pipelines.recovery` (what a kill left behind), the source's `LastRun` and `ScheduleStatus`
(what a run did and left), `transforms` (the models).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltSource

from pipelines.recovery import recover_from_a_kill
from pipelines.warehouse import (
    V1_API,
    Warehouse,
    destination_is_busy,
    drop_analytics_views,
    publish_read_copy,
    retrying_while_busy,
    run_lock,
)
from sources.instagram import (
    InstagramAuthError,
    InstagramError,
    LastRun,
    ScheduleStatus,
    duckdb_is_busy,
    last_run,
    remove_rows_loaded_twice,
    schedule_status,
)
from transforms import run_transforms
from transforms.runner import BuildResults

# How long a load (or the repair) keeps retrying while the destination cannot be opened: a DuckDB
# file held by another process, a database server that is down (`[pipelines] load_wait_seconds`).
DEFAULT_LOAD_WAIT_SECONDS = 120.0

log = logging.getLogger("pipelines.recipe")


class RunStopped(InstagramError):
    """The source stopped reading for a run-level reason (a server that is not v1 or is down);
    what it read was loaded."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class Steps:
    """The steps of the recipe one entry point runs, and their settings."""

    # what to extract and load (None: nothing new), built once the pipeline is, so that dlt
    # reads a shard's settings from its pipeline's sections
    source: Callable[[], DltSource] | None = None
    refresh: str | None = None  # dlt's `refresh` of that load ("drop_sources": a full refresh)
    recover: bool = True  # mend what a kill left in the working folder; load what is pending
    repair: bool = True  # remove follow history rows a resumed load inserted twice
    transforms: bool = True
    full_rebuild: bool = False  # build every model, not only those downstream of a change
    report: bool = False  # the HTML report beside the DuckDB file (the `report` extra)
    publish_to: Path | None = None  # the analysts' read copy (DuckDB only)
    shard: str | None = None
    api: str = V1_API  # the API whose source and pipeline the run loads (`pipelines.warehouse`)
    pipelines_dir: str | None = None
    progress: bool = True  # log rows and jobs per dlt step
    wait_for_the_lock: bool = False  # else another run holding it raises `AlreadyRunning`
    load_wait: float = DEFAULT_LOAD_WAIT_SECONDS
    stop_requested: Callable[[], bool] = _never  # checked after the load and between models


@dataclass
class Outcome:
    """What the recipe did."""

    pipeline: dlt.Pipeline
    source: DltSource | None = None  # the source built and extracted
    rows_by_table: Counter[str] = field(default_factory=Counter)  # normalized per table
    last_run: LastRun = field(default_factory=LastRun)  # the source's, when it extracted
    schedule: ScheduleStatus = field(default_factory=ScheduleStatus)
    built: BuildResults | None = None
    transform_seconds: float | None = None
    report: Path | None = None
    published: Path | None = None


def run_recipe(warehouse: Warehouse, steps: Steps, after_load: Callable[[Outcome], None] | None = None) -> Outcome:
    """Run `steps` on `warehouse` in the recipe's order. `after_load` sees the outcome once the
    load and the repair are done (the command line prints its summary there; what it raises
    ends the recipe). Raises `InstagramAuthError` or `RunStopped` after the load when the
    source stopped early; a stop request after the load skips the analytics."""
    with _locks(warehouse, steps):
        outcome = Outcome(warehouse.pipeline(steps.shard, steps.pipelines_dir, progress=steps.progress, api=steps.api))
        pipeline = outcome.pipeline
        if steps.recover:
            recover(pipeline, warehouse)
            outcome.rows_by_table.update(load_pending(pipeline, warehouse, steps.load_wait, refresh=steps.refresh))
        if steps.source is not None:
            outcome.source = steps.source()
            outcome.rows_by_table.update(extract_and_load(pipeline, outcome.source, steps.refresh, steps.load_wait))
            outcome.last_run = last_run(pipeline)
            outcome.schedule = schedule_status(pipeline)
        if steps.repair:
            repair(pipeline, steps.load_wait)
        if after_load is not None:
            after_load(outcome)
        if steps.source is not None:
            raise_if_the_run_stopped(outcome.last_run)
        if steps.stop_requested():
            return outcome
        if steps.transforms:
            started = time.monotonic()
            outcome.built = build_analytics(
                pipeline, full_rebuild=steps.full_rebuild, stop_requested=steps.stop_requested
            )
            outcome.transform_seconds = time.monotonic() - started
        if steps.report and warehouse.duckdb_file is not None:
            outcome.report = write_report(warehouse.duckdb_file, outcome.schedule)
        # only a state whose analytics match its raw tables is shown to analysts
        if steps.publish_to is not None and warehouse.duckdb_file is not None:
            publish_read_copy(warehouse.duckdb_file, steps.publish_to)
            outcome.published = steps.publish_to
    return outcome


@contextlib.contextmanager
def _locks(warehouse: Warehouse, steps: Steps) -> Iterator[None]:
    """The locks of a run: a run that loads holds its pipeline's lock for the whole run (at
    once, or `AlreadyRunning`, unless it waits), and a shard or the Graph API's pipeline then
    waits for its turn on the unsharded pipeline's (see `run_lock`); a build alone waits for
    the DuckDB file's."""
    with contextlib.ExitStack() as stack:
        if steps.source is not None or steps.recover:
            lock = warehouse.lock_file(steps.shard, steps.pipelines_dir, steps.api)
            stack.enter_context(run_lock(lock, wait=steps.wait_for_the_lock))
            if steps.shard is not None or steps.api != V1_API:
                stack.enter_context(run_lock(warehouse.lock_file(None, steps.pipelines_dir), wait=True))
        elif warehouse.duckdb_file is not None:
            stack.enter_context(run_lock(warehouse.lock_file(), wait=True))
        yield


def recover(pipeline: dlt.Pipeline, warehouse: Warehouse) -> None:
    """Mend what a killed run left: local state that outlived its DuckDB file, and dlt's
    multi-step commits left half done (`pipelines.recovery`)."""
    if warehouse.duckdb_file is not None:
        forget_state_of_a_missing_duckdb_file(pipeline, warehouse.duckdb_file)
    recover_from_a_kill(pipeline)


def forget_state_of_a_missing_duckdb_file(pipeline: dlt.Pipeline, database: Path) -> None:
    """Local state without its DuckDB file would make incremental runs skip data: drop it.

    The state that matters is committed inside the DuckDB file with the data, so a working
    directory that outlived its file only holds cursors for rows that no longer exist. dlt's
    state sync would wipe it too, but pending packages are loaded without a sync, and one
    extracted against the lost file holds only what was new then.
    """
    if not database.exists() and pipeline.first_run is False:
        log.warning("%s is gone; discarding the stale local pipeline state", database.name)
        pipeline.drop()


def load_pending(
    pipeline: dlt.Pipeline, warehouse: Warehouse, load_wait: float, *, refresh: str | None = None
) -> dict[str, int]:
    """Load the packages an earlier run left pending (extracted or normalized, not loaded).
    Returns the rows normalized per table.

    On a database server, the analytics dataset's views over the raw tables would block a
    package that drops tables (a full refresh, `refresh`, or one left pending), so they are
    dropped first; the transforms create them again (DuckDB does not track what a view reads)."""
    if warehouse.duckdb_file is None and (refresh or pipeline.has_pending_data):
        drop_analytics_views(pipeline)
    if not pipeline.has_pending_data:
        return {}
    log.info("loading packages left pending by an earlier run")
    return _loaded(pipeline, load_wait, None, None)


def extract_and_load(
    pipeline: dlt.Pipeline, source: DltSource, refresh: str | None, load_wait: float
) -> dict[str, int]:
    """Extract `source` and load it, retrying the load while the destination is busy for at
    most `load_wait` seconds from when it was first found busy. Returns the rows normalized per
    table."""
    return _loaded(pipeline, load_wait, source, refresh)


def _loaded(pipeline: dlt.Pipeline, load_wait: float, source: DltSource | None, refresh: str | None) -> dict[str, int]:
    """`pipeline.run`, retried while the destination is busy. An attempt that failed at the
    load left its package pending: the next attempt loads that package and never extracts
    again (so its rows are counted from the attempt that did)."""
    rows_by_table: dict[str, int] = {}

    def attempt() -> None:
        nonlocal rows_by_table
        try:
            if pipeline.has_pending_data:
                # Not run(): until the first load creates the dataset, run()'s state sync
                # finds no dataset and wipes the working folder, pending packages included.
                pipeline.normalize()
                pipeline.load()
            else:
                pipeline.run(source, refresh=refresh)
        finally:
            normalized = pipeline.last_trace and pipeline.last_trace.last_normalize_info
            if normalized:
                rows_by_table = dict(normalized.row_counts)

    retrying_while_busy(attempt, load_wait, destination_is_busy)
    return rows_by_table


def repair(pipeline: dlt.Pipeline, load_wait: float = 0.0) -> int:
    """The step after every load: remove follow history rows a resumed load inserted twice
    (waiting up to `load_wait` seconds while another process, e.g. another shard's load,
    holds the DuckDB file)."""
    return retrying_while_busy(lambda: remove_rows_loaded_twice(pipeline), load_wait, duckdb_is_busy)


def raise_if_the_run_stopped(figures: LastRun) -> None:
    """Raise what stopped the source's run, if anything did: a refused token as
    `InstagramAuthError`, a server that is not v1 or is down as `RunStopped`."""
    if figures.stopped_by is None:
        return
    error = InstagramAuthError if figures.stopped_by.auth else RunStopped
    raise error(f"{figures.stopped_by.message} (what was read before that is loaded)")


def build_analytics(pipeline: dlt.Pipeline, **options: Any) -> BuildResults:
    """Bring `instagram_analytics` up to date with what `pipeline` loaded: build the models
    downstream of what changed (options, e.g. `full_rebuild`: see `run_transforms`). Returns the
    models built; `.up_to_date` names the others."""
    release_freed_memory()
    return run_transforms(pipeline, **options)


def release_freed_memory() -> None:
    """Give the system back the heap memory the extract and the load freed, before the
    transforms' DuckDB takes its own. glibc keeps freed memory for reuse, and a large crawl's
    short-lived pages and batches leave most of it in holes the transforms' allocations do not
    fit (glibc's `malloc_trim`; elsewhere nothing is done)."""
    try:
        process = ctypes.CDLL(None)  # the symbols the process has loaded, the C library's among them
    except (OSError, TypeError):  # a platform that cannot name them
        return
    if hasattr(process, "malloc_trim"):
        process.malloc_trim(0)


def report_extra_installed() -> bool:
    """Whether the optional `report` extra (Plotly) is installed, so that `write_report` can run."""
    return importlib.util.find_spec("plotly") is not None


def write_report(database: Path, schedule: ScheduleStatus) -> Path:
    """The HTML report beside `database`, with `schedule` (of the run) as what was outstanding.
    Imported here, not at the top: it needs the optional `report` extra (check
    `report_extra_installed` before the run)."""
    from pipelines.report import write_report as write

    return write(database, outstanding=schedule)
