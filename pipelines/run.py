"""`python -m pipelines.run`: extract Instagram with dlt, load it, then build the analytics tables.

The same command serves a newcomer (`--demo`, against the bundled emulator), cron and Airflow
(which share its recipe, `pipelines.recipe`). Configuration follows dlt's conventions
(`.dlt/config.toml`, `.dlt/secrets.toml`, environment variables such as
`SOURCES__INSTAGRAM__TAGS`); the flags below override the common keys. The access token is
never taken on the command line.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# SIGINT or SIGTERM while the interpreter still imports dlt is noted, and acted on once the
# imports are done: an exception raised inside a C extension's import (duckdb's) turns into an
# ImportError with a traceback. `Interruption.install` takes a noted signal over.
_signals_before_the_run: list[int] = []

if __name__ == "__main__":
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, lambda signum, _frame: _signals_before_the_run.append(signum))

import dlt
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.destination.exceptions import DestinationException, UnknownDestinationModule
from dlt.common.exceptions import SignalReceivedException
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines import demo
from pipelines.recipe import (
    DEFAULT_DUCKDB_FILE,
    EXIT_INTERRUPTED,
    SHARDS_SETTING,
    AlreadyRunning,
    RunStopped,
    build_analytics,
    build_pipeline,
    check_duckdb_file,
    configured_duckdb_file,
    configured_shards,
    default_read_copy,
    drop_analytics_views,
    duckdb_destination,
    duckdb_error_is_damage,
    last_run,
    pipeline_name,
    postgres_destination,
    publish_read_copy,
    raise_if_the_run_stopped,
    recover_from_a_kill,
    refresh_status,
    repair_after_load,
    report_extra_installed,
    run_lock,
    run_retrying_while_busy,
    warehouse_lock,
    write_report,
)
from sources.instagram import (
    InstagramAuthError,
    InstagramConfigError,
    causes_of,
    instagram,
    install_secret_filter,
    request_stop,
)
from transforms import TransformError, TransformInterrupted

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_CONFIG_ERROR = 2
EXIT_AUTH_ERROR = 3
EXIT_PARTIAL = 4
EXIT_ALREADY_RUNNING = 5
EXIT_ENTITIES_FAILED = 6

EXIT_CODES_HELP = """exit codes:
  0    success: everything configured was extracted, loaded and transformed
  1    failure: the server is not a v1 API or is down, the destination failed or stayed busy
       for --load-wait seconds; whatever was read is loaded (or pending, and the next run
       loads it first); or a transform failed: a model did not build or broke its contract
       (a failed contract test names the model, column, test and sample rows), and that
       model keeps its previous contents
  2    configuration error (missing token, bad option or setting, unknown destination, a
       DuckDB path that is a folder, not a DuckDB file or a damaged one (truncated), nothing
       configured to extract), found at once: before any wait or request
  3    authentication error (invalid or revoked token, wrong client secret); what was read
       before is loaded
  4    partial: the rate budget ran out; completed pages are loaded, cursors saved, and the
       next run continues where this one stopped
  5    already running: another run holds the lock; this one touched nothing
  6    partial: some entities failed after their retries (see extraction_errors); the rest
       is loaded, and later runs retry them with backoff until they give up. Later runs
       exit 6 too while entities wait out their backoff or are given up (the summary names
       them), and when a configured tag, location or user does not exist (a WARNING)
  130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: reading stopped at once, what was read
       is loaded and the next run continues; a second signal stops at once, leaving what was
       extracted pending for the next run
