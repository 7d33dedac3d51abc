"""Benchmark of the Graph API source (issue #24's "Must show"): its requests against the fewest
the API allows for the same reads, and a week of hourly cron under a Business Use Case budget,
measured against the world's truth.

The world: `WorldConfig(seed=42, users=2000, media_per_user=40)`, served by the Graph mode
emulator; the token is the default user's (Facebook Login, one professional account: 214 media,
70 of them with comments, 359 media it is tagged in, a few live stories). The source runs with
its defaults (all resources, no hashtags or competitors: they read other accounts, on limits of
their own), each run a dlt pipeline in this process into one DuckDB file. The world advances one
hour between runs (`Emulator.advance`, at the world's default rates: new media, likes, comments;
stories come and go), never a sleep.

The minimum (`Minimum`) is counted from the world's truth before each run, request by request,
for what the source promises (sources/instagram_graph/README.md), each list at the largest page
the API serves (100):
- each run: `debug_token` (the token's expiry, which the run must check: warned 7 days ahead,
  refreshed), the account listing (`/me/accounts`, the profile and its counters nested), the
  media list down to the deepest media the run must read (one page when none lies below the
  first), the stories list, the first page of tagged media;
- a media the run must read: every media on a first read, then each new one and each one that
  reached an age of the refresh schedule (6, 24, 72, 168, 720 h after posting) since the last
  run; for each, its insights (one request: a media too little seen answers code 10, which no
  field tells in advance; insights asked inside the media list would fail the whole page for
  it, §2) unless older than the two years the API keeps them, and its comments (pages of 100
  top-level comments, replies nested 100 a comment) when it has any and their count changed
  since the media was last read (at first read: when it has any);
- a story's insights once it reached 6 h and 23 h of its 24 (they grow until it expires), at
  the first run after each;
- once a day: the account's daily insights (one request) and the whole tagged media list.

Prints:
1. the first read, without a usage limit: requests ÷ the minimum, per endpoint where they differ;
2. a week of hourly runs after it, without a usage limit: requests ÷ the minimum (total, and the
   runs whose requests differ from their minimum);
3. the same week from an empty warehouse under a budget of `--limit` calls an hour (100 % of
   `X-Business-Use-Case-Usage`; the source spends its `budget_share`, 0.8, and stops; the window
   starts afresh each simulated hour, `Emulator.reset_rate_limits`): answers refused for
   throttling (target 0), the runs that stopped at the share and the run that finished the first
   read; then, from the first complete read on, against the world's truth:
   a. counters: each media's reads at its creation and at each age of the schedule, how late
      after that moment (target: the next run, < 1 h), and the counters read equal to the
      world's at that run (target 100 %);
   b. insights: the same for `media_insights` (ages only: a media's first hours are within the
      insights' lag) and the values read equal to the world's (target 100 %);
   c. stories: the age at which each story's insights were last read before it expired
      (target ≥ 23 h); account insights: the age of the latest read (target < 25 h).

    .venv/bin/python -m bench.bench_graph_source [--hours 168] [--limit 100]

Measured 2026-12-08 at commit c3f54dc (2 cores shared with other jobs, load about 12: 800 s):
1. first read: 1.000 (295 / 295 requests)
2. 168 hourly runs: 1.000 (934 / 934), no run off its minimum
3. 100 calls an hour: 0 answers refused for throttling; runs 0-2 stopped at the share (80
   calls each) and run 3 finished the first read; after it, counters: 31 moments due, all read
   within the hour (max lateness 0.93 h), 100 % equal to the world's; insights: 28 moments, all
   within the hour (max 0.93 h), 100 % equal; 14 stories expired, each with its insights last
   read at 23.0 h of age or later; account insights read every 24.0 h.
Before the source was fitted to it: 298 requests on the first read (a profile request per
account, the insights of stories too young to have any), 11 in a sampled hour where 7 do (the
profile, every live story's insights each run, the whole tagged list each run), and under a
budget smaller than a media page's reads no run ever moved on.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

HOUR = 3600
DAY = 24 * HOUR
WORLD = {"seed": 42, "users": 2000, "media_per_user": 40}
PAGE = 100  # the most a page of the Graph API holds (§3)
KEPT = 730 * DAY  # insights kept two years (§2)
MEDIA = "GET /{ig-user-id}/media"
COMMENTS, REPLIES = "GET /{ig-media-id}/comments", "GET /{ig-comment-id}/replies"
INSIGHTS = "GET /{ig-media-id}/insights"
EVERY_RUN = ("GET /debug_token", "GET /me/accounts", "GET /{ig-user-id}/stories", "GET /{ig-user-id}/tags")


def pages(items: int) -> int:
    """Requests to read a list of `items` (an empty list is one request)."""
    return max(1, math.ceil(items / PAGE))


class Minimum:
    """The fewest requests for what the source promises, from the world's truth (the module's
    docstring says how); one instance follows one history of runs."""

    def __init__(self, model: Any):
        from sources.instagram_graph.settings import DEFAULT_ENGAGEMENT_AGES_HOURS, STORY_INSIGHTS_AGES_HOURS

        self.model = model
        self.ages = [int(hours * HOUR) for hours in DEFAULT_ENGAGEMENT_AGES_HOURS]
        self.story_ages = [int(hours * HOUR) for hours in STORY_INSIGHTS_AGES_HOURS]
        self.count_at_read: dict[int, int] = {}  # a media's comments count when last read
        self.daily_at: int | None = None  # when account insights and the whole tags list were read
        self.last_run: int | None = None

    def run(self) -> Counter[str]:
        """The requests of a run now (the world as it is), and what it read noted."""
        model, now = self.model, self.model.world.now
        owner = model.owner
        needed: Counter[str] = Counter({endpoint: 1 for endpoint in EVERY_RUN})
        media = model.media_of(owner)
        read = [
            (position, index)
            for position, index in enumerate(media)
            if self.last_run is None or self._reached(model.media(index)[1], self.ages, with_creation=True)
        ]
        needed[MEDIA] = pages(max((position for position, _ in read), default=-1) + 1)
        for _, index in read:
            posted, count = model.media(index)[1], model.media(index)[7]
            if now - posted <= KEPT:
                needed[INSIGHTS] += 1
            if count and count != self.count_at_read.get(index):
                top, replies = model.threads(index)
                needed[COMMENTS] += pages(len(top))
                needed[REPLIES] += sum(pages(len(thread)) - 1 for thread in replies.values())
            self.count_at_read[index] = count
        for _, posted, _ in model.live_stories(owner):
            if self._reached(posted, self.story_ages, with_creation=False):
                needed[INSIGHTS] += 1
        if self.daily_at is None or now - self.daily_at >= DAY:
            needed["GET /{ig-user-id}/insights"] += 1
            needed["GET /{ig-user-id}/tags"] = pages(len(model.tagged_in(owner)))
            self.daily_at = now
        self.last_run = now
        return +needed

    def _reached(self, posted: int, ages: list[int], *, with_creation: bool) -> bool:
        """Whether a moment of `posted + ages` (or `posted` itself) passed since the last run
        (on a first read: any of them has passed)."""
        now, last = self.model.world.now, self.last_run
        moments = [posted + age for age in ages] + ([posted] if with_creation else [])
        if last is None:
            return with_creation or any(moment <= now for moment in moments)
        return any(last < moment <= now for moment in moments)


class Cron:
    """One DuckDB file and one pipelines dir; a run of the source per simulated hour."""

    def __init__(self, workdir: Path, emulator: Any):
        self.workdir = workdir
        self.emulator = emulator
        self.token = emulator.access_token  # 60 days: the week never nears its expiry

    def pipeline(self) -> Any:
        import dlt

        from pipelines.warehouse import GRAPH_PIPELINE_NAME, GRAPH_RAW_DATASET, duckdb_destination

        return dlt.pipeline(
            GRAPH_PIPELINE_NAME,
            destination=duckdb_destination(self.workdir / "graph.duckdb"),
            dataset_name=GRAPH_RAW_DATASET,
            pipelines_dir=str(self.workdir / "pipelines"),
        )

    def run(self) -> tuple[Counter[str], Any]:
        """One run: the requests it made per endpoint, and its figures (`LastRun`)."""
        from sources.instagram import last_run
        from sources.instagram_graph import instagram_graph

        self.emulator.stats.reset()
        pipeline = self.pipeline()
        pipeline.run(instagram_graph(base_url=self.emulator.base_url, access_token=self.token))
        return Counter(self.emulator.stats.by_endpoint), last_run(pipeline)

    def rows(self, sql: str) -> list[tuple]:
        with self.pipeline().sql_client() as client:
            return [tuple(row) for row in client.execute_sql(sql)]


def emulator(limit: int) -> Any:
    from emulator import Emulator, World, WorldConfig

    return Emulator(World(WorldConfig(**WORLD)), api="graph", rate_limit=limit)


def differences(made: Counter[str], needed: Counter[str]) -> str:
    return ", ".join(
        f"{endpoint} {made[endpoint]} / {needed[endpoint]}"
        for endpoint in sorted(made.keys() | needed.keys())
        if made[endpoint] != needed[endpoint]
    )


def unlimited(hours: int) -> None:
    """Figures 1 and 2."""
    with emulator(10**9) as served, tempfile.TemporaryDirectory() as workdir:
        cron, minimum = Cron(Path(workdir), served), Minimum(served.graph.model)
        model = served.graph.model
        owner = model.owner
        print(
            f"world: {len(model.media_of(owner))} media of the token's account,"
            f" {sum(1 for index in model.media_of(owner) if model.media(index)[7])} with comments,"
            f" {len(model.tagged_in(owner))} tagged, {len(model.live_stories(owner))} live stories"
        )
        needed = minimum.run()
        made, _ = cron.run()
        print(f"1. first read, requests ÷ minimum: {sum(made.values()) / sum(needed.values()):.3f}", end=" ")
        print(f"({sum(made.values())} / {sum(needed.values())}) {differences(made, needed)}")
        total_made = total_needed = 0
        off: list[str] = []
        for hour in range(1, hours + 1):
            served.advance(HOUR)
            needed = minimum.run()
            made, _ = cron.run()
            total_made += sum(made.values())
            total_needed += sum(needed.values())
            if made != needed:
                off.append(f"run {hour}: {differences(made, needed)}")
        print(f"2. {hours} hourly runs, requests ÷ minimum: {total_made / total_needed:.3f}", end=" ")
        print(f"({total_made:,} / {total_needed:,}); runs off their minimum: {len(off)}")
        for line in off[:10]:
            print(f"   {line}")


def insights_truth(served: Any, node: str, product: str) -> dict[str, int] | None:
    """The insights the emulator serves now for `node` ("media" or "story" id), by metric
    (None: too few viewers; {} not there yet)."""
    from emulator.graph.errors import GraphError
    from emulator.graph.insight_edges import media_insights
    from emulator.graph.model import GraphModel
    from emulator.graph.nodes import Ctx
    from sources.instagram_graph.settings import MEDIA_METRICS

    kind, number = GraphModel.resolve(node) or ("", 0)
    ctx = Ctx(served.graph.model, None, "", "v24.0", "", {"metric": ",".join(MEDIA_METRICS[product])})
    try:
        with served.graph.world_lock:
            data = media_insights(ctx, kind, number)["data"]
    except GraphError:
        return None
    return {item["name"]: item["values"][0]["value"] for item in data}


def budgeted(hours: int, limit: int) -> None:
    """Figure 3."""
    with emulator(limit) as served, tempfile.TemporaryDirectory() as workdir:
        cron, model = Cron(Path(workdir), served), served.graph.model
        throttled, stopped, complete_at = 0, [], None
        exact = Counter()
        started = time.perf_counter()
        for hour in range(hours + 1):
            if hour:
                served.advance(HOUR)
                served.reset_rate_limits()  # the next hour's allowance
            made, figures = cron.run()
            throttled += max(0, sum(made.values()) - limit)  # the emulator refuses each call past it
            if figures.budget_exhausted or figures.work_remaining:
                stopped.append(hour)
            elif complete_at is None:
                complete_at = hour
            check_values(cron, served, model, exact)
        end = model.world.now
        print(
            f"3. {hours} hourly runs under {limit} calls an hour: {throttled} answers refused for throttling;"
            f" runs stopped at the share: {stopped or 'none'}; first read complete at run {complete_at}"
            f" ({time.perf_counter() - started:.0f} s)"
        )
        if complete_at is None:
            return
        since = end - (hours - complete_at) * HOUR
        lateness("a. counters", cron, model, "media_counts", since, end, with_creation=True)
        print(f"   counters read equal to the world's: {exact['counters'] / max(1, exact['counters read']):.1%}")
        lateness("b. insights", cron, model, "media_insights", since, end, with_creation=False)
        print(f"   insights read equal to the world's: {exact['insights'] / max(1, exact['insights read']):.1%}")
        stories_and_daily(cron, model, since, end)


def check_values(cron: Cron, served: Any, model: Any, exact: Counter[str]) -> None:
    """Count the counters and insights this run loaded that equal the world's now."""
    from emulator.graph.model import GraphModel

    now = datetime.fromtimestamp(model.world.now, UTC)
    for media_id, likes, comments in cron.rows(
        f"SELECT media_id, like_count, comments_count FROM media_counts WHERE observed_at = '{now.isoformat()}'"
    ):
        facts = model.media(GraphModel.resolve(media_id)[1])
        exact["counters read"] += 1
        exact["counters"] += (likes, comments) == (facts[6], facts[7])
    read: dict[tuple[str, str], dict[str, int]] = {}
    for media_id, product, metric, value in cron.rows(
        "SELECT media_id, media_product_type, metric, value FROM media_insights"
        f" WHERE observed_at = '{now.isoformat()}'"
    ):
        read.setdefault((media_id, product), {})[metric] = value
    for (media_id, product), values in read.items():
        exact["insights read"] += 1
        exact["insights"] += values == insights_truth(served, media_id, product)


