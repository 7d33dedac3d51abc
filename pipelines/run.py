"""`python -m pipelines.run`: extract Instagram with dlt, load it, then build the analytics tables.

The same command serves a newcomer (`--demo`, against the bundled emulator), cron and Airflow.
Configuration follows dlt's conventions (`.dlt/config.toml`, `.dlt/secrets.toml`, environment
variables such as `SOURCES__INSTAGRAM__TAGS`); the flags below override the common keys. The
access token is never taken on the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dlt
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.destinations.exceptions import DestinationConnectionError
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.helpers import retry_load
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

from pipelines import demo
from sources.instagram import (
    InstagramAuthError,
    instagram,
    install_secret_filter,
    remove_rows_loaded_twice,
)

PIPELINE_NAME = "instagram"
RAW_DATASET = "instagram_raw"
DEFAULT_DUCKDB_FILE = "instagram.duckdb"
PROGRESS_LOG_SECONDS = 10.0

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_CONFIG_ERROR = 2
EXIT_AUTH_ERROR = 3
EXIT_PARTIAL = 4
EXIT_ALREADY_RUNNING = 5

EXIT_CODES_HELP = """exit codes:
  0  success: everything configured was extracted, loaded and transformed
  1  failure: an error outlasted its retries; whatever was extracted stays pending and the
     next run loads it first
  2  configuration error (missing token, bad option, unknown destination)
  3  authentication error (invalid or revoked token, missing scope)
  4  partial: the rate budget ran out; completed pages are loaded, cursors saved, and the
     next run continues where this one stopped
  5  already running: another run holds the lock; this one touched nothing
"""

log = logging.getLogger("pipelines.run")


class AlreadyRunning(Exception):
    """Another run holds the pipeline's lock."""


@dataclass
class RunReport:
    """What one run did, for the summary and the exit code."""

    rows_by_table: dict[str, int] = field(default_factory=dict)
    requests: int | None = None
    rate_limit_remaining: int | None = None
    work_remaining: bool = False
    transform_seconds: float | None = None
    seconds: float = 0.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.run",
        description=__doc__,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the bundled emulator with a seeded world and extract it end to end",
    )
    parser.add_argument(
        "--duckdb",
        metavar="PATH",
        help=f"DuckDB file to load into (default: DESTINATION__DUCKDB__CREDENTIALS, else ./{DEFAULT_DUCKDB_FILE})",
    )
    parser.add_argument(
        "--destination",
        default="duckdb",
        help="any dlt destination name (default: duckdb); credentials come from dlt config",
    )
    parser.add_argument(
        "--pipelines-dir",
        metavar="DIR",
        help="dlt working directory for state and load packages (default: ~/.dlt/pipelines)",
    )
    parser.add_argument("--resources", help="comma-separated resources to extract (default: all)")
    parser.add_argument("--tags", help="comma-separated tag names whose recent media to extract")
    parser.add_argument("--locations", help="comma-separated location ids")
    parser.add_argument("--users", help="comma-separated user ids to extract and crawl from")
    parser.add_argument("--crawl-depth", type=int, help="how many follow hops to crawl")
    parser.add_argument("--crawl-max-users", type=int, help="cap on users the crawl visits")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop this source's tables and state, then extract everything again",
    )
    parser.add_argument("--no-transforms", action="store_true", help="load only; skip the analytics tables")
    parser.add_argument(
        "--load-wait",
        type=float,
        default=float(os.environ.get("INSTAGRAM_LOAD_WAIT_SECONDS", 120)),
        metavar="SECONDS",
        help="how long to keep retrying a load while the DuckDB file is held by another process (default: 120)",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("RUNTIME__LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (default: INFO); secrets are redacted at every level",
    )
    parser.add_argument("--seed", type=int, default=42, help="demo world seed (default: 42)")
    parser.add_argument("--demo-users", type=int, default=2000, help="demo world size in users (default: 2000)")
    return parser.parse_args(argv)


def apply_flags_to_config(args: argparse.Namespace) -> None:
    """Turn flags into dlt configuration (environment variables win over the TOML files)."""

    def set_list(key: str, value: str | None) -> None:
        if value:
            items = [item.strip() for item in value.split(",") if item.strip()]
            os.environ[f"SOURCES__INSTAGRAM__{key}"] = json.dumps(items)

    set_list("TAGS", args.tags)
    set_list("LOCATION_IDS", args.locations)
    set_list("USER_IDS", args.users)
    if args.crawl_depth is not None:
        os.environ["SOURCES__INSTAGRAM__CRAWL_DEPTH"] = str(args.crawl_depth)
    if args.crawl_max_users is not None:
        os.environ["SOURCES__INSTAGRAM__CRAWL_MAX_USERS"] = str(args.crawl_max_users)
    if args.duckdb:
        os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = str(Path(args.duckdb).resolve())
    # dlt narrates every job at INFO; its warnings and errors are what an operator needs
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level


def duckdb_path() -> Path:
    """The DuckDB file dlt will load into, resolved the way dlt resolves it."""
    configured = os.environ.get("DESTINATION__DUCKDB__CREDENTIALS")
    if configured is None:
        with contextlib.suppress(KeyError, ConfigurationException):
            configured = dlt.config["destination.duckdb.credentials"]
    return Path(configured or DEFAULT_DUCKDB_FILE).resolve()


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock for the whole run; the OS frees it if we die."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another run holds {path}") from None
        yield


def build_pipeline(args: argparse.Namespace) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=args.destination,
        dataset_name=RAW_DATASET,
        pipelines_dir=args.pipelines_dir,
        # rows and jobs per step, through our logging (and so its secret filter)
        progress=dlt.progress.log(
            log_period=PROGRESS_LOG_SECONDS,
            logger=logging.getLogger("pipelines.progress"),
            dump_system_stats=False,
        ),
    )


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


