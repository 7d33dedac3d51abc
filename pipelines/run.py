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
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# SIGINT or SIGTERM while the interpreter still imports dlt is noted, and acted on once the
# imports are done: an exception raised inside a C extension's import (duckdb's) turns into an
# ImportError with a traceback. `StopSignals.install` takes a noted signal over.
_signals_before_the_run: list[int] = []

if __name__ == "__main__":
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, lambda signum, _frame: _signals_before_the_run.append(signum))

import dlt
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.exceptions import SignalReceivedException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.recipe import (
    DEFAULT_LOAD_WAIT_SECONDS,
    Outcome,
    RunStopped,
    Steps,
    report_extra_installed,
    run_recipe,
)
from pipelines.signals import EXIT_INTERRUPTED, StopSignals, ignore_signals
from pipelines.warehouse import (
    DEFAULT_DUCKDB_FILE,
    GRAPH_API,
    SHARDS_SETTING,
    V1_API,
    AlreadyRunning,
    Warehouse,
    check_duckdb_file,
    configured_api,
    configured_shards,
    default_read_copy,
    duckdb_error_is_damage,
    pipeline_name,
)
from sources.instagram import (
    DueReads,
    InstagramAuthError,
    InstagramConfigError,
    LastRun,
    ScheduleStatus,
    causes_of,
    failure_record,
    instagram,
    install_secret_filter,
    refused_entities,
    request_stop,
)
from sources.instagram_graph import instagram_graph
from transforms import TransformError, TransformInterrupted

# Settings of the run beside the source's, in dlt's configuration (`[pipelines]` in
# .dlt/config.toml, or PIPELINES__LOAD_WAIT_SECONDS, PIPELINES__PUBLISH_PATH); flags override them.
LOAD_WAIT_SETTING = "pipelines.load_wait_seconds"
PUBLISH_PATH_SETTING = "pipelines.publish_path"

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

    api: str = V1_API  # whose source ran (`--api`)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    source: LastRun = field(default_factory=LastRun)  # the source's figures of its extraction
    schedule: ScheduleStatus = field(default_factory=ScheduleStatus)  # what stays due after it
    # entities of the source state's failure record, as "kind id": given up (read again only
    # rarely), or waiting out their backoff until a later run reads them again
    given_up: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    # configured entities (tags, locations, seed users) the server says do not exist, as "kind id"
    missing: list[str] = field(default_factory=list)
    transform_seconds: float | None = None
    models_built: int | None = None  # by the transforms: models downstream of what changed
    models_up_to_date: int | None = None
    published: Path | None = None
    seconds: float = 0.0

    def exit_code(self) -> int:
        """README's table: entities that failed in this run, 6; else the budget ran out, 4; else
        entities failed earlier (given up, or waiting out their backoff: no budget would read
        them now) or configured ones that do not exist, 6; else other work remaining, 4."""
        if self.source.entities_failed:
            return EXIT_ENTITIES_FAILED
        if self.source.budget_exhausted:
            return EXIT_PARTIAL
        if self.given_up or self.waiting or self.missing:
            return EXIT_ENTITIES_FAILED
        return EXIT_PARTIAL if self.source.work_remaining else EXIT_SUCCESS


