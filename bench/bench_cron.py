"""Benchmark of the refresh scheduler: days of hourly cron against a changing world, measured
against the world's truth (issue #20's "Must show").

A world of `--users` users (4,000 by default) advances one hour between runs, at the emulator's
default rates (`--rates default`: `World.default_rates`, proportional to the world's size) or
at a real account's (`--rates real`: 20 new media, 40 follows, 15 unfollows, 300 likes and 40
comments an hour at 4,000 users, scaled with `--users`; Poisson draws). Each hour the token gets
a fresh allowance of 5,000 requests, of which the source may spend `budget_share` 0.8 (4,000).
The configuration is the default one plus three seeds (the default user and two users it
follows), the two most used tags and the location with the most media; resources user_media,
feed, liked_media, tag_media, location_media, user_profiles and follow_graph (likes and
comments for the default `engagement_from`), crawled to depth 2 with room for every user. Each
run is a dlt pipeline in this process (one DuckDB file, one pipelines dir) followed by the
transforms (`transforms.runner.run_transforms`), the emulator on loopback beside it; the
world's truth is read from the same `World` object between runs.

Prints, per run: requests, seconds, CPU seconds, crawl rows unread, snapshot rows loaded, models
built, freshness by row age; every 24 runs, the media counters' error by age; then:
1. requests per run (min / median / max, the series, and max ÷ mean after the first pass);
2. 429 answers received (target 0);
3. budget used ÷ configured share, over the runs where work was due (target ≥ 0.95);
4. the run at which the first pass completed (no crawl row unread), and the share of follow
   lists, crawled users' profiles and media counters fresher than their policy by row age;
5. at the last hourly run, the warehouse against the world's truth:
   a. media counters by list kind (the seeds' media, the feed, liked, the tags, the location;
      a media in several lists counts in each) and by age (< 1 d, 1-7 d, > 7 d): the share of
      likes and of comments missing, sum over media of max(0, truth - the latest count in
      `instagram_raw.media`) ÷ sum of truth (a media never loaded counts with 0), and the
      share of media whose two counts are exact (targets: ≤ 5 % missing for 1-7 d, ≤ 2 % beyond);
   b. follow edges of the frontier's read lists, missing and extra, errors explained;
   c. follower (and follows) counts: the latest `user_counts` row of each frontier member
      against the world's count, share exact;
   d. the seeds' media counters, errors explained by the schedule;
6. a no-change run: the world advances 1 hour with nothing happening; its requests ÷ the first
   run's (target ≤ 1 %), the rows it loaded into `media_counts` and `user_counts` (target 0
   repeating the previous counts: the users due that hour catch up on the day's changes), the
   models it built (target 0) and its CPU seconds (run + transforms; the emulator serves from
   threads of this process, so its CPU is included); then the same for a rerun with the clock
   not moved, when nothing at all changed since the last run;
7. wall time, then a table of every figure beside its target.

    .venv/bin/python -m bench.bench_cron [--users 4000] [--hours 72] [--rates default|real]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

HOUR = 3600
DAY = 24 * HOUR
RATE_LIMIT = 5000
BUDGET_SHARE = 0.8
SHARE = int(RATE_LIMIT * BUDGET_SHARE)
RESOURCES = [
    "user_media",
    "feed",
    "liked_media",
    "tag_media",
    "location_media",
    "user_profiles",
    "follow_graph",
]
CRAWL_DEPTH = 2
TAGS = 2
LOCATIONS = 1
LIST_KINDS = ("follows", "followed_by")
# a real account's activity per hour in a 4,000-user world (issue #20), scaled with the world
REAL_RATES_PER_4000 = {"new_media": 20, "new_follows": 40, "unfollows": 15, "new_likes": 300, "new_comments": 40}
SNAPSHOT_TABLES = ("media_counts", "user_counts")
NO_CHANGE = {"new_media": 0, "new_follows": 0, "unfollows": 0, "new_likes": 0, "new_comments": 0}
AGE_BUCKETS = ("< 1 d", "1-7 d", "> 7 d")
MEDIA_KINDS = ("user media", "feed", "liked", "tag", "location")
MISSING_TARGETS = {"< 1 d": None, "1-7 d": 0.05, "> 7 d": 0.02}


def source_state() -> str:
    """The commit and the uncommitted changes of the tree the source was imported from."""
    root = Path(__file__).resolve().parent.parent

    # a copy of the tree (to run a fixed version while others edit it) names its checkout's git dir
    where = (
        ["--git-dir", os.environ["BENCH_GIT_DIR"], "--work-tree", str(root)] if "BENCH_GIT_DIR" in os.environ else []
    )

    def git(*args: str) -> str:
        try:
            command = ["git", "--no-optional-locks", *where, *args]
            return subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = [line[3:] for line in git("status", "--short", "--untracked-files=no").splitlines()]
    diff = hashlib.sha256(git("diff", "HEAD").encode()).hexdigest()[:12]
    if not changed:
        return f"commit {head}, clean" if head != "unknown" else "unknown (not a git checkout)"
    return f"commit {head} + uncommitted changes (diff sha256 {diff}) in {', '.join(changed)}"


def age_bucket(age_seconds: float) -> str:
    if age_seconds < DAY:
        return AGE_BUCKETS[0]
    if age_seconds <= 7 * DAY:
        return AGE_BUCKETS[1]
    return AGE_BUCKETS[2]


def ts(moment: datetime) -> str:
    return f"TIMESTAMP WITH TIME ZONE '{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}+00:00'"


class Cron:
    """One DuckDB file and one pipelines dir, a run (and the transforms) per simulated hour."""

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
        """Extract and load once, then the transforms; what it did, timed."""
        from sources.instagram import instagram

        rows_before = self.table_rows()
        cpu, began = time.process_time(), time.perf_counter()
        pipeline = self.pipeline()
        error = None
        try:
            pipeline.run(instagram(access_token=self.emu.access_token, base_url=self.emu.base_url, **self.config))
        except Exception as exc:  # a failed run is a figure of the benchmark, not its end
            error = f"run: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        run_seconds = time.perf_counter() - began
        models: int | None = None
        try:
            from transforms.runner import run_transforms

            models = len(run_transforms(pipeline))
        except Exception as exc:
            error = (error + "; " if error else "") + f"transforms: {type(exc).__name__}: {str(exc)[:200]}"
        result = {
            "last_run": dict(pipeline.state.get("sources", {}).get("instagram", {}).get("last_run", {})),
            "seconds": time.perf_counter() - began,
            "run_seconds": run_seconds,
            "cpu": time.process_time() - cpu,
            "models": models,
            "error": error,
        }
        # rows the run wrote into load packages per table (dlt's normalize step; arrow items have
        # no _dlt_load_id column to count by), and rows the tables gained
        try:
            normalized = dict(pipeline.last_trace.last_normalize_info.row_counts)
        except Exception:
            normalized = {}
        rows_after = self.table_rows()
        result["snapshots"] = {
            table: (
                normalized.get(table, 0),
                None if rows_after[table] is None else rows_after[table] - (rows_before[table] or 0),
            )
            for table in SNAPSHOT_TABLES
        }
        return result

    def table_rows(self) -> dict[str, int | None]:
        counts: dict[str, int | None] = {}
        for table in SNAPSHOT_TABLES:
            try:
                [(counts[table],)] = self.rows(f"SELECT count(*) FROM {table}")
            except Exception:  # not created yet
                counts[table] = None
        return counts

    def rows(self, sql: str) -> list[tuple]:
        with self.pipeline().sql_client() as client:
            return [tuple(row) for row in client.execute_sql(sql)]


def freshness(cron: Cron, world: Any, now: datetime, policy: dict[str, float]) -> dict[str, tuple[int, int]]:
    """(fresh, total) per kind: crawled users' profiles, follow lists, active media counters."""
    seed_h, crawl_h, list_h = policy["seed_refresh_hours"], policy["crawl_refresh_hours"], policy["list_max_age_hours"]
    # the policy's age per user: the seeds', the crawl's, or (a found user whose profile the API
    # refuses: private or unknown, no `user_counts` row) the refusals' back-off
    [(profiles, fresh_profiles)] = cron.rows(
        f"""SELECT count(*), count(*) FILTER (WHERE last_read_at IS NOT NULL AND last_read_at >= {ts(now)}
                 - CASE WHEN depth = 0 THEN INTERVAL '{seed_h} hours'
                        WHEN entity_id NOT IN (SELECT user_id FROM user_counts) THEN INTERVAL '{list_h} hours'
                        ELSE INTERVAL '{crawl_h} hours' END)
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


def edges_vs_truth(cron: Cron, world: Any, now: datetime, list_max_age_h: float) -> dict[str, tuple[float, float]]:
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
        f"5b. follow edges: {len(members)} frontier members, {len(lists)} lists read, {unread} public lists never read"
    )
    figures: dict[str, tuple[float, float]] = {}
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
        figures[kind] = (missing / max(truth_total, 1), extra / max(truth_total, 1))
    return figures


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
    print(f"5d. seeds' media: {len(truth_media)} in the world, {absent} not in the warehouse")
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


def media_lists(world: Any, me: str, seeds: list[str], tags: list[str], locations: list[str]) -> dict[str, list[str]]:
    """The world's media of each configured list kind (the truth of what the lists hold)."""

    def distinct(ids: list[str]) -> list[str]:
        return list(dict.fromkeys(ids))

    return {
        "user media": distinct([mid for uid in seeds for mid in world.media_ids_of_user(uid)]),
        "feed": distinct(world.feed(me)),
        "liked": distinct(world.liked_media(me)),
        "tag": distinct([mid for tag in tags for _, mid in world.tag_media(tag)]),
        "location": distinct([mid for lid in locations for mid in world.location_media(lid)]),
    }


class Tally:
    """Counters of a group of media against the truth."""

    def __init__(self) -> None:
        self.media = self.absent = self.exact = 0
        self.likes = self.likes_missing = self.comments = self.comments_missing = 0

    def add(self, truth: tuple[int, int], held: tuple[int, int] | None) -> None:
        likes, comments = truth
        held_likes, held_comments = held if held is not None else (0, 0)
        self.media += 1
        self.absent += held is None
        self.exact += held is not None and held_likes == likes and held_comments == comments
        self.likes += likes
        self.likes_missing += max(0, likes - held_likes)
        self.comments += comments
        self.comments_missing += max(0, comments - held_comments)

    @property
    def likes_share(self) -> float:
        return self.likes_missing / self.likes if self.likes else 0.0

    @property
    def comments_share(self) -> float:
        return self.comments_missing / self.comments if self.comments else 0.0

    @property
    def exact_share(self) -> float:
        return self.exact / self.media if self.media else 1.0


def media_vs_truth(cron: Cron, world: Any, lists: dict[str, list[str]]) -> tuple[dict[str, Tally], dict, dict]:
    """Each list kind's media counters in `instagram_raw.media` against the world, by age.

    Returns the tallies per age over all kinds (each media once), per (kind, age), and the
    consistency of `media` with the latest `media_counts` snapshot."""
    held = {
        mid: (int(likes or 0), int(comments or 0))
        for mid, likes, comments in cron.rows("SELECT id, likes_count, comments_count FROM media")
    }
    consistency = {"compared": 0, "differ": 0}
    try:
        for mid, likes, comments in cron.rows(
            """SELECT media_id, arg_max(likes_count, observed_at), arg_max(comments_count, observed_at)
               FROM media_counts GROUP BY media_id"""
        ):
            if mid in held:
                consistency["compared"] += 1
                consistency["differ"] += held[mid] != (int(likes or 0), int(comments or 0))
    except Exception as exc:
        consistency["error"] = f"{type(exc).__name__}"
    now = world.now
    truth: dict[str, tuple[tuple[int, int], str]] = {}
    by_kind: dict[tuple[str, str], Tally] = defaultdict(Tally)
    overall: dict[str, Tally] = defaultdict(Tally)
    for kind, media_ids in lists.items():
        for mid in media_ids:
            if mid not in truth:
                media = world.media(mid)
                counts = (int(media["likes"]["count"]), int(media["comments"]["count"]))
                truth[mid] = (counts, age_bucket(now - int(media["created_time"])))
                overall[truth[mid][1]].add(counts, held.get(mid))
            counts, bucket = truth[mid]
            by_kind[(kind, bucket)].add(counts, held.get(mid))
    return overall, by_kind, consistency


def print_media_table(overall: dict[str, Tally], by_kind: dict, consistency: dict) -> None:
    print(
        "5a. media counters against the world (missing = sum max(0, truth - warehouse) / sum truth;"
        " a media never loaded counts with 0):"
    )
    print(f"     {'list kind':<11}{'age':<7}{'media':>6}{'absent':>7}{'likes miss':>11}{'comm. miss':>11}{'exact':>7}")
    rows = [(kind, bucket, by_kind.get((kind, bucket))) for kind in MEDIA_KINDS for bucket in AGE_BUCKETS]
    rows += [("all (once)", bucket, overall.get(bucket)) for bucket in AGE_BUCKETS]
    for kind, bucket, tally in rows:
        if tally is None:
            continue
        print(
            f"     {kind:<11}{bucket:<7}{tally.media:>6}{tally.absent:>7}{tally.likes_share:>11.3f}"
            f"{tally.comments_share:>11.3f}{tally.exact_share:>7.3f}"
        )
    if "error" in consistency:
        print(f"     media vs latest media_counts snapshot: not compared ({consistency['error']})")
    else:
        print(
            f"     media vs its latest media_counts snapshot: {consistency['differ']} of"
            f" {consistency['compared']} media differ"
        )


def day_line(overall: dict[str, Tally]) -> str:
    return ", ".join(
        f"{bucket} likes {overall[bucket].likes_share:.3f} comments {overall[bucket].comments_share:.3f}"
        f" exact {overall[bucket].exact_share:.2f}"
        for bucket in AGE_BUCKETS
        if bucket in overall
    )


def repeated_snapshots(cron: Cron, since: datetime) -> dict[str, tuple[int, int]]:
    """(rows observed since `since`, of which repeat the entity's previous row's counts) per
    snapshot table: a repeat says nothing new (a first sight or a catch-up does)."""
    columns = {
        "media_counts": ("media_id", "likes_count, comments_count"),
        "user_counts": ("user_id", "media_count, follows_count, followed_by_count"),
    }
    result: dict[str, tuple[int, int]] = {}
    for table, (key, counts) in columns.items():
        try:
            [(new, repeated)] = cron.rows(
                f"""SELECT count(*), count(*) FILTER (WHERE previous IS NOT DISTINCT FROM current_counts)
                    FROM (SELECT observed_at, ({counts}) AS current_counts,
                                 lag(({counts})) OVER (PARTITION BY {key} ORDER BY observed_at) AS previous
                          FROM {table})
                    WHERE observed_at >= {ts(since)}"""
            )
        except Exception:
            continue
        result[table] = (int(new), int(repeated))
    return result


def user_counts_vs_truth(cron: Cron, world: Any) -> dict[str, tuple[int, int]]:
    """(exact, compared) follower and follows counts of the frontier's members, latest
    `user_counts` row against the world; members without a row are counted apart."""
    members = {uid for (uid,) in cron.rows("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active")}
    latest = {
        uid: (follows, followed_by)
        for uid, follows, followed_by in cron.rows(
            """SELECT user_id, arg_max(follows_count, observed_at), arg_max(followed_by_count, observed_at)
               FROM user_counts GROUP BY user_id"""
        )
    }
    exact = {"followed_by": 0, "follows": 0}
    compared = 0
    for uid in members:
        if uid not in latest:
            continue
        compared += 1
        counts = world.user(uid)["counts"]
        exact["follows"] += latest[uid][0] == counts["follows"]
        exact["followed_by"] += latest[uid][1] == counts["followed_by"]
    without = len(members) - compared
    print(
        f"5c. user counts of {len(members)} frontier members ({without} without a user_counts row):"
        f" followed_by exact {exact['followed_by'] / max(compared, 1):.4f} ({exact['followed_by']}/{compared}),"
        f" follows exact {exact['follows'] / max(compared, 1):.4f} ({exact['follows']}/{compared})"
    )
    return {kind: (count, compared) for kind, count in exact.items()}


def compact(series: list[int], per_line: int = 24) -> str:
    lines = []
    for start in range(0, len(series), per_line):
        chunk = series[start : start + per_line]
        lines.append(f"   runs {start + 1:>3}-{start + len(chunk):<3} " + " ".join(str(v) for v in chunk))
    return "\n".join(lines)


def hourly_rates(world: Any, profile: str, users: int) -> dict[str, float]:
    """Expected changes per hour of the chosen activity profile."""
    if profile == "real":
        return {name: rate * users / 4000 for name, rate in REAL_RATES_PER_4000.items()}
    return dict(world.default_rates(1 / 24))


def verdict(value: float | None, target: float | None, at_most: bool = True) -> str:
    if value is None or target is None:
        return ""
    return "ok" if (value <= target if at_most else value >= target) else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=4_000, help="users in the world")
    parser.add_argument("--hours", type=int, default=72, help="hourly runs")
    parser.add_argument(
        "--rates",
        choices=("default", "real"),
        default="default",
        help="activity: the emulator's default rates, or a real account's (issue #20) scaled to --users",
    )
    parser.add_argument("--seed", type=int, default=2024, help="world seed")
    parser.add_argument("--workdir", help="keep the DuckDB file here (default: a temporary dir)")
    options = parser.parse_args()

    import numpy as np

    from emulator import Emulator, World, WorldConfig
    from sources.instagram.settings import (
        DEFAULT_CRAWL_REFRESH_HOURS,
        DEFAULT_LIST_MAX_AGE_HOURS,
        DEFAULT_SEED_REFRESH_HOURS,
        InstagramTuning,
    )

    state = source_state()
    started = time.perf_counter()
    world = World(WorldConfig(users=options.users, seed=options.seed))
    built = time.perf_counter() - started
    me = world.default_user_id
    seeds = [me, *world.follows(me)[:2]]
    tags = sorted(world.tag_names(), key=lambda name: -world.tag(name)["media_count"])[:TAGS]
    locations = sorted(world.location_ids(), key=lambda lid: -len(world.location_media(lid)))[:LOCATIONS]
    policy = {
        "seed_refresh_hours": DEFAULT_SEED_REFRESH_HOURS,
        "crawl_refresh_hours": DEFAULT_CRAWL_REFRESH_HOURS,
        "list_max_age_hours": DEFAULT_LIST_MAX_AGE_HOURS,
    }
    config = dict(
        user_ids=["self", *seeds[1:]],
        tags=tags,
        location_ids=locations,
        resources=RESOURCES,
        crawl_depth=CRAWL_DEPTH,
        crawl_max_users=options.users,
        tuning=InstagramTuning(budget_share=BUDGET_SHARE, **policy),
    )
    rates = hourly_rates(world, options.rates, options.users)
    rng = np.random.default_rng([options.seed, 20])
    lists = media_lists(world, me, seeds, tags, locations)
    print(f"source: {state}")
    print(
        f"world: {options.users} users (seed {options.seed}, built in {built:.1f} s), {options.hours} hourly runs;"
        f" budget {RATE_LIMIT}/h, share {BUDGET_SHARE} ({SHARE})"
    )
    print(
        f"config: seeds {seeds}; tags {tags}; location {locations}; resources {', '.join(RESOURCES)};"
        f" crawl depth {CRAWL_DEPTH}; policy {policy}"
    )
    print(
        f"rates ({options.rates}), expected per hour: " + ", ".join(f"{k} {v:.2f}" for k, v in rates.items()),
        "(Poisson draws)" if options.rates == "real" else "(World.default_rates, Poisson draws)",
    )
    print("media lists in the world at the start: " + ", ".join(f"{k} {len(v)}" for k, v in lists.items()))

    requests: list[int] = []
    statuses: Counter[int] = Counter()
    due_runs: list[tuple[int, int]] = []  # (run, requests) where work was due
    observed: Counter[str] = Counter()
    fresh_series: list[dict[str, tuple[int, int]]] = []
    first_pass: int | None = None
    runs: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    with (
        Emulator(world, follows_any_user=True, rate_limit=RATE_LIMIT, rate_window=10**9) as emu,
        tempfile.TemporaryDirectory() as tmp,
    ):
        workdir = Path(options.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        cron = Cron(workdir, emu, config)

        def advance(counts: dict[str, int] | None) -> None:
            summary = emu.advance(HOUR, **(counts or {}))
            for name, changes in summary.items():
                if isinstance(changes, list):
                    observed[name] += len(changes)

        def run_once() -> dict[str, Any]:
            emu.reset_rate_limits()
            emu.stats.reset()
            result = cron.run()
            result["requests"] = emu.stats.total
            statuses.update(emu.stats.by_status)
            return result

        for hour in range(options.hours):
            if hour:
                drawn = {name: int(rng.poisson(rate)) for name, rate in rates.items()}
                advance(drawn if options.rates == "real" else None)
            result = run_once()
            runs.append(result)
            served = result["requests"]
            requests.append(served)
            last_run = result["last_run"]
            if result["error"]:
                errors.append((hour + 1, result["error"]))
            if last_run.get("work_remaining") or last_run.get("budget_exhausted"):
                due_runs.append((hour + 1, served))
            now = datetime.fromtimestamp(world.now, UTC)
            try:
                [(unread,)] = cron.rows(
                    "SELECT count(*) FROM refresh_schedule WHERE kind = 'crawl' AND active AND last_read_at IS NULL"
                )
                fresh = freshness(cron, world, now, policy)
            except Exception as exc:
                unread, fresh = None, {}
                errors.append((hour + 1, f"schedule query: {type(exc).__name__}: {str(exc)[:120]}"))
            if first_pass is None and unread == 0:
                first_pass = hour + 1
            fresh_series.append(fresh)
            snaps = result["snapshots"]
            print(
                f"run {hour + 1:>3}: {served:>5} req, {result['seconds']:5.1f} s (run {result['run_seconds']:4.1f}),"
                f" cpu {result['cpu']:5.1f} s, unread {unread!s:>5}, snapshot rows loaded/added"
                f" media_counts {'/'.join(map(str, snaps['media_counts']))}"
                f" user_counts {'/'.join(map(str, snaps['user_counts']))}, {result['models']} models,"
                f" work_remaining {last_run.get('work_remaining')!s:5}, refreshed {last_run.get('refreshed')},"
                " fresh " + " ".join(f"{k} {share(v):.3f}" for k, v in fresh.items()),
                flush=True,
            )
            if result["error"]:
                print(f"         error: {result['error']}")
            if (hour + 1) % 24 == 0 and hour + 1 < options.hours:
                overall, _, _ = media_vs_truth(cron, world, media_lists(world, me, seeds, tags, locations))
                print(f"   day {(hour + 1) // 24}, media counters missing: {day_line(overall)}", flush=True)

        hours_advanced = max(options.hours - 1, 1)
        print(
            "\nchanges per hour (advance summaries):",
            ", ".join(f"{k} {v / hours_advanced:.1f}" for k, v in observed.items()),
        )
        print(
            f"1. requests per run: min {min(requests)}, median {statistics.median(requests):.0f},"
            f" max {max(requests)}, total {sum(requests)}"
        )
        print(compact(requests))
        steady = requests[first_pass:] if first_pass is not None else []
        spread = max(steady) / statistics.mean(steady) if steady and statistics.mean(steady) else None
        if steady:
            print(
                f"   after the first pass (runs {first_pass + 1}-{options.hours}): mean {statistics.mean(steady):.1f},"
                f" max {max(steady)} (run {first_pass + 1 + steady.index(max(steady))}), max ÷ mean {spread:.2f}"
            )
        else:
            print("   after the first pass: no run")
        print(f"2. 429s received: {statuses.get(429, 0)} (statuses {dict(sorted(statuses.items()))})")
        budget_used = None
        if due_runs:
            used = [served for _, served in due_runs]
            budget_used = sum(used) / (SHARE * len(used))
            print(
                f"3. budget used ÷ configured share ({SHARE}) over {len(due_runs)} runs with work due:"
                f" {budget_used:.3f} (lowest {min(used) / SHARE:.3f} at run"
                f" {min(due_runs, key=lambda r: r[1])[0]}; runs {', '.join(str(r) for r, _ in due_runs[:40])}"
                f"{' ...' if len(due_runs) > 40 else ''})"
            )
        else:
            print("3. budget used ÷ configured share: no run had work due")
        print(f"4. first pass completed at run: {first_pass}")
        lowest_fresh: dict[str, float] = {}
        if first_pass is not None:
            after = [fresh for fresh in fresh_series[first_pass - 1 :] if fresh]
            for kind in ("lists", "profiles", "counters"):
                if not after or not fresh_series[-1]:
                    break
                lowest = min(range(len(after)), key=lambda i: share(after[i][kind]))
                lowest_fresh[kind] = share(after[lowest][kind])
                fresh, total = fresh_series[-1][kind]
                print(
                    f"   {kind}: {share((fresh, total)):.4f} fresh at the end ({fresh}/{total});"
                    f" lowest after the first pass {lowest_fresh[kind]:.4f} at run {first_pass + lowest}"
                )
        now = datetime.fromtimestamp(world.now, UTC)
        print(f"5. at the last hourly run ({options.hours}), the warehouse against the world:")
        overall, by_kind, consistency = media_vs_truth(cron, world, media_lists(world, me, seeds, tags, locations))
        print_media_table(overall, by_kind, consistency)
        edges = edges_vs_truth(cron, world, now, policy["list_max_age_hours"])
        user_counts = user_counts_vs_truth(cron, world)
        counters_vs_truth(cron, world, seeds, now)

        def quiet_run(label: str, number: int) -> tuple[dict[str, Any], float | None]:
            """A run with nothing new in the world: its line, and its requests ÷ run 1's."""
            run = run_once()
            if run["error"]:
                errors.append((number, run["error"]))
            ratio = run["requests"] / requests[0] if requests[0] else None
            snapshots = run["snapshots"]
            print(
                f"{label}: {run['requests']} requests ({'-' if ratio is None else f'{ratio:.4f}'} of run 1's"
                f" {requests[0]}), {run['seconds']:.1f} s (run {run['run_seconds']:.1f} s), cpu {run['cpu']:.1f} s"
                " (run + transforms, emulator included), rows loaded (added) media_counts"
                f" {snapshots['media_counts'][0]} ({snapshots['media_counts'][1]}), user_counts"
                f" {snapshots['user_counts'][0]} ({snapshots['user_counts'][1]}), {run['models']} models built;"
                f" refreshed {run['last_run'].get('refreshed')}"
            )
            return run, ratio

        advance(dict(NO_CHANGE))
        idle, idle_share = quiet_run("6. no-change run (world advanced 1 h, nothing happened)", options.hours + 1)
        repeats = repeated_snapshots(cron, datetime.fromtimestamp(world.now, UTC))
        print(
            "   its snapshot rows that repeat the previous row's counts: "
            + ", ".join(f"{table} {repeated} of {new}" for table, (new, repeated) in repeats.items())
        )
        # the clock not moved: nothing at all changed since the last run
        rerun, rerun_share = quiet_run("   and again with the clock not moved", options.hours + 2)
    total = time.perf_counter() - started
    run_seconds = [run["seconds"] for run in runs]
    print(
        f"7. wall time: {total:.0f} s ({total / 60:.1f} min); per run (with transforms) mean"
        f" {statistics.mean(run_seconds):.1f} s, max {max(run_seconds):.1f} s;"
        f" cpu per run mean {statistics.mean(run['cpu'] for run in runs):.1f} s"
    )
    if errors:
        print(f"errors in {len(errors)} runs: " + "; ".join(f"run {run}: {error}" for run, error in errors[:5]))

    table: list[tuple[str, str, str, str]] = [
        ("429 answers", str(statuses.get(429, 0)), "0", "ok" if not statuses.get(429, 0) else "MISSED"),
        (
            "budget used ÷ share, runs with work due",
            "-" if budget_used is None else f"{budget_used:.3f}",
            "≥ 0.95",
            verdict(budget_used, 0.95, at_most=False),
        ),
        (
            "first pass completed at run",
            str(first_pass),
            f"1 if 3 × frontier ≤ {SHARE}",
            "",
        ),
    ]
    for kind, value in lowest_fresh.items():
        table.append(
            (f"{kind} fresh by age, lowest after 1st pass", f"{value:.4f}", "≥ 0.95", verdict(value, 0.95, False))
        )
    for bucket in AGE_BUCKETS:
        tally = overall.get(bucket)
        if tally is None:
            continue
        target = MISSING_TARGETS[bucket]
        shown = "-" if target is None else f"≤ {target:.2f}"
        worst = max(
            (by_kind[(kind, bucket)] for kind in MEDIA_KINDS if (kind, bucket) in by_kind),
            key=lambda t: max(t.likes_share, t.comments_share),
        )
        worst_kind = next(kind for kind in MEDIA_KINDS if by_kind.get((kind, bucket)) is worst)
        for what, value in (("likes", tally.likes_share), ("comments", tally.comments_share)):
            table.append((f"{what} missing, media {bucket}", f"{value:.4f}", shown, verdict(value, target)))
        worst_value = max(worst.likes_share, worst.comments_share)
        table.append(
            (
                f"  worst list kind, media {bucket}",
                f"{worst_kind} {worst_value:.4f}",
                shown,
                verdict(worst_value, target),
            )
        )
        table.append((f"media with exact counts, {bucket}", f"{tally.exact_share:.4f}", "-", ""))
    for kind, (missing, extra) in edges.items():
        table.append((f"{kind} edges missing / extra", f"{missing:.4f} / {extra:.4f}", "measured (policy)", ""))
    for kind, (exact, compared) in user_counts.items():
        table.append((f"{kind} counts exact", f"{exact / max(compared, 1):.4f}", "measured (policy)", ""))
    table += [
        (
            "requests max ÷ mean after the first pass",
            "-" if spread is None else f"{spread:.2f}",
            "≤ 1.5",
            verdict(spread, 1.5),
        ),
        (
            "no-change run: requests ÷ run 1's",
            "-" if idle_share is None else f"{idle_share:.4f}",
            "≤ 0.01",
            verdict(idle_share, 0.01),
        ),
    ]
    for snapshot in ("media_counts", "user_counts"):
        loaded, added = idle["snapshots"][snapshot]
        table.append((f"no-change run: {snapshot} rows loaded (added)", f"{loaded} ({added})", "0", verdict(loaded, 0)))
        if snapshot in repeats:
            new, repeated = repeats[snapshot]
            table.append(("  of which repeat the previous counts", f"{repeated} of {new}", "0", verdict(repeated, 0)))
    table += [
        ("no-change run: models built", str(idle["models"]), "0", verdict(idle["models"], 0)),
        ("no-change run: cpu seconds", f"{idle['cpu']:.1f}", "-", ""),
        (
            "rerun, clock not moved: requests ÷ run 1's",
            "-" if rerun_share is None else f"{rerun_share:.4f}",
            "≤ 0.01",
            verdict(rerun_share, 0.01),
        ),
    ]
    for snapshot in ("media_counts", "user_counts"):
        loaded = rerun["snapshots"][snapshot][0]
        table.append((f"rerun, clock not moved: {snapshot} rows loaded", str(loaded), "0", verdict(loaded, 0)))
    table += [
        ("rerun, clock not moved: models built", str(rerun["models"]), "0", verdict(rerun["models"], 0)),
        ("rerun, clock not moved: cpu seconds", f"{rerun['cpu']:.1f}", "-", ""),
    ]
    width = max(len(row[0]) for row in table)
    value_width = max(len(row[1]) for row in table)
    print(f"\nsummary ({options.rates} rates, {options.users} users, {options.hours} h; {state}):")
    for figure, value, target, ok in table:
        print(f"  {figure:<{width}}  {value:>{value_width}}  target {target:<20} {ok}")


if __name__ == "__main__":
    main()
