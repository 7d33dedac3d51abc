"""Benchmark of the refresh scheduler: weeks of hourly cron against a changing world.

A world advances one hour between runs (default rates: new media, likes, comments, follows
and unfollows); each hour the token gets a fresh allowance of 5,000 requests, of which the
source may spend `budget_share` 0.8 (4,000). The seeds are the default user and two users it
follows; the resources are user_media (with engagement), feed, user_profiles and follow_graph,
crawled to depth 2 with room for every user. Each run is a dlt pipeline in this process (one
DuckDB file, one pipelines dir, no transforms), the emulator on loopback beside it.

Prints:
1. requests per run (min / median / max, and the series, one line per simulated day);
2. 429 answers received (target 0);
3. budget used ÷ configured share, over the runs where work was due (work remaining or
   budget exhausted; target ≥ 0.95);
4. the run at which the first pass completed (no crawl row unread), then the share of follow
   lists, crawled users' profiles and media counters fresher than their policy (profiles:
   age ≤ 6 h for seeds, 24 h for the others; lists: ≤ list_max_age; counters: not overdue),
   at the end and the lowest after the first pass (target ≥ 0.95);
5. at the last run, the warehouse against the world's truth: current follow edges of the
   frontier's lists (missing and extra as a share of the truth) and the seeds' media
   counters, each error explained by the policy;
6. wall time.

    .venv/bin/python -m bench.bench_cron [--users 20000] [--hours 168]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

HOUR = 3600
RATE_LIMIT = 5000
BUDGET_SHARE = 0.8
SHARE = int(RATE_LIMIT * BUDGET_SHARE)
RESOURCES = ["user_media", "feed", "user_profiles", "follow_graph"]
CRAWL_DEPTH = 2
LIST_KINDS = ("follows", "followed_by")


def ts(moment: datetime) -> str:
    return f"TIMESTAMP WITH TIME ZONE '{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}+00:00'"


class Cron:
    """One DuckDB file and one pipelines dir, a run per simulated hour."""

    def __init__(self, workdir: Path, emu: Any, config: dict[str, Any]):
        self.workdir = workdir
        self.emu = emu
        self.config = config

    def pipeline(self):
        import dlt

        return dlt.pipeline(
            "bench_cron",
            destination=dlt.destinations.duckdb(str(self.workdir / "cron.duckdb")),
            dataset_name="instagram_raw",
            pipelines_dir=str(self.workdir / "pipelines"),
        )

    def run(self) -> dict[str, Any]:
        from sources.instagram import instagram

        pipeline = self.pipeline()
        pipeline.run(instagram(access_token=self.emu.access_token, base_url=self.emu.base_url, **self.config))
        return dict(pipeline.state["sources"]["instagram"]["last_run"])

    def rows(self, sql: str) -> list[tuple]:
        with self.pipeline().sql_client() as client:
            return [tuple(row) for row in client.execute_sql(sql)]


def freshness(cron: Cron, world: Any, now: datetime, policy: dict[str, float]) -> dict[str, tuple[int, int]]:
    """(fresh, total) per kind: crawled users' profiles, follow lists, active media counters."""
    seed_h, crawl_h, list_h = policy["seed_refresh_hours"], policy["crawl_refresh_hours"], policy["list_max_age_hours"]
    [(profiles, fresh_profiles)] = cron.rows(
        f"""SELECT count(*), count(*) FILTER (WHERE last_read_at IS NOT NULL AND last_read_at >= {ts(now)}
                 - CASE WHEN depth = 0 THEN INTERVAL '{seed_h} hours' ELSE INTERVAL '{crawl_h} hours' END)
            FROM refresh_schedule WHERE kind = 'crawl' AND active"""
    )
    members = {uid for (uid,) in cron.rows("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active")}
    lists = {
        (kind, uid): read_at
        for kind, uid, read_at in cron.rows(
            "SELECT kind, entity_id, last_read_at FROM refresh_schedule WHERE kind IN ('follows', 'followed_by')"
        )
        if uid in members
    }
    # a public member's lists are expected even before their first read
    expected = set(lists) | {(kind, uid) for uid in members if not world.is_private(uid) for kind in LIST_KINDS}
    cutoff = now - timedelta(hours=list_h)
    fresh_lists = sum(1 for key in expected if lists.get(key) is not None and lists[key] >= cutoff)
    [(counters, fresh_counters)] = cron.rows(
        f"""SELECT count(*), count(*) FILTER (WHERE next_due_at > {ts(now)})
            FROM refresh_schedule WHERE kind = 'counters' AND active"""
    )
    return {
        "profiles": (fresh_profiles, profiles),
        "lists": (fresh_lists, len(expected)),
        "counters": (fresh_counters, counters),
    }