"""

log = logging.getLogger("pipelines.run")


class NothingToExtract(Exception):
    """The selected resources have nothing configured to read."""


@dataclass
class RunReport:
    """What one run did, for the summary and the exit code."""

    rows_by_table: dict[str, int] = field(default_factory=dict)
    requests: int | None = None
    rate_limit_remaining: int | None = None
    work_remaining: bool = False
    budget_exhausted: bool = False
    refreshed: dict[str, int] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)  # per kind of media list
    schedule: dict[str, Any] = field(default_factory=dict)
    entities_failed: int = 0
    # entities of the source state's failure record (`failures`), as "kind id": given up (read
    # again only rarely), or waiting out their backoff until a later run reads them again
    given_up: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    # configured entities (tags, locations, seed users) the server says do not exist, as "kind id"
    missing: list[str] = field(default_factory=list)
    stopped_by: dict[str, str] | None = None  # what stopped the source's run (a refused token, ...)
    transform_seconds: float | None = None
    models_built: int | None = None  # by the transforms: models downstream of what changed
    models_up_to_date: int | None = None
    published: Path | None = None
    seconds: float = 0.0

    def exit_code(self) -> int:
        """README's table: entities that failed in this run, 6; else the budget ran out, 4; else
        entities failed earlier (given up, or waiting out their backoff: no budget would read
        them now) or configured ones that do not exist, 6; else other work remaining, 4."""
        if self.entities_failed:
            return EXIT_ENTITIES_FAILED
        if self.budget_exhausted:
            return EXIT_PARTIAL
        if self.given_up or self.waiting or self.missing:
            return EXIT_ENTITIES_FAILED
        return EXIT_PARTIAL if self.work_remaining else EXIT_SUCCESS


class Interruption:
    """SIGINT and SIGTERM: the first stops reading (what was read is loaded); a second one
    stops at once (KeyboardInterrupt). During dlt's normalize and load, dlt's own handler
    finishes the jobs in flight and raises `SignalReceivedException`."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def install(self) -> None:
        for signum in EXIT_INTERRUPTED:
            signal.signal(signum, self._receive)
        if _signals_before_the_run:
            self.signal = _signals_before_the_run[0]

    def _receive(self, signum: int, _frame: Any) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = signum
        request_stop()
        log.warning(
            "%s received: stopping; what was read is loaded (again to stop at once)", signal.Signals(signum).name
        )

    def requested(self) -> bool:
        return self.signal is not None


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
        help="a dlt destination name: duckdb (default) or postgres are tested (docs/destinations.md);"
        " credentials come from dlt config, e.g. DESTINATION__POSTGRES__CREDENTIALS",
    )
    parser.add_argument(
        "--pipelines-dir",
        metavar="DIR",
        help="dlt working directory for state and load packages (default: ~/.dlt/pipelines)",
    )
    parser.add_argument(
        "--shard",
        metavar="NAME",
        help=f"extract one shard of {SHARDS_SETTING} (its own pipeline, state and token) and load it; the"
        " transforms are left for `python -m transforms`, once every shard has loaded",
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
        "--report",
        action="store_true",
        help="after the transforms, write the HTML report beside the DuckDB file (default with --demo;"
        " needs the report extra)",
    )
    parser.add_argument(
        "--load-wait",
        type=float,
        default=float(os.environ.get("INSTAGRAM_LOAD_WAIT_SECONDS", 120)),
        metavar="SECONDS",
        help="how long to keep retrying a load while the destination cannot be opened: a DuckDB file held by"
        " another process, a database server that is down (default: 120)",
    )
    parser.add_argument(
        "--publish",
        metavar="PATH",
        default=os.environ.get("INSTAGRAM_PUBLISH_PATH"),
        help="after each run whose loads and transforms finished (not with --no-transforms), publish a copy"
        " of the DuckDB file here for analysts to open read-only while later runs load (default: <duckdb file"
        " stem>_read.duckdb beside it; env INSTAGRAM_PUBLISH_PATH; see docs/analysts.md)",
    )
    parser.add_argument("--no-publish", action="store_true", help="publish no read copy (the DuckDB destination only)")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("RUNTIME__LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (default: INFO); secrets are redacted at every level",
    )
    parser.add_argument("--seed", type=int, default=42, help="demo world seed (default: 42)")
    parser.add_argument("--demo-users", type=int, default=2000, help="demo world size in users (default: 2000)")
    return parser.parse_args(argv)