def stop_reading() -> bool:
    """The first SIGINT or SIGTERM of a run: stop reading, and load what was read. (During
    dlt's normalize and load, dlt's own handler finishes the jobs in flight and raises
    `SignalReceivedException`.)"""
    request_stop()
    return True


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
        help="serve a seeded world with the bundled emulator, through the Graph API then the v1 API, and extract"
        " it end to end with both sources",
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
    parser.add_argument(
        "--api",
        choices=[V1_API, GRAPH_API],
        help=f"the API to read: {V1_API} (sources.instagram, into instagram_raw) or {GRAPH_API} (the Instagram Graph"
        " API, sources.instagram_graph, into instagram_graph_raw of the same warehouse; its settings in"
        f" [sources.instagram_graph]) (default: `api` in the [pipelines] section of dlt's config, else {V1_API})",
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
        default=None,
        metavar="SECONDS",
        help="how long to keep retrying a load while the destination cannot be opened: a DuckDB file held by"
        " another process, a database server that is down (default: `load_wait_seconds` in the [pipelines]"
        f" section of dlt's config, else {DEFAULT_LOAD_WAIT_SECONDS:.0f})",
    )
    parser.add_argument(
        "--publish",
        metavar="PATH",
        help="after each run whose loads and transforms finished (not with --no-transforms), publish a copy"
        " of the DuckDB file here for analysts to open read-only while later runs load (default: <duckdb file"
        " stem>_read.duckdb beside it, or `publish_path` in the [pipelines] section of dlt's config; see"
        " docs/analysts.md)",
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


def warehouse_of(args: argparse.Namespace) -> Warehouse:
    """The warehouse to load into: `--destination`; on DuckDB, `--duckdb`, else dlt's
    configuration, else the default file."""
    return Warehouse.configured(args.destination, args.duckdb)


def read_copy_path(args: argparse.Namespace, database: Path) -> Path:
    """Where the analysts' read copy goes: `--publish` (or `pipelines.publish_path`), else
    beside the DuckDB file."""
    publish = args.publish or dlt.config.get(PUBLISH_PATH_SETTING, str)
    path = Path(publish).resolve() if publish else default_read_copy(database)
    if path == database:
        raise InstagramConfigError(f"--publish {path} is the DuckDB file itself: name another file")
    return path


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


# The flags of what only the v1 source has: its settings, shards, the report (of the analytics,
# which a Graph API run leaves to the next v1 run or `python -m transforms`) and the demo (which
# runs both sources itself).
V1_ONLY_FLAGS = ("tags", "locations", "users", "crawl_depth", "crawl_max_users", "shard", "demo", "report")


def check_graph_options(args: argparse.Namespace) -> None:
    """Refuse the flags of `V1_ONLY_FLAGS` with the Graph API's source."""
    v1_only = [f"--{flag.replace('_', '-')}" for flag in V1_ONLY_FLAGS if getattr(args, flag) not in (None, False)]
    if v1_only:
        raise InstagramConfigError(f"{', '.join(v1_only)}: for the v1 API only, not with --api {GRAPH_API}")


def graph_part_of_the_demo(args: argparse.Namespace) -> argparse.Namespace:
    """The demo's flags for its Graph API run: that source, loaded only (v1's run after it
    builds the analytics, writes the report and publishes the read copy)."""
    v1_only = dict.fromkeys(V1_ONLY_FLAGS)
    return argparse.Namespace(**{**vars(args), **v1_only, "api": GRAPH_API, "resources": None, "no_publish": True})


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


def run(args: argparse.Namespace, interruption: StopSignals, source_overrides: dict[str, Any]) -> RunReport:
    """The recipe's every step, and the summary once the load is done."""
    started = time.monotonic()
    api = configured_api(args.api)
    if api == GRAPH_API:
        check_graph_options(args)
    if args.shard:
        check_shard(args)
    check_report_options(args)
    warehouse = warehouse_of(args)
    read_copy = None
    if warehouse.duckdb_file is not None:
        check_duckdb_file(warehouse.duckdb_file)
        read_copy = (
            None if args.no_publish or args.no_transforms or args.shard else read_copy_path(args, warehouse.duckdb_file)
        )
    report = RunReport(api=api)

    def summarize(outcome: Outcome) -> None:
        report.rows_by_table = {table: n for table, n in outcome.rows_by_table.items() if not table.startswith("_dlt")}
        report.source, report.schedule = outcome.last_run, outcome.schedule
        report.given_up, report.waiting = failure_record(outcome.pipeline)
        if api == V1_API:
            report.missing = missing_configured_entities(
                outcome.pipeline, configured_entities(source_overrides, args.shard)
            )
        report.seconds = time.monotonic() - started
        print_summary(report)
        if not interruption.requested() and not report.source.requests and report.source.stopped_by is None:
            raise NothingToExtract(
                f"nothing was extracted: the selected resources ({', '.join(outcome.source.selected_resources)}) have no"
                " entity configured to read (user ids, tags, locations, ...)"
            )
        if args.shard and not interruption.requested():
            print("Transforms: left for `python -m transforms`, once every shard has loaded")

    def source() -> Any:
        if api == GRAPH_API:
            built = instagram_graph(**source_overrides)
        else:
            built = instagram(**source_overrides, shard=args.shard)
        return selected(built, args.resources)

    outcome = run_recipe(
        warehouse,
        Steps(
            source=source,
            refresh="drop_sources" if args.full_refresh else None,
            repair=api == V1_API,  # the follow history is v1's
            transforms=api == V1_API and not (args.no_transforms or args.shard),
            report=report_wanted(args),
            publish_to=read_copy,
            shard=args.shard,
            api=api,
            pipelines_dir=args.pipelines_dir,
            load_wait=load_wait(args),
            stop_requested=interruption.requested,
        ),
        after_load=summarize,
    )
    if outcome.built is not None:
        report.transform_seconds = outcome.transform_seconds
        report.models_built, report.models_up_to_date = len(outcome.built), len(outcome.built.up_to_date)
        print(
            f"Transforms: {report.transform_seconds:.1f} s,"
            f" {report.models_built} models built, {report.models_up_to_date} up to date"
        )
    if outcome.report is not None:
        print(f"Report: {outcome.report}")
    if outcome.published is not None:
        report.published = outcome.published
        print(f"Published for analysts: {outcome.published}")
    return report


def load_wait(args: argparse.Namespace) -> float:
    """`--load-wait`, else `pipelines.load_wait_seconds` in dlt's configuration, else the default."""
    if args.load_wait is not None:
        return args.load_wait
    configured = dlt.config.get(LOAD_WAIT_SETTING, float)
    return DEFAULT_LOAD_WAIT_SECONDS if configured is None else configured


def selected(source: Any, resources: str | None) -> Any:
    """`source` with only the comma-separated `resources` (None: all) selected."""
    if not resources:
        return source
    names = [name.strip() for name in resources.split(",") if name.strip()]
    unknown = sorted(set(names) - set(source.resources))
    if unknown:
        raise InstagramConfigError(f"unknown resources {unknown}; known: {', '.join(source.resources)}")
    return source.with_resources(*names)


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
    """The configured entities the server refused as unknown (`refused_entities`), as "kind
    id", each logged as a WARNING: a typo in the configuration, or an entity deleted since. One
    read since the refusal clears it."""
    wanted = [(kind, entity_id) for kind, ids in configured.items() for entity_id in ids]
    missing = []
    for kind, entity_id, message in refused_entities(pipeline, wanted):
        missing.append(f"{kind} {entity_id}")
        log.warning(
            "configured %s %r does not exist or cannot be read: the server refused it (%s);"
            " correct it or remove it from the configuration",
            kind,
            entity_id,
            message,
        )
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
    source = report.source
    # v1 counts the requests left this hour; the Graph API's usage headers give per cent of its limit
    unit = "% of the usage limit" if report.api == GRAPH_API else "requests"
    remaining = "unknown" if source.rate_limit_remaining is None else f"{source.rate_limit_remaining:,} {unit}"
    print(f"API requests: {source.requests:,}; rate budget left: {remaining}")
    print(f"Duration: {report.seconds:.1f} s")
    if source.refreshed:
        print("Read in this run: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(source.refreshed.items())))
    if source.counters:
        print("Media counters within the refresh policy: " + counters_within_policy(source.counters))
    due = report.schedule.due
    if due:
        print("Due and waiting for budget: " + ", ".join(f"{kind} {waiting(f)}" for kind, f in due.items()))
    if report.schedule.next_due_at:
        print(f"Next work falls due at {report.schedule.next_due_at} (server time)")
    if source.entities_failed:
        print(
            f"Entities failed: {source.entities_failed} reads failed (after their retries, or their answers were"
            " unusable); see extraction_errors."
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
    stopped = source.stopped_by
    if stopped is not None and stopped.auth:
        print(
            "Work remains: the token was refused; nothing more is read until it is renewed, then the next run continues."
        )
    elif stopped:
        print("Work remains: the run stopped (see the error below); the next run continues where this one stopped.")
    elif source.budget_exhausted:
        print("Work remains: the rate budget ran out; the next run continues where this one stopped.")
    elif source.work_remaining and not report.waiting:
        print("Work remains: the next run continues where this one stopped.")
    elif report.waiting:
        print("Work remains: the entities above that wait out their backoff; a later run reads them again.")
    elif due:
        # the source read all it took as due, yet the schedule holds due reads: due since the run
        # began (a server's clock moves during a run), or of resources this run did not select
        count = sum(reads.due for reads in due.values())
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


def waiting(reads: DueReads) -> str:
    """How many reads of one kind wait, and since when: "12 (oldest read 30.5 h ago)", with
    those never read named as such (a user the crawl found but has yet to read)."""
    if reads.oldest_read_hours is None:
        return f"{reads.due:,} (never read)"
    never = f"; {reads.never_read:,} never read" if reads.never_read else ""
    return f"{reads.due:,} (oldest read {reads.oldest_read_hours} h ago{never})"


def exit_code_of_step_failure(error: PipelineStepFailed, interruption: StopSignals | None = None) -> int:
    if duckdb_error_is_damage(error):
        return EXIT_CONFIG_ERROR
    for cause in causes_of(error):
        if isinstance(cause, SignalReceivedException):  # dlt's own handler (a KeyboardInterrupt too)
            return EXIT_INTERRUPTED.get(cause.signal_code, EXIT_INTERRUPTED[signal.SIGINT])
        if isinstance(cause, KeyboardInterrupt):  # a second signal, inside a step
            return (interruption or StopSignals()).exit_code()
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
    interruption = StopSignals(stop_reading, "stopping; what was read is loaded (again to stop at once)")
    interruption.install(noted=_signals_before_the_run)
    if interruption.signal is not None:
        log.warning("%s received before the run started; nothing was done", signal.Signals(interruption.signal).name)
        return interruption.exit_code()
    try:
        overrides = source_arguments(args)
        if args.demo:
            # imported here, not at the top: the demo's emulator (its world and HTTP server) cost
            # every other run, cron's and each CLI run of the tests, ~0.07 CPU-s of imports
            from pipelines import demo

            with demo.emulators_for_demo(args) as demo_settings:
                # the Graph API's source first, so that the transforms after v1's load read both
                print("The demo's world through the Graph API (instagram_graph_raw):")
                graph = run(graph_part_of_the_demo(args), interruption, demo_settings.graph)
                report = graph
                if not interruption.requested():
                    print("\nThe demo's world through the v1 API (instagram_raw), then the analytics of both:")
                    report = run(args, interruption, {**demo_settings.v1, **overrides})
            if interruption.requested():
                print("\nThe demo was interrupted: what it read is loaded. Run it again to finish the job.")
            else:
                demo.print_next_steps(warehouse_of(args).duckdb_file or args.destination, report.published)
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
        return interruption.exit_code()
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
            log.error(
                "configuration error: the DuckDB file %s is damaged: %s",
                warehouse_of(args).duckdb_file,
                error.exception,
            )
            return code
        log.error("step %s failed (%s)%s: %s", error.step, type(error.exception).__name__, kept, error.exception)
        return code
    except KeyboardInterrupt:
        log.warning("stopped at once; what was extracted stays pending for the next run")
        return interruption.exit_code()
    if interruption.requested():
        log.warning("interrupted: what was read is loaded; the next run continues")
        return interruption.exit_code()
    if args.demo:
        return graph.exit_code() or report.exit_code()
    return report.exit_code()


if __name__ == "__main__":
    code = main()
    ignore_signals()
    sys.exit(code)