def share(pair: tuple[int, int]) -> float:
    fresh, total = pair
    return fresh / total if total else 1.0


def edges_vs_truth(cron: Cron, world: Any, now: datetime, list_max_age_h: float) -> None:
    """Current edges of every read list of the frontier against the world, errors explained."""
    members = {uid for (uid,) in cron.rows("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active")}
    rows = cron.rows(
        "SELECT kind, entity_id, last_read_at, last_count FROM refresh_schedule WHERE kind IN ('follows', 'followed_by')"
    )
    lists = {(kind, uid): (read_at, count) for kind, uid, read_at, count in rows if uid in members}
    warehouse: dict[tuple[str, str], set[str]] = {key: set() for key in lists}
    for list_key, follower, followed in cron.rows(
        "SELECT list_key, follower_id, followed_id FROM follow_edges WHERE valid_to IS NULL AND follower_id IS NOT NULL"
    ):
        kind, uid = list_key.split(":", 1)
        if (kind, uid) in warehouse:
            warehouse[(kind, uid)].add(followed if kind == "follows" else follower)
    latest = {
        uid: (observed_at, follows, followed_by)
        for uid, observed_at, follows, followed_by in cron.rows(
            """SELECT user_id, max(observed_at), arg_max(follows_count, observed_at),
                      arg_max(followed_by_count, observed_at) FROM user_counts GROUP BY user_id"""
        )
    }
    unread = sum(1 for uid in members if not world.is_private(uid) for kind in LIST_KINDS if (kind, uid) not in lists)
    print(
        f"5. at the last run: {len(members)} frontier members, {len(lists)} lists read, {unread} public lists never read"
    )
    for kind in LIST_KINDS:
        truth_total = missing = extra = 0
        causes: Counter[str] = Counter()
        wrong_lists = 0
        for (list_kind, uid), (_read_at, last_count) in lists.items():
            if list_kind != kind:
                continue
            truth = set(world.follows(uid) if kind == "follows" else world.followed_by(uid))
            held = warehouse[(kind, uid)]
            truth_total += len(truth)
            miss, more = len(truth - held), len(held - truth)
            missing += miss
            extra += more
            if not miss and not more:
                continue
            wrong_lists += 1
            profile = latest.get(uid)
            seen = None if profile is None else profile[1 if kind == "follows" else 2]
            if seen != last_count:
                cause = "count changed at the last profile read, list not read (budget or failure)"
            elif len(truth) != last_count:
                cause = "count changed after the owner's last profile read (profile not due yet)"
            else:
                cause = (
                    f"count unchanged since the list's read (follows and unfollows cancel): change detection"
                    f" waits up to {list_max_age_h:.0f} h"
                )
            causes[cause] += miss + more
        print(
            f"   {kind}: truth {truth_total} edges, missing {missing / max(truth_total, 1):.4f}"
            f" ({missing}), extra {extra / max(truth_total, 1):.4f} ({extra}), in {wrong_lists} lists"
        )
        for cause, count in causes.most_common():
            print(f"     {count} edges: {cause}")