def source_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that override source settings, as arguments of `instagram(...)`."""

    def split(value: str) -> list[str]:
        return [item.strip() for item in value.split(",") if item.strip()]

    overrides: dict[str, Any] = {}
    for flag, setting in (("tags", "tags"), ("locations", "location_ids"), ("users", "user_ids")):
        if getattr(args, flag):
            overrides[setting] = split(getattr(args, flag))
    for setting in ("crawl_depth", "crawl_max_users"):
        if getattr(args, setting) is not None:
            overrides[setting] = getattr(args, setting)
    return overrides


def duckdb_path(args: argparse.Namespace) -> Path:
    """The DuckDB file to load into: `--duckdb`, else dlt's configuration, else the default."""
    return configured_duckdb_file(args.duckdb)


def read_copy_path(args: argparse.Namespace, database: Path) -> Path:
    """Where the analysts' read copy goes: `--publish`, else beside the DuckDB file."""
    path = Path(args.publish).resolve() if args.publish else default_read_copy(database)
    if path == database:
        raise InstagramConfigError(f"--publish {path} is the DuckDB file itself: name another file")
    return path


def lock_path(args: argparse.Namespace, shard: str | None) -> Path:
    """The run lock of `shard`'s pipeline (None: the unsharded one): beside the DuckDB file,
    which one writer may hold; on a database server (PostgreSQL), which takes concurrent
    writers, in dlt's pipelines folder, so that two runs on one host never share a pipeline's
    local state and load packages. Runs on several hosts against one server need one scheduler
    (docs/destinations.md)."""
    if args.destination == "duckdb":
        database = duckdb_path(args)
        return (
            warehouse_lock(database) if shard is None else database.with_suffix(f".duckdb.{pipeline_name(shard)}.lock")
        )
    return Path(args.pipelines_dir or get_dlt_pipelines_dir()) / f"{pipeline_name(shard)}.lock"


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


def check_shard(args: argparse.Namespace) -> None:
    """A shard must be configured, have a token of its own (a token's rate budget is its own;
    without one, dlt would fall back to the shared `sources.instagram.access_token`), and own
    its tables only together with the other shards (a full refresh would drop them all)."""
    shards = configured_shards()
    if args.shard not in shards:
        raise InstagramConfigError(f"unknown shard {args.shard!r}; {SHARDS_SETTING} names {shards or 'none'}")
    token_key = f"{pipeline_name(args.shard)}.sources.instagram.access_token"
    if not dlt.secrets.get(token_key):
        raise InstagramConfigError(f"shard {args.shard!r} has no access token of its own: set {token_key}")
    if args.full_refresh:
        raise InstagramConfigError("--full-refresh drops the tables every shard loads into: not with --shard")


def check_report_options(args: argparse.Namespace) -> None:
    """`--report` that could only fail after the load is refused before any work."""
    if not args.report:
        return
    if args.destination != "duckdb":
        raise InstagramConfigError("--report reads a DuckDB warehouse: use it with the duckdb destination")
    if args.no_transforms:
        raise InstagramConfigError("--report reads the analytics tables, which --no-transforms does not build")
    if not report_extra_installed():
        raise InstagramConfigError("--report needs the report extra: pip install -e '.[report]'")


def report_wanted(args: argparse.Namespace) -> bool:
    """`--report`, or the demo's default where it can be written: on the embedded warehouse,
    with the report extra installed (scripts/demo installs it)."""
    return args.report or (args.demo and args.destination == "duckdb" and report_extra_installed())


