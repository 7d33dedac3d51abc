"""Benchmark: build every analytics table over ~1M follow edges, ~100k media and ~2M likes.

Raw tables are generated quickly (the follow graph of an emulator world, posts and likes drawn
with numpy by popularity) straight into a DuckDB file under `instagram_raw`, then `run_transforms` runs
through the project's DuckDB destination, with a run's settings (`pipelines.warehouse.
duckdb_settings()`: its memory limit and threads). networkx's PageRank (graph build included)
on the same edges, in the same run, is the baseline. Prints: total transform time (and CPU
time, which depends less on what else the machine runs), the slowest models, peak RSS during
the transforms against the memory limit, the PageRank ratio, and what the model contracts'
tests add (their time against the build without them).

    .venv/bin/python -m bench.bench_transforms [--users 50000] [--edges 1000000] ...
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import dlt
import duckdb
import networkx as nx
import numpy as np
import pyarrow as pa

from emulator import World, WorldConfig
from pipelines.warehouse import duckdb_destination, duckdb_settings
from transforms import run_transforms

START = np.datetime64("2016-01-01T00:00:00", "s")
DAY = 86400
# what building PageRank takes in SQL, graph build included (as for networkx): the degrees that
# find the dangling nodes read the undirected adjacency, so it counts too
PAGERANK_MODELS = ("int_graph_nodes", "int_graph_edges", "int_graph_adjacency", "int_node_degrees", "int_pagerank")


def timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array((START + seconds.astype("timedelta64[s]")), pa.timestamp("s", tz="UTC"))


def ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pa.array(np.char.add(prefix, numbers.astype(str)))


def generate(con: duckdb.DuckDBPyConnection, users: int, edges: int, media: int, likes: int, seed: int) -> None:
    """Write the raw tables the transforms read, at the requested sizes."""
    rng = np.random.default_rng(seed)
    # the emulator's world: planted communities, reciprocity and a heavy-tailed popularity
    world = World(WorldConfig(seed=seed, users=users, follows_per_user=edges / users))
    user_ids = np.array(world.user_ids())
    index_of = {uid: i for i, uid in enumerate(user_ids)}
    pairs = np.array([(index_of[a], index_of[b]) for a, b in world.follow_edges()[:edges]])
    popularity = np.bincount(pairs[:, 1], minlength=users) + 1.0
    popularity /= popularity.sum()
    read_at = timestamps(rng.integers(0, 30 * DAY, len(pairs)))
    owner = rng.choice(users, media, p=popularity)
    created = rng.integers(0, 60 * DAY, media)
    liked_media = rng.integers(0, media, likes)
    liker = rng.integers(0, users, likes)
    comment_media = rng.integers(0, media, likes // 10)
    tags = rng.zipf(1.6, (media, 2)) % 500
    snapshot_user = np.repeat(np.arange(users), 2)
    tables = {
        "follow_edges": pa.table(
            {
                "edge_key": pa.array(
                    np.char.add(np.char.add("follows:", user_ids[pairs[:, 0]]), np.char.add(":", user_ids[pairs[:, 1]]))
                ),
                "list_key": pa.array(np.char.add("follows:", user_ids[pairs[:, 0]])),
                "follower_id": pa.array(user_ids[pairs[:, 0]]),
                "followed_id": pa.array(user_ids[pairs[:, 1]]),
                "valid_from": read_at,
                "valid_to": pa.nulls(len(pairs), pa.timestamp("s", tz="UTC")),
            }
        ),
        "media": pa.table(
            {
                "id": ids("m", np.arange(media)),
                "user_id": pa.array(user_ids[owner]),
                "type": pa.array(["image"] * media),
                "created_time": timestamps(created),
                "location_id": ids("L", rng.integers(0, 2000, media)),
                "likes_count": pa.array(np.bincount(liked_media, minlength=media)),
                "comments_count": pa.array(np.bincount(comment_media, minlength=media)),
                "observed_at": timestamps(np.full(media, 61 * DAY)),
            }
        ),
        "likes": pa.table(
            {
                "like_key": pa.array(np.arange(likes).astype(str)),
                "media_id": ids("m", liked_media),
                "user_id": pa.array(user_ids[liker]),
                "observed_at": timestamps(np.full(likes, 61 * DAY)),
            }
        ),
        "comments": pa.table(
            {
                "id": ids("c", np.arange(comment_media.size)),
                "media_id": ids("m", comment_media),
                "from_user_id": pa.array(user_ids[rng.integers(0, users, comment_media.size)]),
                "created_time": timestamps(created[comment_media] + rng.integers(0, DAY, comment_media.size)),
            }
        ),
        "user_counts": pa.table(
            {
                "user_id": pa.array(user_ids[snapshot_user]),
                "observed_at": timestamps(np.tile([20 * DAY, 60 * DAY], users)),
                "followed_by_count": pa.array(rng.integers(0, 1000, snapshot_user.size)),
            }
        ),
        "media_counts": pa.table(
            {
                "media_id": ids("m", np.repeat(np.arange(media), 2)),
                "observed_at": timestamps(np.tile([61 * DAY, 62 * DAY], media)),
                "likes_count": pa.array(np.repeat(np.bincount(liked_media, minlength=media), 2)),
            }
        ),
        "media_tags": pa.table(
            {
                "media_id": ids("m", np.repeat(np.arange(media), 2)),
                "tag": ids("tag", tags.ravel()),
            }
        ),
    }
    con.execute("CREATE SCHEMA instagram_raw")
    for name, table in tables.items():
        con.register("batch", table)
        con.execute(f"CREATE TABLE instagram_raw.{name} AS SELECT * FROM batch")
        con.unregister("batch")


def networkx_pagerank_seconds(con: duckdb.DuckDBPyConnection) -> float:
    edges = con.execute("SELECT DISTINCT follower_id, followed_id FROM instagram_raw.follow_edges").fetchall()
    started = time.perf_counter()
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    nx.pagerank(graph, alpha=0.85)
    return time.perf_counter() - started


def reset_peak_rss() -> None:
    """Start the process's peak RSS (VmHWM) afresh (Linux: `clear_refs` 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def rss_mb(field: str) -> float:
    """`VmRSS` (now) or `VmHWM` (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--likes", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench_transforms_"))
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ["DLT_DATA_DIR"] = str(workdir / "dlt")
    path = workdir / "instagram.duckdb"

    started = time.perf_counter()
    with duckdb.connect(str(path)) as con:
        generate(con, args.users, args.edges, args.media, args.likes, args.seed)
        counts = {
            t: con.execute(f"SELECT count(*) FROM instagram_raw.{t}").fetchone()[0]
            for t in ("follow_edges", "media", "likes", "comments")
        }
        networkx_seconds = networkx_pagerank_seconds(con)
    print(f"generated the raw data in {time.perf_counter() - started:.1f} s: {counts}")

    pipeline = dlt.pipeline("instagram", destination=duckdb_destination(path), dataset_name="instagram_raw")
    rss_before = rss_mb("VmRSS")
    reset_peak_rss()
    started, cpu_started = time.perf_counter(), time.process_time()
    results = run_transforms(pipeline)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_rss = rss_mb("VmHWM")
    # a model's seconds include its contract tests; the PageRank comparison is about the build
    pagerank_seconds = sum(results[m]["seconds"] - results[m]["tests_seconds"] for m in PAGERANK_MODELS)
    tests_seconds = sum(run["tests_seconds"] for run in results.values())

    print("slowest models:")
    for name, run in sorted(results.items(), key=lambda item: -item[1]["seconds"])[:8]:
        extra = f", {run['iterations']} iterations" if "iterations" in run else ""
        print(f"  {name:<28} {run['seconds']:>7.2f} s  {run['rows']:>9} rows{extra}")
    print(f"total transform time: {total:.1f} s (targets on 2 cores: < 60 s at 1M edges, < 300 s at 10M)")
    # on a shared machine the wall time depends on the load; the CPU time much less
    print(f"CPU time of the transforms: {cpu:.1f} s ({os.getloadavg()[0]:.1f} load average at the end)")
    settings = duckdb_settings()
    print(
        f"peak RSS during the transforms: {peak_rss:.0f} MB (the process held {rss_before:.0f} MB before them;"
        f" DuckDB memory_limit {settings['memory_limit']}, threads {settings['threads']})"
    )
    print(
        f"PageRank in SQL (graph build included): {pagerank_seconds:.2f} s;"
        f" networkx (graph build included): {networkx_seconds:.2f} s;"
        f" ratio {pagerank_seconds / networkx_seconds:.2f} (target <= 0.33)"
    )
    print(
        f"contract tests: {sum(run['tests'] for run in results.values())} tests in {tests_seconds:.1f} s;"
        f" the transforms take {total / (total - tests_seconds):.2f}x the time they take without them; slowest:"
    )
    for name, run in sorted(results.items(), key=lambda item: -item[1]["tests_seconds"])[:5]:
        print(f"  {name:<28} {run['tests_seconds']:>7.2f} s  {run['tests']:>3} tests")


if __name__ == "__main__":
    main()