def counters_vs_truth(cron: Cron, world: Any, seeds: list[str], now: datetime) -> None:
    """The seeds' media counters in the warehouse against the world, errors explained."""
    stored = {
        mid: (likes, comments, observed_at)
        for mid, likes, comments, observed_at in cron.rows(
            "SELECT id, likes_count, comments_count, observed_at FROM media"
            f" WHERE user_id IN ({', '.join(repr(s) for s in seeds)})"
        )
    }
    schedule = {
        mid: (active, due)
        for mid, active, due in cron.rows(
            "SELECT entity_id, active, next_due_at FROM refresh_schedule WHERE kind = 'counters'"
        )
    }
    truth_media = [mid for uid in seeds for mid in world.media_ids_of_user(uid)]
    absent = sum(1 for mid in truth_media if mid not in stored)
    print(f"   seeds' media: {len(truth_media)} in the world, {absent} not in the warehouse")
    for kind, index in (("likes", 0), ("comments", 1)):
        wrong = abs_error = total = 0
        causes: Counter[str] = Counter()
        for mid in truth_media:
            if mid not in stored:
                continue
            true = int(world.media(mid)[kind]["count"])
            held = int(stored[mid][index] or 0)
            total += true
            if held == true:
                continue
            wrong += 1
            abs_error += abs(true - held)
            active, due = schedule.get(mid, (None, None))
            age_h = (now - datetime.fromtimestamp(int(world.media(mid)["created_time"]), UTC)).total_seconds() / HOUR
            if active is None:
                cause = "no counters row"
            elif not active:
                cause = "past its last age (30 d): never read again"
            elif due is not None and due > now:
                cause = "not yet at its next age"
            else:
                cause = "overdue (budget)"
            causes[cause] += 1
            if age_h < 24 * 30 and cause.startswith("past"):
                causes["(of which younger than 30 d)"] += 1
        print(
            f"   {kind}: {wrong}/{len(stored)} media wrong ({wrong / max(len(stored), 1):.4f}),"
            f" |error| {abs_error} of {total} ({abs_error / max(total, 1):.4f})"
        )
        for cause, count in causes.most_common():
            print(f"     {count} media: {cause}")