def lateness(name: str, cron: Cron, model: Any, table: str, since: int, end: int, *, with_creation: bool) -> None:
    """How late after each moment the schedule promises (a media's creation, its ages) the
    media was read into `table`: the first read at or after it."""
    from emulator.graph.model import GraphModel
    from sources.instagram_graph.settings import DEFAULT_ENGAGEMENT_AGES_HOURS

    reads: dict[str, list[int]] = {}
    for media_id, observed_at in cron.rows(f"SELECT DISTINCT media_id, observed_at FROM {table}"):
        reads.setdefault(media_id, []).append(int(observed_at.timestamp()))
    late: list[float] = []
    for index in model.media_of(model.owner):
        media_id = GraphModel.media_id(index)
        if table == "media_insights" and media_id not in reads:
            continue  # too few viewers: no insights to read
        posted = model.media(index)[1]
        moments = [posted + int(hours * HOUR) for hours in DEFAULT_ENGAGEMENT_AGES_HOURS]
        for moment in moments + ([posted] if with_creation else []):
            if since < moment <= end - HOUR:
                after = [read for read in reads.get(media_id, []) if read >= moment]
                late.append(((min(after) if after else end) - moment) / HOUR)
    within = sum(1 for hours in late if hours < 1)
    print(
        f"{'   ' if name[0] != '3' else ''}{name}: {len(late)} moments due, read within the hour {within}"
        f" ({within / max(1, len(late)):.1%}), max lateness {max(late, default=0):.2f} h"
    )


def stories_and_daily(cron: Cron, model: Any, since: int, end: int) -> None:
    """c: stories' last insights before expiry, and the account insights' age."""
    ages = [
        (last - created) / HOUR
        for created, last in cron.rows(
            "SELECT epoch(s.created_time), max(epoch(i.observed_at)) FROM stories s"
            " JOIN media_insights i ON i.media_id = s.id GROUP BY s.id, s.created_time"
        )
        if since < created and created + DAY <= end
    ]
    reads = sorted(int(at.timestamp()) for (at,) in cron.rows("SELECT DISTINCT observed_at FROM account_insights"))
    gaps = [later - earlier for earlier, later in zip(reads, reads[1:], strict=False) if earlier >= since]
    print(
        f"   c. stories that expired: {len(ages)}, their insights last read at {min(ages, default=0):.1f} h of age"
        f" or later; account insights read every {max(gaps, default=0) / HOUR:.1f} h at most"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=int, default=168, help="hourly runs after the first read")
    parser.add_argument("--limit", type=int, default=100, help="calls an hour that are 100 %% of the usage")
    options = parser.parse_args()
    started = time.perf_counter()
    unlimited(options.hours)
    budgeted(options.hours, options.limit)
    print(f"wall time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
