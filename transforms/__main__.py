"""`python -m transforms`: build the analytics tables from what the `instagram` pipeline loaded.

The DuckDB file comes from dlt config (`DESTINATION__DUCKDB__CREDENTIALS` or
`[destination.duckdb] credentials`), else `--duckdb`, else `./instagram.duckdb`. With
`--destination postgres`, the database comes from `DESTINATION__POSTGRES__CREDENTIALS` (or
`[destination.postgres.credentials]`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.recipe import (
    ANALYTICS_DATASET,
    build_analytics,
    build_pipeline,
    duckdb_destination,
    postgres_destination,
)
from transforms.runner import TransformError


def main(argv: Sequence[str] | None = None) -> int:
    """Run every model once and print what each built; exit 1 if a model fails or breaks its contract."""
    parser = argparse.ArgumentParser(
        prog="python -m transforms", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duckdb", metavar="PATH", help="DuckDB file holding the raw dataset")
    parser.add_argument("--destination", choices=["duckdb", "postgres"], default="duckdb", help="default: duckdb")
    parser.add_argument("--pipelines-dir", metavar="DIR", help="dlt working directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if args.destination == "postgres":
        destination = postgres_destination()
    else:
        destination = duckdb_destination(Path(args.duckdb).resolve()) if args.duckdb else "duckdb"
    pipeline = build_pipeline(destination, args.pipelines_dir, progress=False)
    try:
        results = build_analytics(pipeline)
    except TransformError as error:
        logging.getLogger("transforms").error("%s", error)
        return 1
    for name, run in results.items():
        extra = f"  ({run['iterations']} iterations)" if "iterations" in run else ""
        print(
            f"{ANALYTICS_DATASET}.{name:<28} {run['rows']:>10} rows {run['seconds']:>8.2f} s"
            f" {run['tests']:>3} contract tests passed{extra}"
        )
    print(
        f"total {sum(run['seconds'] for run in results.values()):.2f} s,"
        f" of which contract tests {sum(run['tests_seconds'] for run in results.values()):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