def run(args: argparse.Namespace, interruption: Interruption, source_overrides: dict[str, Any]) -> RunReport:
    started = time.monotonic()
    report = RunReport()
    if args.shard:
        check_shard(args)
    destination: Any = args.destination
    check_report_options(args)
    read_copy: Path | None = None
    if args.destination == "duckdb":
        database = duckdb_path(args)
        check_duckdb_file(database)
        read_copy = None if args.no_publish else read_copy_path(args, database)
        destination = duckdb_destination(database)
    elif args.destination == "postgres":
        destination = postgres_destination()
    try:
        pipeline = build_pipeline(destination, args.pipelines_dir, shard=args.shard)
    except (UnknownDestinationModule, DestinationException) as error:
        raise InstagramConfigError(f"unknown or unusable destination {args.destination!r}: {error}") from None
    if args.destination == "duckdb":
        forget_state_of_a_missing_duckdb_file(pipeline, database)
    recover_from_a_kill(pipeline)
    loaded: Counter[str] = Counter()
    if args.destination != "duckdb" and (args.full_refresh or pipeline.has_pending_data):
        # a full refresh drops the raw tables (so may a package a full refresh left pending),
        # and on a server views over them would block that (DuckDB does not track what a view
        # reads); the transforms create them again
        drop_analytics_views(pipeline)
    if pipeline.has_pending_data:
        log.info("loading packages left pending by an earlier run")
        loaded.update(run_retrying_while_busy(pipeline, args.load_wait))

    source = instagram(**source_overrides, shard=args.shard)
    if args.resources:
        names = [name.strip() for name in args.resources.split(",") if name.strip()]
        unknown = sorted(set(names) - set(source.resources))
        if unknown:
            raise InstagramConfigError(f"unknown resources {unknown}; known: {', '.join(source.resources)}")
        source = source.with_resources(*names)
    refresh = "drop_sources" if args.full_refresh else None
    loaded.update(run_retrying_while_busy(pipeline, args.load_wait, source, refresh))
    repair_after_load(pipeline, args.load_wait)
    report.rows_by_table = {table: count for table, count in loaded.items() if not table.startswith("_dlt")}
    figures = last_run(pipeline)
    report.requests = figures.get("requests")
    report.rate_limit_remaining = figures.get("rate_limit_remaining")
    report.work_remaining = bool(figures.get("work_remaining"))
    report.budget_exhausted = bool(figures.get("budget_exhausted"))
    report.entities_failed = figures.get("entities_failed", 0)
    report.stopped_by = figures.get("stopped_by")
    report.given_up, report.waiting = failure_record(pipeline)
    report.missing = missing_configured_entities(pipeline, configured_entities(source_overrides, args.shard))
    report.refreshed = figures.get("refreshed") or {}
    report.counters = figures.get("counters") or {}
    report.schedule = refresh_status(pipeline)
    report.seconds = time.monotonic() - started
    print_summary(report)
    raise_if_the_run_stopped(pipeline)
    if interruption.requested():
        return report
    if not report.requests:
        raise NothingToExtract(
            f"nothing was extracted: the selected resources ({', '.join(source.selected_resources)}) have no"
            " entity configured to read (user ids, tags, locations, ...)"
        )
    if args.shard:
        print("Transforms: left for `python -m transforms`, once every shard has loaded")
    elif not args.no_transforms:
        transform_started = time.monotonic()
        built = build_analytics(pipeline, stop_requested=interruption.requested)
        report.transform_seconds = time.monotonic() - transform_started
        report.models_built, report.models_up_to_date = len(built), len(built.up_to_date)
        print(
            f"Transforms: {report.transform_seconds:.1f} s,"
            f" {report.models_built} models built, {report.models_up_to_date} up to date"
        )
        if report_wanted(args):
            print(f"Report: {write_report(database, report.schedule)}")
        # only a state whose analytics match its raw tables is shown to analysts
        if read_copy is not None:
            publish_read_copy(database, read_copy)
            report.published = read_copy
            print(f"Published for analysts: {read_copy}")
    return report


