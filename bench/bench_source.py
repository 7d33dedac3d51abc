"""Benchmark of the dlt source against a hand-written baseline, side by side, same world.

Prints:
1. requests made ÷ the minimum the world needs (every list read in pages of maximum size);
2. end-to-end time (extract, normalize, load into DuckDB) ÷ a minimal baseline that pages the
   same lists with plain `requests` (same number of parallel workers) and bulk-loads the JSON
   into DuckDB with `read_json`;
3. with 100 ms emulator latency: source time ÷ the same baseline run sequentially;
4. peak memory (RSS) of the source at 10× the data ÷ at 1×.

The emulator runs in this process; the source and the baseline each run in a child process
(so that their memory is measured alone and they never share the GIL with the server).

    .venv/bin/python -m bench.bench_source [--media 200000] [--latency-users 60] [--memory-media 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MEDIA_PER_USER = 200.0
PAGE_SIZE = 33
WORKERS = 8
ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------- child processes


def run_source(base_url: str, token: str, user_ids: list[str], workdir: str, workers: int) -> dict:
    """The dlt source, as a user would run it (parquet files for a backfill), into the DuckDB
    destination every run uses (the recipe's settings, merge and load jobs)."""
    import dlt

    from pipelines.warehouse import duckdb_destination
    from sources.instagram import InstagramTuning, instagram

    pipeline = dlt.pipeline(
        "bench_source",
        destination=duckdb_destination(Path(workdir) / "source.duckdb"),
        dataset_name="instagram_raw",
        pipelines_dir=f"{workdir}/pipelines",
    )
    source = instagram(
        access_token=token,
        base_url=base_url,
        user_ids=user_ids,
        resources=["user_media"],
        engagement_from=[],
        tuning=InstagramTuning(workers=workers, budget_share=1.0),
    )
    started = time.perf_counter()
    # the steps of pipeline.run, one by one, to see where memory goes
    pipeline.extract(source, loader_file_format="parquet")
    extract_rss_mb = peak_rss_mb()
    pipeline.normalize()
    pipeline.load()
    seconds = time.perf_counter() - started
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*) FROM media")[0][0]
    return {"seconds": seconds, "rows": rows, "extract_rss_mb": extract_rss_mb}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_baseline(base_url: str, token: str, user_ids: list[str], workdir: str, workers: int) -> dict:
    """Plain requests over the same lists, pages appended as JSON lines, one read_json load."""
    import duckdb
    import requests

    started = time.perf_counter()
    out = Path(workdir) / "pages"
    out.mkdir()
    requests_made = 0

    def read_list(uid: str) -> int:
        session = requests.Session()
        made, cursor = 0, None
        with open(out / f"{uid}.jsonl", "w") as sink:
            while True:
                params = {"access_token": token, "count": PAGE_SIZE}
                if cursor:
                    params["max_id"] = cursor
                body = session.get(f"{base_url}/users/{uid}/media/recent", params=params, timeout=60).json()
                made += 1
                for media in body["data"]:
                    sink.write(json.dumps(media) + "\n")
                cursor = body.get("pagination", {}).get("next_max_id")
                if not cursor:
                    return made

    with ThreadPoolExecutor(workers) as pool:
        requests_made = sum(pool.map(read_list, user_ids))
    connection = duckdb.connect(f"{workdir}/baseline.duckdb")
    connection.execute(f"CREATE TABLE media AS SELECT * FROM read_json('{out}/*.jsonl', format='newline_delimited')")
    rows = connection.execute("SELECT count(*) FROM media").fetchone()[0]
    connection.close()
    return {"seconds": time.perf_counter() - started, "rows": rows, "requests": requests_made}


