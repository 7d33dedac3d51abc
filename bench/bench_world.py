"""Build time, memory and read/advance costs of the emulator's world, by size.

Each size is measured in a fresh subprocess, so that peak memory (ru_maxrss after the build
minus ru_maxrss after the imports) belongs to that world alone. The smallest size is the
baseline the others are compared with.

    .venv/bin/python -m bench.bench_world [--users 10000 100000] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def measure(users: int, seed: int) -> dict:
    """Build one world in this process and time a few typical operations on it."""
    import resource

    from emulator.world import World, WorldConfig

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    world = World(WorldConfig(seed=seed, users=users))
    build = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def timed(call) -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    me = world.default_user_id
    page = world.feed(me)[:33]
    return {
        "users": users,
        "follow_edges_s": timed(world.follow_edges),
        "follow_edges": len(world.follow_edges()),
        "media": world.media_count_total(),
        "likes": world.like_count_total(),
        "build_s": build,
        "build_rss_mib": (rss_after - rss_before) / 1024,  # ru_maxrss is in KiB on Linux
        "media_page_33_s": timed(lambda: [world.media(m) for m in page]),
        "user_100_s": timed(lambda: [world.user(u) for u in world.user_ids()[:100]]),
        "top_tag_media_s": timed(lambda: world.tag_media(world.tag_names()[0])),
        "search_users_s": timed(lambda: world.search_users("ana")),
        "advance_day_s": timed(lambda: world.advance(86400)),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--users", type=int, nargs="+", default=[10_000, 100_000], help="world sizes; the first one is the baseline"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the subprocess side
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return

    results = []
    for users in args.users:
        output = subprocess.run(
            [sys.executable, "-m", "bench.bench_world", "--one", str(users), "--seed", str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(output))
    baseline = results[0]
    keys = [k for k in baseline if k != "users"]
    print(f"{'users':>24}" + "".join(f"{r['users']:>14,}" for r in results) + "   ratio last/first")
    for key in keys:
        cells = "".join(f"{r[key]:>14,}" if isinstance(r[key], int) else f"{r[key]:>14.3f}" for r in results)
        ratio = results[-1][key] / baseline[key] if baseline[key] else float("nan")
        print(f"{key:>24}{cells}{ratio:>12.1f}x")


if __name__ == "__main__":
    main()