def failure_record(pipeline: dlt.Pipeline) -> tuple[list[str], list[str]]:
    """The entities of the source state's failure record (`failures`, see
    sources/instagram/helpers/failures.py), as "kind id": those given up, and those waiting out
    their backoff (failed in this run or an earlier one, read again by a later run)."""
    entities = pipeline.state.get("sources", {}).get("instagram", {}).get("failures", {}).get("entities", {})
    named = {key: key.replace(":", " ", 1) for key in entities}
    given_up = sorted(named[key] for key, entry in entities.items() if entry.get("gave_up"))
    waiting = sorted(named[key] for key, entry in entities.items() if not entry.get("gave_up"))
    return given_up, waiting


# The settings that name entities to read, by the `entity_kind` of their `extraction_errors` rows.
CONFIGURED_ENTITY_SETTINGS = {"tag": "tags", "location": "location_ids", "user": "user_ids"}


def configured_entities(source_overrides: dict[str, Any], shard: str | None) -> dict[str, list[str]]:
    """The tags, locations and seed users the run was configured to read, per entity kind: the
    flags (or the demo's settings), else dlt's configuration (a shard's section first)."""
    configured: dict[str, list[str]] = {}
    for kind, setting in CONFIGURED_ENTITY_SETTINGS.items():
        values = source_overrides.get(setting)
        keys = [f"sources.instagram.{setting}"]
        if shard:
            keys.insert(0, f"{pipeline_name(shard)}.sources.instagram.{setting}")
        for key in keys if values is None else ():
            with suppress(ConfigurationException, ValueError, TypeError):
                values = dlt.config.get(key, list)
            if values is not None:
                break
        configured[kind] = [str(value) for value in values or ()]
    return configured


def missing_configured_entities(pipeline: dlt.Pipeline, configured: dict[str, list[str]]) -> list[str]:
    """The configured entities the server refused as unknown (an `extraction_errors` refusal
    other than a private user's), as "kind id", each logged as a WARNING: a typo in the
    configuration, or an entity deleted since. One read since the refusal clears it."""
    wanted = {(kind, entity_id) for kind, ids in configured.items() for entity_id in ids}
    wanted |= {("list", f"{kind}:{entity_id}") for kind, entity_id in wanted}
    if not wanted:
        return []
    try:
        with pipeline.sql_client() as client:
            errors = client.make_qualified_table_name("extraction_errors")
            ids = sorted({entity_id for _, entity_id in wanted})
            rows = client.execute_sql(
                f"SELECT entity_kind, entity_id, max(observed_at), min(message) FROM {errors}"
                " WHERE gave_up IS NULL AND failed_runs IS NULL AND error_type <> 'APINotAllowedError'"
                f" AND entity_id IN ({', '.join(['%s'] * len(ids))}) GROUP BY entity_kind, entity_id",
                *ids,
            )
            missing = []
            for kind, entity_id, refused_at, message in rows or []:
                if (kind, entity_id) not in wanted:
                    continue
                kind, entity_id = entity_id.split(":", 1) if kind == "list" else (kind, entity_id)
                read_since = None
                if kind in ("tag", "user"):
                    table = client.make_qualified_table_name("tags" if kind == "tag" else "users")
                    key = "name" if kind == "tag" else "id"
                    read_since = client.execute_sql(
                        f"SELECT max(observed_at) FROM {table} WHERE {key} = %s AND observed_at > %s",
                        entity_id,
                        refused_at,
                    )[0][0]
                if read_since is None and f"{kind} {entity_id}" not in missing:
                    missing.append(f"{kind} {entity_id}")
                    log.warning(
                        "configured %s %r does not exist or cannot be read: the server refused it (%s);"
                        " correct it or remove it from the configuration",
                        kind,
                        entity_id,
                        message,
                    )
    except Exception as error:  # noqa: BLE001 - no error table yet (nothing refused): nothing missing
        log.debug("no configured entity checked: %s", error)
        return []
    return sorted(missing)