def compact(series: list[int], per_line: int = 24) -> str:
    lines = []
    for start in range(0, len(series), per_line):
        chunk = series[start : start + per_line]
        lines.append(f"   runs {start + 1:>3}-{start + len(chunk):<3} " + " ".join(str(v) for v in chunk))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20_000, help="users in the world")
    parser.add_argument("--hours", type=int, default=168, help="hourly runs")
    parser.add_argument("--seed", type=int, default=2024, help="world seed")
    parser.add_argument("--workdir", help="keep the DuckDB file here (default: a temporary dir)")
    options = parser.parse_args()

    from emulator import Emulator, World, WorldConfig
    from sources.instagram.settings import (
        DEFAULT_CRAWL_REFRESH_HOURS,
        DEFAULT_LIST_MAX_AGE_HOURS,
        DEFAULT_SEED_REFRESH_HOURS,
    )

    started = time.perf_counter()
    world = World(WorldConfig(users=options.users, seed=options.seed))
    built = time.perf_counter() - started
    me = world.default_user_id
    seeds = [me, *world.follows(me)[:2]]
    policy = {
        "seed_refresh_hours": DEFAULT_SEED_REFRESH_HOURS,
        "crawl_refresh_hours": DEFAULT_CRAWL_REFRESH_HOURS,
        "list_max_age_hours": DEFAULT_LIST_MAX_AGE_HOURS,
    }
    config = dict(
        user_ids=["self", *seeds[1:]],
        resources=RESOURCES,
        crawl_depth=CRAWL_DEPTH,
        crawl_max_users=options.users,
        budget_share=BUDGET_SHARE,
        **policy,
    )
    print(
        f"world: {options.users} users (seed {options.seed}, built in {built:.1f} s), {options.hours} hourly runs;"
        f" seeds {seeds}; budget {RATE_LIMIT}/h, share {BUDGET_SHARE} ({SHARE})"
    )

    requests: list[int] = []
    statuses: Counter[int] = Counter()
    due_runs: list[tuple[int, int]] = []  # (run, requests) where work was due
    rates: Counter[str] = Counter()
    fresh_series: list[dict[str, tuple[int, int]]] = []
    first_pass: int | None = None
    run_seconds: list[float] = []
    last_runs: list[dict[str, Any]] = []
    with (
        Emulator(world, follows_any_user=True, rate_limit=RATE_LIMIT, rate_window=10**9) as emu,
        tempfile.TemporaryDirectory() as tmp,
    ):
        workdir = Path(options.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        cron = Cron(workdir, emu, config)
        for hour in range(options.hours):
            if hour:
                summary = emu.advance(HOUR)
                for name, changes in summary.items():
                    if isinstance(changes, list):
                        rates[name] += len(changes)
            emu.reset_rate_limits()
            emu.stats.reset()
            began = time.perf_counter()
            last_run = cron.run()
            run_seconds.append(time.perf_counter() - began)
            last_runs.append(last_run)
            served = emu.stats.total
            requests.append(served)
            statuses.update(emu.stats.by_status)
            if last_run.get("work_remaining") or last_run.get("budget_exhausted"):
                due_runs.append((hour + 1, served))
            now = datetime.fromtimestamp(world.now, UTC)
            [(unread,)] = cron.rows(
                "SELECT count(*) FROM refresh_schedule WHERE kind = 'crawl' AND active AND last_read_at IS NULL"
            )
            if first_pass is None and unread == 0:
                first_pass = hour + 1
            fresh = freshness(cron, world, now, policy)
            fresh_series.append(fresh)
            print(
                f"run {hour + 1:>3}: {served:>5} requests, {run_seconds[-1]:5.1f} s, unread {unread:>5},"
                f" work_remaining {last_run.get('work_remaining')!s:5}, refreshed {last_run.get('refreshed')},"
                " fresh " + " ".join(f"{k} {share(v):.3f}" for k, v in fresh.items()),
                flush=True,
            )

        hours_advanced = max(options.hours - 1, 1)
        print(
            "\nrates per hour (advance summaries):",
            ", ".join(f"{k} {v / hours_advanced:.1f}" for k, v in rates.items()),
        )
        print(
            f"1. requests per run: min {min(requests)}, median {statistics.median(requests):.0f},"
            f" max {max(requests)}, total {sum(requests)}"
        )
        print(compact(requests))
        print(f"2. 429s received: {statuses.get(429, 0)} (statuses {dict(sorted(statuses.items()))})")
        if due_runs:
            used = [served for _, served in due_runs]
            print(
                f"3. budget used ÷ configured share ({SHARE}) over {len(due_runs)} runs with work due:"
                f" {sum(used) / (SHARE * len(used)):.3f} (lowest {min(used) / SHARE:.3f} at run"
                f" {min(due_runs, key=lambda r: r[1])[0]}; runs {', '.join(str(r) for r, _ in due_runs[:40])}"
                f"{' ...' if len(due_runs) > 40 else ''})"
            )
        else:
            print("3. budget used ÷ configured share: no run had work due")
        print(f"4. first pass completed at run: {first_pass}")
        if first_pass is not None:
            after = fresh_series[first_pass - 1 :]
            for kind in ("lists", "profiles", "counters"):
                lowest = min(range(len(after)), key=lambda i: share(after[i][kind]))
                fresh, total = fresh_series[-1][kind]
                print(
                    f"   {kind}: {share((fresh, total)):.4f} fresh at the end ({fresh}/{total});"
                    f" lowest after the first pass {share(after[lowest][kind]):.4f} at run {first_pass + lowest}"
                )
        now = datetime.fromtimestamp(world.now, UTC)
        edges_vs_truth(cron, world, now, policy["list_max_age_hours"])
        counters_vs_truth(cron, world, seeds, now)
    total = time.perf_counter() - started
    print(
        f"6. wall time: {total:.0f} s ({total / 60:.1f} min); per run mean {statistics.mean(run_seconds):.1f} s,"
        f" max {max(run_seconds):.1f} s"
    )


if __name__ == "__main__":
    main()
