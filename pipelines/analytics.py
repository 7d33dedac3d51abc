"""`python -m transforms` (its module, `transforms/__main__.py`, calls `main` here): build the
analytics tables from what the `instagram` pipeline loaded, with the recipe's steps repair,
build analytics and publish (`pipelines.recipe`).

Only the models downstream of what changed since their last build are built (`--full-rebuild`:
every model); see transforms/runner.py.

The DuckDB file is `--duckdb`, else dlt config's (`DESTINATION__DUCKDB__CREDENTIALS` or
`[destination.duckdb] credentials`), else `./instagram.duckdb`. It waits while a run holds the
file (the run lock), and after the build it publishes the analysts' read copy beside the file,
as a run does (`--no-publish`: not; docs/analysts.md). With `--destination postgres`, the
database comes from `DESTINATION__POSTGRES__CREDENTIALS` (or `[destination.postgres.credentials]`).

Exit codes, as `python -m pipelines.run` (README.md): 0 built; 1 a model failed to build or broke
its contract (it keeps its previous contents), or the database was held by another process or
could not be used; 2 configuration error (no such DuckDB file: it never creates the warehouse it
was asked to read; a folder, a file that is not a DuckDB database or a damaged one; a folder it
cannot write); 130 / 143 interrupted by SIGINT / SIGTERM (the models built are kept, the next
build does the rest). It never exits 3, 4, 5 or 6: it reads no API, and it waits for runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from typing import Any

import duckdb
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.destination.exceptions import DestinationException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.recipe import Steps, run_recipe
from pipelines.signals import StopSignals
from pipelines.warehouse import (
    ANALYTICS_DATASET,
    Warehouse,
    check_duckdb_file,
    default_read_copy,
    duckdb_error_is_damage,
)
from sources.instagram import InstagramConfigError, causes_of, duckdb_is_busy
from transforms.runner import TransformError, TransformInterrupted

EXIT_BUILT = 0
EXIT_FAILURE = 1
EXIT_CONFIG_ERROR = 2

log = logging.getLogger("transforms")


def main(argv: Sequence[str] | None = None) -> int:
    """Build the models whose inputs changed and print what each built; the exit codes are the
    module's (above), never a traceback."""
    parser = argparse.ArgumentParser(
        prog="python -m transforms", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duckdb", metavar="PATH", help="DuckDB file holding the raw dataset")
    parser.add_argument("--destination", choices=["duckdb", "postgres"], default="duckdb", help="default: duckdb")
    parser.add_argument("--pipelines-dir", metavar="DIR", help="dlt working directory")
    parser.add_argument("--no-publish", action="store_true", help="on DuckDB, publish no analysts' read copy")
    parser.add_argument(
        "--full-rebuild", action="store_true", help="build every model, not only those whose inputs changed"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Before the build (waiting for a run's lock) a signal stops at once; during it, the first
    # stops before the next model (the models built are kept).
    building = threading.Event()
    signals = StopSignals(building.is_set, "stopping before the next model")
    signals.install()
    warehouse = Warehouse.configured(args.destination, args.duckdb)
    database = warehouse.duckdb_file
    try:
        if database is not None:
            check_duckdb_file(database, must_exist=True)
        outcome = run_recipe(
            warehouse,
            Steps(
                recover=False,
                full_rebuild=args.full_rebuild,
                publish_to=None if database is None or args.no_publish else default_read_copy(database),
                pipelines_dir=args.pipelines_dir,
                progress=False,
                load_wait=0.0,  # a file another process holds: exit 1 at once (run again later)
                stop_requested=signals.requested,
            ),
            after_load=lambda _: building.set(),  # with the run lock held and the repair done
        )
        building.clear()
        results = outcome.built
        if outcome.published is not None:
            print(f"Published for analysts: {outcome.published}")
    except (TransformInterrupted, KeyboardInterrupt):
        log.warning("interrupted; the models built are kept, and the next build does the rest")
        return signals.exit_code()
    except TransformError as error:
        log.error("%s", error)
        return EXIT_FAILURE
    except (InstagramConfigError, ConfigurationException) as error:
        log.error("configuration error: %s", error)
        return EXIT_CONFIG_ERROR
    except (duckdb.Error, DestinationException, PipelineStepFailed, OSError) as error:
        return database_error(error, database)
    for name, run in results.items():
        extra = f"  ({run['iterations']} iterations)" if "iterations" in run else ""
        print(
            f"{ANALYTICS_DATASET}.{name:<28} {run['rows']:>10} rows {run['seconds']:>8.2f} s"
            f" {run['tests']:>3} contract tests passed{extra}"
        )
    print(
        f"{len(results)} models built, {len(results.up_to_date)} up to date;"
        f" total {sum(run['seconds'] for run in results.values()):.2f} s,"
        f" of which contract tests {sum(run['tests_seconds'] for run in results.values()):.2f} s"
    )
    return EXIT_BUILT


def database_error(error: BaseException, database: Any) -> int:
    """The exit code of an error opening or writing the database, logged in one line: a damaged
    file or one that cannot be written is a configuration error; a file held by another process
    (or a server that is down) a failure worth retrying later."""
    where = database or "the database"
    if duckdb_error_is_damage(error):
        log.error("configuration error: %s is a damaged DuckDB database: %s", where, error)
        return EXIT_CONFIG_ERROR
    if duckdb_is_busy(error):
        log.error("%s is held by another process; try again once it is closed: %s", where, error)
        return EXIT_FAILURE
    if any(isinstance(cause, PermissionError) or "Permission denied" in str(cause) for cause in causes_of(error)):
        log.error("configuration error: cannot write %s or its folder: %s", where, error)
        return EXIT_CONFIG_ERROR
    log.error("the transforms could not use %s: %s", where, error)
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
