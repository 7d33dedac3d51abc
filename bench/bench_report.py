"""Benchmark: the analyst report (`pipelines.report`) of a 100,000-user warehouse against a small one's.

Both warehouses are built the way the transforms benchmark builds its own: `bench_transforms.generate`
writes the raw tables straight into `instagram_raw` (the follow graph of an emulator world, media
and likes drawn by popularity; per user: 10 follows, 1 media, 20 likes; two configured accounts,
the users with most media, in a refresh schedule), then `run_transforms`
builds every analytics table through a dlt pipeline. The analytics tables are those a crawl of
the same world would give (`bench_scale` crawls 100,000 users through the CLI, which takes far
longer and is not what is measured here). The report samples the follow graph in SQL (the top
`GRAPH_SAMPLE_NODES` users by PageRank and at most `GRAPH_SAMPLE_EDGES` edges among them), so
its time and size should hardly grow with the warehouse. The baseline is the report of a
warehouse of `GRAPH_SAMPLE_NODES` users (the demo's size), built the same way in the same run:
its graph is drawn whole, as many nodes as the large one's sample, so the ratios are what the
large warehouse's rows cost.

Prints, per warehouse: the time to write the report (best of `--repeat`), the HTML's size (and
how much of it is Plotly's inlined JavaScript), the nodes and edges the graph draws (read back
from the HTML), then the large ÷ small ratios. With playwright installed (the `report-test`
extra: run it from `.venv-report`, which `scripts/test-report` creates) it also times Debian's
headless Chromium opening each report from file:// until every chart is drawn: from the
navigation's start (the page's own clock), and in all with the browser's launch.

    .venv/bin/python -m bench.bench_report [--users 100000] [--small-users 2000] [--repeat 3]
    .venv-report/bin/python -m bench.bench_report   # and the time Chromium takes to draw it
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dlt
import duckdb
import plotly.offline

from bench.bench_transforms import generate
from pipelines import report
from transforms import run_transforms

try:
    from tests.report.browser import open_report
except ImportError:  # no playwright: the main .venv
    open_report = None

FOLLOWS_PER_USER = 10
MEDIA_PER_USER = 1
LIKES_PER_USER = 20
MB = 1024 * 1024
GRAPH_FIGURE = re.compile(r'<script type="application/json" data-figure="graph">(.*?)</script>', re.S)
TARGETS = {"write_seconds": 10.0, "draw_seconds": 10.0}


@dataclass
class Measured:
    users: int
    build_seconds: float
    write_seconds: float
    html_mb: float
    nodes: int
    edges: int
    draw_seconds: float | None
    with_launch_seconds: float | None


def build_warehouse(folder: Path, users: int, seed: int) -> Path:
    """A DuckDB file with the raw tables of `users` users and every analytics table built from them."""
    folder.mkdir(parents=True)
    path = folder / "instagram.duckdb"
    with duckdb.connect(str(path)) as con:
        generate(con, users, users * FOLLOWS_PER_USER, users * MEDIA_PER_USER, users * LIKES_PER_USER, seed)
        # the configured accounts, as the source's refresh schedule names them: the token's own
        # (`self`) and one more, the two with most media, so that their sections are the heaviest
        con.execute(
            "CREATE TABLE instagram_raw.refresh_schedule AS"
            " WITH chosen AS (SELECT user_id, row_number() OVER (ORDER BY count(*) DESC, user_id) AS nth"
            " FROM instagram_raw.media GROUP BY user_id ORDER BY nth LIMIT 2)"
            " SELECT 'crawl' AS kind, user_id AS entity_id, 0::BIGINT AS depth, TRUE AS active FROM chosen"
            " UNION ALL SELECT 'profile', CASE nth WHEN 1 THEN 'self' ELSE user_id END, 0, TRUE FROM chosen"
        )
    pipeline = dlt.pipeline(
        "instagram",
        pipelines_dir=str(folder / "dlt"),
        destination=dlt.destinations.duckdb(str(path)),
        dataset_name="instagram_raw",
    )
    run_transforms(pipeline)
    return path


def drawn_graph(document: str) -> tuple[int, int]:
    """The nodes and edges the report's graph figure draws (edges are `x0, x1, None` runs)."""
    match = GRAPH_FIGURE.search(document)
    if match is None:
        raise RuntimeError("the report has no follow graph figure")
    edges, nodes = json.loads(match.group(1))["data"]
    return len(nodes["x"]), edges["x"].count(None)


def measure(folder: Path, users: int, seed: int, repeat: int) -> Measured:
    started = time.perf_counter()
    database = build_warehouse(folder, users, seed)
    build_seconds = time.perf_counter() - started
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        output = report.write_report(database)
        timings.append(time.perf_counter() - started)
    document = output.read_text(encoding="utf-8")
    nodes, edges = drawn_graph(document)
    draw_seconds = with_launch_seconds = None
    if open_report is not None:
        started = time.perf_counter()
        with open_report(output) as opened:
            with_launch_seconds = time.perf_counter() - started
            draw_seconds = opened.page.evaluate("performance.now()") / 1000
        if opened.console_errors:
            raise RuntimeError(f"the {users:,}-user report logged errors in Chromium: {opened.console_errors}")
    size_mb = output.stat().st_size / MB
    return Measured(users, build_seconds, min(timings), size_mb, nodes, edges, draw_seconds, with_launch_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000, help="users of the large warehouse")
    parser.add_argument(
        "--small-users", type=int, default=report.GRAPH_SAMPLE_NODES, help="users of the baseline warehouse"
    )
    parser.add_argument("--repeat", type=int, default=3, help="report writes per warehouse; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    plotly_mb = len(plotly.offline.get_plotlyjs().encode()) / MB
    with tempfile.TemporaryDirectory(prefix="bench_report_") as workdir:
        small, large = (
            measure(Path(workdir) / f"users_{users}", users, args.seed, args.repeat)
            for users in (args.small_users, args.users)
        )
    for run in (small, large):
        drawn = (
            f"; Chromium loads and draws it in {run.draw_seconds:.2f} s ({run.with_launch_seconds:.2f} s with its launch)"
            if run.draw_seconds is not None
            else ""
        )
        print(
            f"{run.users:>7,} users (warehouse built in {run.build_seconds:.1f} s): report written in"
            f" {run.write_seconds:.2f} s, {run.html_mb:.2f} MB ({plotly_mb:.2f} MB of it Plotly's JavaScript),"
            f" graph of {run.nodes:,} nodes and {run.edges:,} edges{drawn}"
        )
    print(
        f"large ÷ small: write time {large.write_seconds / small.write_seconds:.2f},"
        f" HTML size {large.html_mb / small.html_mb:.2f}"
        + (f", Chromium draw {large.draw_seconds / small.draw_seconds:.2f}" if large.draw_seconds is not None else "")
    )
    print(
        f"targets at {large.users:,} users: written in < {TARGETS['write_seconds']:.0f} s"
        f" ({'met' if large.write_seconds < TARGETS['write_seconds'] else 'MISSED'})"
        + (
            f", drawn in < {TARGETS['draw_seconds']:.0f} s"
            f" ({'met' if large.draw_seconds < TARGETS['draw_seconds'] else 'MISSED'})"
            if large.draw_seconds is not None
            else "; Chromium not timed (no playwright: run from .venv-report)"
        )
    )


if __name__ == "__main__":
    main()