def child_main(kind: str, payload: str) -> None:
    """Entry point of a child process: run one side, print its figures as JSON."""
    args = json.loads(payload)
    result = (run_source if kind == "source" else run_baseline)(**args)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def in_child(kind: str, **args) -> dict:
    """Run `kind` ("source" or "baseline") in a fresh Python process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME__LOG_LEVEL": "WARNING", "RUNTIME__DLTHUB_TELEMETRY": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_source", "--child", kind, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=args["workdir"],
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------- the benchmark


def bench_world(media: int):
    """A world with about `media` media, and its public users (whose lists are read)."""
    from emulator import World, WorldConfig

    world = World(
        WorldConfig(seed=2024, users=max(10, round(media / MEDIA_PER_USER / 0.88)), media_per_user=MEDIA_PER_USER)
    )
    users = [u for u in world.user_ids() if not world.is_private(u)]
    return world, users


def minimum_requests(world, users: list[str]) -> int:
    """Each list in pages of the maximum size; an empty list still takes one request."""
    return sum(max(1, math.ceil(len(world.media_ids_of_user(u)) / PAGE_SIZE)) for u in users)


def side_by_side(world, users: list[str], latency: float, baseline_workers: int | None) -> tuple[dict, dict]:
    """The source and (unless `baseline_workers` is None) the baseline, each against a fresh
    emulator of `world`."""
    from emulator import Emulator

    results: dict[str, dict] = {"baseline": {}}
    sides = [("baseline", baseline_workers)] if baseline_workers else []
    for kind, workers in sides + [("source", WORKERS)]:
        # no hourly limit here: the figures are about throughput, not pacing
        with Emulator(world, latency=latency, rate_limit=10**9) as emu, tempfile.TemporaryDirectory() as workdir:
            results[kind] = in_child(
                kind, base_url=emu.base_url, token=emu.access_token, user_ids=users, workdir=workdir, workers=workers
            )
            results[kind]["served"] = emu.stats.total
    return results["source"], results["baseline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=int, default=200_000, help="media in the throughput world")
    parser.add_argument("--latency-users", type=int, default=60, help="lists read in the latency run")
    parser.add_argument("--memory-media", type=int, default=20_000, help="media at 1x for the memory figure")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_main(*options.child)
        return

    world, users = bench_world(options.media)
    media = sum(len(world.media_ids_of_user(u)) for u in users)
    source, baseline = side_by_side(world, users, latency=0.0, baseline_workers=WORKERS)
    needed = minimum_requests(world, users)
    assert source["rows"] == baseline["rows"] == media, (source, baseline, media)
    print(f"world: {len(users)} public users' media lists, {media} media, minimum {needed} requests")
    print(
        f"1. requests ÷ minimum: {source['served'] / needed:.3f} ({source['served']} / {needed}; baseline {baseline['served']})"
    )
    print(
        f"2. time ÷ baseline ({WORKERS} workers each): {source['seconds'] / baseline['seconds']:.2f}"
        f" ({source['seconds']:.1f} s / {baseline['seconds']:.1f} s)"
    )

    latency_users = users[: options.latency_users]
    source, baseline = side_by_side(world, latency_users, latency=0.1, baseline_workers=1)
    print(
        f"3. 100 ms latency, time ÷ sequential baseline ({len(latency_users)} lists,"
        f" {minimum_requests(world, latency_users)} requests): {source['seconds'] / baseline['seconds']:.3f}"
        f" ({source['seconds']:.1f} s / {baseline['seconds']:.1f} s)"
    )

    peaks = []
    for size in (options.memory_media, options.memory_media * 10):
        world, users = bench_world(size)
        source, _ = side_by_side(world, users, latency=0.0, baseline_workers=None)
        peaks.append(source)
    small, large = peaks
    print(
        f"4. peak memory at 10x ÷ at 1x, whole run: {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}"
        f" ({large['peak_rss_mb']:.0f} MB at {large['rows']} media / {small['peak_rss_mb']:.0f} MB at {small['rows']} media)"
    )
    print(
        f"   after extract (the source's own streaming): {large['extract_rss_mb'] / small['extract_rss_mb']:.2f}"
        f" ({large['extract_rss_mb']:.0f} MB / {small['extract_rss_mb']:.0f} MB); the rest is the DuckDB load"
    )


if __name__ == "__main__":
    main()