def named(entities: list[str], shown: int = 10) -> str:
    """ "tag a, tag b and 3 more": at most `shown` names of `entities`."""
    more = f" and {len(entities) - shown:,} more" if len(entities) > shown else ""
    return ", ".join(entities[:shown]) + more


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
    print(f"Duration: {report.seconds:.1f} s")
    if report.refreshed:
        print("Read in this run: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.refreshed.items())))
    if report.counters:
        print("Media counters within the refresh policy: " + counters_within_policy(report.counters))
    due = report.schedule.get("due") or {}
    if due:
        print("Due and waiting for budget: " + ", ".join(f"{kind} {waiting(f)}" for kind, f in due.items()))
    if report.schedule.get("next_due_at"):
        print(f"Next work falls due at {report.schedule['next_due_at']} (server time)")
    if report.entities_failed:
        print(
            f"Entities failed: {report.entities_failed} reads outlasted their retries; see extraction_errors."
            " Later runs retry them."
        )
    if report.waiting:
        print(
            f"Entities failed: {len(report.waiting):,} wait out their backoff and are read again by a later run:"
            f" {named(report.waiting)}; see extraction_errors."
        )
    if report.given_up:
        print(
            f"Entities failed: {len(report.given_up):,} given up after failing run after run, so their rows are"
            f" missing: {named(report.given_up)}; see extraction_errors (rarely checked again)."
        )
    if report.missing:
        print(
            f"Entities failed: {len(report.missing):,} configured do not exist or the server refuses them: {named(report.missing)};"
            " correct the configuration."
        )
    stopped = (report.stopped_by or {}).get("error")
    if stopped == InstagramAuthError.__name__:
        print(
            "Work remains: the token was refused; nothing more is read until it is renewed, then the next run continues."
        )
    elif stopped:
        print("Work remains: the run stopped (see the error below); the next run continues where this one stopped.")
    elif report.budget_exhausted:
        print("Work remains: the rate budget ran out; the next run continues where this one stopped.")
    elif report.work_remaining and not report.waiting:
        print("Work remains: the next run continues where this one stopped.")
    elif report.waiting:
        print("Work remains: the entities above that wait out their backoff; a later run reads them again.")
    elif due:
        # the source read all it took as due, yet the schedule holds due reads: due since the run
        # began (a server's clock moves during a run), or of resources this run did not select
        count = sum(f["due"] for f in due.values())
        print(
            f"Work remains: {count:,} reads are due that this run did not make (due since it began, or of"
            " resources it did not select); later runs make them."
        )
    elif report.waiting or report.given_up or report.missing:
        print("Work remains: none that a run can do; everything else configured was extracted.")
    else:
        print("Work remains: no, everything configured was extracted.")


def counters_within_policy(counters: dict[str, dict[str, int]]) -> str:
    """ "user 100.0 % of 25, feed 99.6 % of 961, ...": per kind of media list, the share of its
    media whose counters are not overdue."""
    return ", ".join(
        f"{kind} {100 * figures['within_policy'] / figures['media']:.1f} % of {figures['media']:,}"
        for kind, figures in sorted(counters.items())
        if figures["media"]
    )


def waiting(figures: dict[str, Any]) -> str:
    """How many reads of one kind wait, and since when: "12 (oldest read 30.5 h ago)", with
    those never read named as such (a user the crawl found but has yet to read)."""
    count, oldest, never = figures["due"], figures.get("oldest_read_hours"), figures.get("never_read") or 0
    if oldest is None:
        return f"{count:,} (never read)"
    return f"{count:,} (oldest read {oldest} h ago" + (f"; {never:,} never read)" if never else ")")


def exit_code_of_step_failure(error: PipelineStepFailed, interruption: Interruption | None = None) -> int:
    if duckdb_error_is_damage(error):
        return EXIT_CONFIG_ERROR
    for cause in causes_of(error):
        if isinstance(cause, SignalReceivedException):  # dlt's own handler (a KeyboardInterrupt too)
            return EXIT_INTERRUPTED.get(cause.signal_code, EXIT_INTERRUPTED[signal.SIGINT])
        if isinstance(cause, KeyboardInterrupt):  # a second signal, inside a step
            return EXIT_INTERRUPTED[(interruption and interruption.signal) or signal.SIGINT]
        if isinstance(cause, InstagramAuthError):
            return EXIT_AUTH_ERROR
        if isinstance(cause, ConfigurationException | InstagramConfigError):
            return EXIT_CONFIG_ERROR
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_secret_filter()
    # dlt narrates every job at INFO; its warnings and errors are what an operator needs
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level
    interruption = Interruption()
    interruption.install()
    if interruption.requested():
        log.warning("%s received before the run started; nothing was done", signal.Signals(interruption.signal).name)
        return EXIT_INTERRUPTED[interruption.signal]
    try:
        # one run per pipeline at a time (a shard's pipeline is its own); the shards then take
        # turns on the unsharded run's lock (see `run_lock`)
        with (
            run_lock(lock_path(args, args.shard)),
            run_lock(lock_path(args, None), wait=True) if args.shard else nullcontext(),
        ):
            overrides = source_arguments(args)
            if args.demo:
                with demo.emulator_for_demo(args) as demo_settings:
                    report = run(args, interruption, {**demo_settings, **overrides})
                if interruption.requested():
                    print("\nThe demo was interrupted: what it read is loaded. Run it again to finish the job.")
                else:
                    demo.print_next_steps(
                        duckdb_path(args) if args.destination == "duckdb" else args.destination, report.published
                    )
            else:
                report = run(args, interruption, overrides)
    except AlreadyRunning as error:
        log.error("%s; exiting without touching anything", error)
        return EXIT_ALREADY_RUNNING
    except InstagramAuthError as error:
        log.error("authentication failed: %s", error)
        return EXIT_AUTH_ERROR
    except (ConfigurationException, InstagramConfigError, NothingToExtract) as error:
        log.error("configuration error: %s", error)
        return EXIT_CONFIG_ERROR
    except RunStopped as error:
        log.error("the run stopped: %s", error)
        return EXIT_FAILURE
    except TransformInterrupted as error:
        log.warning("interrupted during the transforms (%s); the next run builds them", error)
        return EXIT_INTERRUPTED[interruption.signal or signal.SIGINT]
    except TransformError as error:
        # a model failed to build or broke its contract: the raw data is loaded, and that model
        # (and the ones after it) keep their previous contents
        log.error("the transforms failed; what was extracted is loaded: %s", error)
        return EXIT_FAILURE
    except PipelineStepFailed as error:
        kept = "; what it extracted is kept for the next run" if error.has_pending_data else ""
        code = exit_code_of_step_failure(error, interruption)
        if code in EXIT_INTERRUPTED.values():
            log.warning("stopped at once in step %s; what was extracted stays pending for the next run", error.step)
            return code
        if code == EXIT_CONFIG_ERROR and duckdb_error_is_damage(error):
            log.error("configuration error: the DuckDB file %s is damaged: %s", duckdb_path(args), error.exception)
            return code
        log.error("step %s failed (%s)%s: %s", error.step, type(error.exception).__name__, kept, error.exception)
        return code
    except KeyboardInterrupt:
        log.warning("stopped at once; what was extracted stays pending for the next run")
        return EXIT_INTERRUPTED[interruption.signal or signal.SIGINT]
    if interruption.signal is not None:
        log.warning("interrupted: what was read is loaded; the next run continues")
        return EXIT_INTERRUPTED[interruption.signal]
    return report.exit_code()


if __name__ == "__main__":
    code = main()
    # the work is done: a signal landing while the interpreter shuts down must not turn the
    # exit code into "killed by a signal"
    for signum in EXIT_INTERRUPTED:
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)