def causes_of(error: BaseException) -> Iterator[BaseException]:
    """`error` and what caused it, outermost first (dlt wraps step errors in `.exception`)."""
    cause: BaseException | None = error
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__ or getattr(cause, "exception", None)


def destination_is_busy(error: BaseException) -> bool:
    """The destination could not be opened (a DuckDB file held by another process, a database
    that is down) when dlt synced state before extracting or loaded after it: worth retrying.
    Schema, data and configuration errors are not."""
    if not retry_load(("sync", "load"))(error):
        return False
    return any(isinstance(cause, DestinationConnectionError) for cause in causes_of(error))


def run_retrying_while_busy(
    pipeline: dlt.Pipeline, args: argparse.Namespace, source=None, refresh=None
) -> dict[str, int]:
    """`pipeline.run`, retried while the destination is busy, for at most `--load-wait` seconds.
    Returns the rows normalized per table.

    An attempt that failed at the load left its package pending: the next attempt loads that
    package and never extracts again (so its rows are counted from the attempt that did). With
    no `source`, it loads the packages an earlier run left pending.
    """
    rows_by_table: dict[str, int] = {}

    def log_retry(retry_state: RetryCallState) -> None:
        log.warning(
            "destination busy (is another process holding it?); retrying in %.1f s, for at most %.0f s in all",
            retry_state.upcoming_sleep,
            args.load_wait,
        )

    for attempt in Retrying(
        retry=retry_if_exception(destination_is_busy),
        stop=stop_after_delay(args.load_wait),
        wait=wait_exponential(multiplier=0.5, max=10),
        before_sleep=log_retry,
        reraise=True,
    ):
        with attempt:
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
    return rows_by_table


def run(args: argparse.Namespace) -> RunReport:
    started = time.monotonic()
    report = RunReport()
    pipeline = build_pipeline(args)
    if args.destination == "duckdb":
        forget_state_of_a_missing_duckdb_file(pipeline, duckdb_path())
    loaded: Counter[str] = Counter()
    if pipeline.has_pending_data:
        log.info("loading packages left pending by an earlier run")
        loaded.update(run_retrying_while_busy(pipeline, args))

    source = instagram()
    if args.resources:
        source = source.with_resources(*[r.strip() for r in args.resources.split(",")])
    refresh = "drop_sources" if args.full_refresh else None
    loaded.update(run_retrying_while_busy(pipeline, args, source, refresh))
    remove_rows_loaded_twice(pipeline)
    report.rows_by_table = {table: count for table, count in loaded.items() if not table.startswith("_dlt")}
    last_run = pipeline.state.get("sources", {}).get("instagram", {}).get("last_run", {})
    report.requests = last_run.get("requests")
    report.rate_limit_remaining = last_run.get("rate_limit_remaining")
    report.work_remaining = bool(last_run.get("work_remaining"))

    if not args.no_transforms:
        from transforms import run_transforms

        transform_started = time.monotonic()
        run_transforms(pipeline)
        report.transform_seconds = time.monotonic() - transform_started
    report.seconds = time.monotonic() - started
    return report


def print_summary(report: RunReport) -> None:
    print("\nLoaded in this run:")
    if report.rows_by_table:
        width = max(len(table) for table in report.rows_by_table)
        for table, count in sorted(report.rows_by_table.items()):
            print(f"  {table:<{width}}  {count:>9,}")
    else:
        print("  nothing new")
    requests = "unknown" if report.requests is None else f"{report.requests:,}"
    remaining = "unknown" if report.rate_limit_remaining is None else f"{report.rate_limit_remaining:,}"
    print(f"API requests: {requests}; rate budget left: {remaining}")
    if report.transform_seconds is not None:
        print(f"Transforms: {report.transform_seconds:.1f} s")
    print(f"Duration: {report.seconds:.1f} s")
    if report.work_remaining:
        print("Work remains: the rate budget ran out; the next run continues where this one stopped.")
    else:
        print("Work remains: no, everything configured was extracted.")


def step_failure_exit_code(error: PipelineStepFailed) -> int:
    for cause in causes_of(error):
        if isinstance(cause, InstagramAuthError):
            return EXIT_AUTH_ERROR
        if isinstance(cause, ConfigurationException):
            return EXIT_CONFIG_ERROR
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_secret_filter()
    apply_flags_to_config(args)
    lock_path = (
        duckdb_path().with_suffix(".duckdb.lock")
        if args.destination == "duckdb"
        else Path(args.pipelines_dir or Path.home() / ".dlt" / "pipelines") / "instagram.lock"
    )
    try:
        with run_lock(lock_path):
            if args.demo:
                with demo.emulator_for_demo(args):
                    report = run(args)
                print_summary(report)
                demo.print_next_steps(duckdb_path())
            else:
                report = run(args)
                print_summary(report)
    except AlreadyRunning as error:
        log.error("%s; exiting without touching anything", error)
        return EXIT_ALREADY_RUNNING
    except InstagramAuthError as error:
        log.error("authentication failed: %s", error)
        return EXIT_AUTH_ERROR
    except ConfigurationException as error:
        log.error("configuration error: %s", error)
        return EXIT_CONFIG_ERROR
    except PipelineStepFailed as error:
        kept = "; what it extracted is kept for the next run" if error.has_pending_data else ""
        log.error(
            "step %s failed (%s)%s: %s",
            error.step,
            type(error.exception).__name__,
            kept,
            error.exception,
        )
        return step_failure_exit_code(error)
    return EXIT_PARTIAL if report.work_remaining else EXIT_SUCCESS


if __name__ == "__main__":
    sys.exit(main())
