"""`python -m transforms`: build the analytics tables from what the `instagram` pipeline loaded.

Only the models downstream of what changed since their last build are built (`--full-rebuild`:
every model); see transforms/runner.py.

The DuckDB file is `--duckdb`, else dlt config's (`DESTINATION__DUCKDB__CREDENTIALS` or
`[destination.duckdb] credentials`), else `./instagram.duckdb`. It waits while a run holds the
file (the run lock), and after the build it publishes the analysts' read copy beside the file,
as a run does (`--no-publish`: not; docs/analysts.md). With `--destination postgres`, the
database comes from `DESTINATION__POSTGRES__CREDENTIALS` (or `[destination.postgres.credentials]`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence

from pipelines.recipe import (
    ANALYTICS_DATASET,
    build_analytics,
    build_pipeline,
    configured_duckdb_file,
    default_read_copy,
    duckdb_destination,
    postgres_destination,
    publish_read_copy,
    run_lock,
    warehouse_lock,
)
from transforms.runner import TransformError


def main(argv: Sequence[str] | None = None) -> int:
    """Build the models whose inputs changed and print what each built; exit 1 if a model fails
    or breaks its contract."""
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

    database = None if args.destination == "postgres" else configured_duckdb_file(args.duckdb)
    destination = postgres_destination() if database is None else duckdb_destination(database)
    pipeline = build_pipeline(destination, args.pipelines_dir, progress=False)
    # on DuckDB, one writer at a time: after the runs (the shards) that hold the file
    with run_lock(warehouse_lock(database), wait=True) if database else contextlib.nullcontext():
        try:
            results = build_analytics(pipeline, full_rebuild=args.full_rebuild)
        except TransformError as error:
            logging.getLogger("transforms").error("%s", error)
            return 1
        if database and not args.no_publish:
            publish_read_copy(database, default_read_copy(database))
            print(f"Published for analysts: {default_read_copy(database)}")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
