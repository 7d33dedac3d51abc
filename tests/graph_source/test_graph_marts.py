"""The marts only the Graph API feeds, against the emulator world's truth: a warehouse fed by the
Graph API alone over two runs a day apart (the second without the media resource, so every media
insight is the first run's), its analytics built, and every figure compared with what the
emulator served at each run (its handlers, called directly), never with the raw tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from emulator import Emulator, World
from emulator.generate import DAY
from emulator.graph.model import node_id
from sources.instagram_graph.settings import (
    ACCOUNT_INSIGHTS_DAYS,
    ACCOUNT_METRICS,
    MEDIA_METRICS,
    STORY_INSIGHTS_AGES_HOURS,
)
from transforms import run_transforms

from .conftest import GRAPH_AUDIENCE_WORLD, GraphLoader, Truth, analytics, reply

KINDS = {0: "image", 1: "video", 2: "carousel"}
FORMATS = {("FEED", "image"): "feed_image", ("FEED", "video"): "feed_video", ("FEED", "carousel"): "carousel"}
WINDOW = 25  # the newest media business discovery gives of a competitor, the benchmark's window
COMPETITORS = 3
SECOND_RUN = ("accounts", "account_insights", "audience", "stories", "competitors")


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def graph_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


@dataclass
class Post:
    """A media or story the API served, with its insights then (None: none served)."""

    owner_id: str
    product: str
    kind: str
    created_at: datetime
    insights: dict[str, int] | None
    observed_at: datetime


@dataclass
class Served:
    """What the emulator served to one run of the source."""

    now: datetime
    posts: dict[str, Post] = field(default_factory=dict)
    # (metric, end_time) -> value of the daily account insights
    daily: dict[tuple[str, str], int] = field(default_factory=dict)
    demographics: set[tuple[str, str, int]] = field(default_factory=set)
    online: dict[tuple[str, int], int] = field(default_factory=dict)
    # (own account, id) -> (user name, followers, media count)
    snapshots: dict[tuple[bool, str], tuple[str, int, int]] = field(default_factory=dict)
    # (own account, id) -> its media read: id -> (posted at, likes + comments)
    media: dict[tuple[bool, str], dict[str, tuple[datetime, int]]] = field(default_factory=dict)
    # comment id -> (media id, parent comment id, author id, written at)
    comments: dict[str, tuple[str, str | None, str, datetime]] = field(default_factory=dict)


def insight_values(data: list[dict[str, Any]] | None) -> dict[str, int] | None:
    """The metrics of an insights answer; None for no values (too few viewers, too young)."""
    return {metric["name"]: metric["values"][0]["value"] for metric in data} if data else None


def served_now(emulator: Emulator, competitors: list[str], with_media: bool) -> Served:
    """What the emulator serves now of what the source reads: the token user's media (if
    `with_media`), live stories, daily insights, audience, counters and the competitors'."""
    truth, model = Truth(emulator), emulator.graph.model
    now = emulator.world.now
    served = Served(at(now))
    if with_media:
        for index in truth.media_indices():
            _, posted, kind, *_ = model.media(index)
            product = model.product_type(index, kind)
            asked = ",".join(MEDIA_METRICS[product])
            values = insight_values(truth.insights("media", index, metric=asked))
            served.posts[model.media_id(index)] = Post(
                truth.account_id, product, KINDS[kind], at(posted), values, served.now
            )
        for comment_id, (media_id, parent) in truth.comments().items():
            _, author, written, _ = emulator.world.comment_facts(int(comment_id) - int(model.comment_id(0)))
            served.comments[comment_id] = (media_id, parent, model.user_id(author), at(written))
    for number, posted, kind in model.live_stories(truth.owner):
        # a story's insights are first asked for once it is STORY_INSIGHTS_AGES_HOURS[0] old
        young = now - posted < STORY_INSIGHTS_AGES_HOURS[0] * 3600
        values = (
            None if young else insight_values(truth.insights("story", number, metric=",".join(MEDIA_METRICS["STORY"])))
        )
        served.posts[node_id("story", number)] = Post(
            truth.account_id, "STORY", KINDS[kind], at(posted), values, served.now
        )
    since = now - ACCOUNT_INSIGHTS_DAYS * DAY
    daily = truth.insights("user", truth.owner, metric=",".join(ACCOUNT_METRICS), period="day", since=since, until=now)
    served.daily = {(metric["name"], day["end_time"]): day["value"] for metric in daily for day in metric["values"]}
    served.demographics = truth.demographics()
    served.online = truth.online_followers()
    accounts = [(True, truth.owner, None)] + [(False, emulator.world.username_index(u), u) for u in competitors]
    for own, i, username in accounts:
        key = (own, model.user_id(i))
        facts = model.user(i)
        served.snapshots[key] = (username or facts["username"], facts["followers_count"], facts["media_count"])
        if own and not with_media:
            continue
        indices = model.media_of(i) if own else model.media_of(i)[:WINDOW]
        served.media[key] = {
            model.media_id(m): (at(model.media(m)[1]), model.media(m)[6] + model.media(m)[7]) for m in indices
        }
    return served


@dataclass
class GraphMarts:
    database: Path
    runs: list[Served]
    account_id: str
    usernames: dict[str, str]  # user id -> user name, of every user named


@pytest.fixture(scope="module")
def graph_marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphMarts]:
    """Two runs a day apart into a Graph-only warehouse, its analytics built, and what the
    emulator served to each."""
    with Emulator(World(GRAPH_AUDIENCE_WORLD), api="graph", rate_limit=10**6) as emulator:
        truth, model = Truth(emulator), emulator.graph.model
        competitors = truth.competitors(COMPETITORS)
        # the account answers a commenter: a conversation both ways
        first_comment = model.comment_id(0)
        answered = next(
            comment
            for comment, (_, parent) in truth.comments().items()
            if parent is None and emulator.world.comment_facts(int(comment) - int(first_comment))[1] != truth.owner
        )
        reply(emulator, answered, "thank you!")
        loader = GraphLoader(tmp_path_factory.mktemp("graph_only_marts"))
        runs = [served_now(emulator, competitors, with_media=True)]
        loader.run(emulator, competitors=competitors)
        emulator.advance(DAY)
        runs.append(served_now(emulator, competitors, with_media=False))
        loader.run(emulator, *SECOND_RUN, competitors=competitors)
        run_transforms(loader.pipeline())
        usernames = {model.user_id(i): model.user(i)["username"] for i in range(emulator.world.user_count())}
        yield GraphMarts(loader.database, runs, truth.account_id, usernames)


def latest_posts(marts: GraphMarts) -> dict[str, Post]:
    """Every media and story read, as the last run that read it saw it."""
    return {media_id: post for served in marts.runs for media_id, post in served.posts.items()}


def engagement(values: dict[str, int] | None) -> int | None:
    if values is None:
        return None
    return sum(values.get(metric, 0) for metric in ("likes", "comments", "saved", "shares", "replies"))


def rate(values: dict[str, int] | None) -> float | None:
    reach = (values or {}).get("reach")
    return engagement(values) / reach if reach else None


def format_of(post: Post) -> str:
    return {"STORY": "story", "REELS": "reel"}.get(post.product) or FORMATS[(post.product, post.kind)]


def rounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(round(value, 9) if isinstance(value, float) else value for value in row)


def keyed(marts: GraphMarts, sql: str, width: int = 1) -> dict[Any, tuple[Any, ...]]:
    """The rows of `sql` on the analytics by their first `width` columns (one: the value
    itself), the rest with floats rounded."""
    return {row[0] if width == 1 else row[:width]: rounded(row[width:]) for row in analytics(marts.database, sql)}


def test_media_insights_are_the_latest_served(graph_marts: GraphMarts) -> None:
    metrics = ("reach", "views", "likes", "comments", "saved", "shares", "replies", "total_interactions")
    expected = {
        media_id: rounded(
            (
                post.owner_id,
                post.product,
                post.kind,
                format_of(post),
                post.created_at,
                *((post.insights or {}).get(metric) for metric in (*metrics, "follows", "profile_visits")),
                engagement(post.insights),
                rate(post.insights),
                post.observed_at if post.insights else None,
            )
        )
        for media_id, post in latest_posts(graph_marts).items()
    }
    assert {"feed_image", "carousel", "reel", "story"} <= {row[3] for row in expected.values()}
    assert any(post is None for post in (p.insights for p in latest_posts(graph_marts).values()))
    rows = keyed(
        graph_marts,
        f"SELECT media_id, owner_id, media_product_type, media_type, format, created_at, {', '.join(metrics)},"
        " follows, profile_visits, engagement, engagement_rate_by_reach, observed_at FROM media_insights",
    )
    assert rows == expected


def test_story_performance_is_each_storys_insights_while_live(graph_marts: GraphMarts) -> None:
    metrics = ("reach", "views", "replies", "shares", "follows", "profile_visits", "navigation", "total_interactions")
    stories = {media_id: post for media_id, post in latest_posts(graph_marts).items() if post.product == "STORY"}
    assert {run.now for run in graph_marts.runs} == {post.observed_at for post in stories.values()}
    expected = {
        story_id: rounded(
            (
                post.kind,
                post.created_at,
                *((post.insights or {}).get(metric) for metric in metrics),
                post.observed_at if post.insights else None,
                (post.observed_at - post.created_at).total_seconds() / 3600 if post.insights else None,
            )
        )
        for story_id, post in stories.items()
    }
    rows = keyed(
        graph_marts,
        f"SELECT story_id, media_type, created_at, {', '.join(metrics)}, observed_at, hours_after_posting"
        " FROM story_performance",
    )
    assert rows == expected


def test_format_mix_sums_up_the_media_and_stories(graph_marts: GraphMarts) -> None:
    posts = latest_posts(graph_marts).values()
    by_format: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        by_format[format_of(post)].append(post)

    def mean_of(values: list[Any]) -> float | None:
        present = [value for value in values if value is not None]
        return mean(present) if present else None

    expected = {
        (graph_marts.account_id, name): rounded(
            (
                len(group),
                len(group) / len(posts),
                sum(1 for post in group if post.insights),
                mean_of([(post.insights or {}).get("reach") for post in group]),
                mean_of([engagement(post.insights) for post in group]),
                mean_of([rate(post.insights) for post in group]),
            )
        )
        for name, group in by_format.items()
    }
    rows = keyed(
        graph_marts,
        "SELECT owner_id, format, posts, share_of_posts, posts_with_insights, mean_reach, mean_engagement,"
        " mean_engagement_rate_by_reach FROM format_mix",
        width=2,
    )
    assert rows == expected


def test_account_insights_daily_keep_the_latest_read_of_each_day(graph_marts: GraphMarts) -> None:
    days: dict[date, dict[str, Any]] = defaultdict(dict)
    for served in graph_marts.runs:  # a later read of a day wins
        for (metric, end_time), value in served.daily.items():
            day = (graph_time(end_time) - timedelta(days=1)).date()
            days[day][metric] = value
            days[day]["observed_at"] = served.now
    assert len(days) == 3 and all("follower_count" in values for values in days.values())
    rows = keyed(
        graph_marts, "SELECT user_id, day, reach, views, new_followers, observed_at FROM account_insights_daily", 2
    )
    assert rows == {
        (graph_marts.account_id, day): (
            values["reach"],
            values["views"],
            values["follower_count"],
            values["observed_at"],
        )
        for day, values in days.items()
    }


def test_audience_is_the_latest_demographics_with_shares_and_ranks(graph_marts: GraphMarts) -> None:
    latest = graph_marts.runs[-1]
    totals: dict[str, int] = defaultdict(int)
    for breakdown, _, followers in latest.demographics:
        totals[breakdown] += followers
    expected = {}
    for breakdown in totals:
        groups = sorted((-followers, segment) for name, segment, followers in latest.demographics if name == breakdown)
        for rank, (minus_followers, segment) in enumerate(groups, 1):
            share = -minus_followers / totals[breakdown]
            expected[(graph_marts.account_id, breakdown, segment)] = rounded(
                (-minus_followers, share, rank, latest.now)
            )
    rows = keyed(
        graph_marts,
        "SELECT user_id, breakdown, segment, followers, share_of_followers, segment_rank, observed_at FROM audience",
        width=3,
    )
    assert rows == expected
    assert set(totals) == {"age", "gender", "city", "country"}


def test_best_posting_times_average_the_hours_online(graph_marts: GraphMarts) -> None:
    hours: dict[tuple[str, int], int] = {}
    for served in graph_marts.runs:  # a later read of a day wins
        hours.update(served.online)
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (end_time, hour), value in hours.items():
        start = graph_time(end_time) - timedelta(days=1) + timedelta(hours=hour)
        slots[(start.isoweekday(), start.hour)].append(value)
    ranked = sorted(slots, key=lambda slot: (-mean(slots[slot]), slot))
    expected = {
        (graph_marts.account_id, *slot): rounded((mean(slots[slot]), len(slots[slot]), ranked.index(slot) + 1))
        for slot in slots
    }
    assert len(hours) == 3 * 24 and max(len(values) for values in slots.values()) == 1  # three days, no slot twice
    rows = keyed(
        graph_marts,
        "SELECT user_id, day_of_week, hour_utc, mean_online_followers, days_observed, slot_rank FROM best_posting_times",
        width=3,
    )
    assert rows == expected


def test_competitor_benchmark_puts_competitors_beside_the_own_account(graph_marts: GraphMarts) -> None:
    expected = {}
    seen: dict[tuple[bool, str], dict[str, tuple[datetime, int]]] = defaultdict(dict)
    followers_before: dict[tuple[bool, str], int] = {}
    for served in graph_marts.runs:
        for key, media in served.media.items():  # media merged, counters as last seen
            seen[key].update(media)
        for key, (username, followers, posts) in served.snapshots.items():
            before = followers_before.get(key)
            followers_before[key] = followers
            window = sorted((at_ for at_ in seen[key].values() if at_[0] <= served.now), reverse=True)[:WINDOW]
            weeks = (served.now - window[-1][0]).total_seconds() / (7 * DAY)
            likes_comments = mean(float(interactions) for _, interactions in window)
            expected[(*key, served.now.date())] = rounded(
                (
                    username,
                    served.now,
                    followers,
                    None if before is None else followers - before,
                    posts,
                    len(window),
                    len(window) / weeks,
                    likes_comments,
                    likes_comments / followers,
                )
            )
    assert len(expected) == 2 * (1 + COMPETITORS)
    rows = keyed(
        graph_marts,
        "SELECT is_own_account, account_id, day, username, observed_at, followers, follower_change, media_count,"
        " media_seen, posts_per_week, mean_likes_comments, engagement_rate_by_followers FROM competitor_benchmark",
        width=3,
    )
    assert rows == expected


def expected_conversations(marts: GraphMarts) -> dict[tuple[str, str], dict[str, Any]]:
    """(author, addressee) -> what the first run's comments say, from the world's threads."""
    comments = marts.runs[0].comments
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for media_id, parent, author, written in comments.values():
        addressee = marts.account_id if parent is None else comments[parent][2]
        if author == addressee:
            continue
        edge = edges.setdefault((author, addressee), {"comments": 0, "replies": 0, "media": set(), "at": []})
        edge["replies" if parent else "comments"] += 1
        edge["media"].add(media_id)
        edge["at"].append(written)
    return edges


def test_conversation_edges_follow_comments_and_replies(graph_marts: GraphMarts) -> None:
    edges = expected_conversations(graph_marts)
    assert any(edge["replies"] for edge in edges.values()) and any(edge["comments"] for edge in edges.values())
    assert any((to, author) in edges for author, to in edges)  # some talk both ways
    names = graph_marts.usernames
    rows = keyed(
        graph_marts,
        "SELECT from_user_id, to_user_id, from_username, to_username, comments, replies, messages, media, first_at,"
        " last_at, is_reciprocated FROM conversation_edges",
        width=2,
    )
    assert rows == {
        (author, to): (
            names[author],
            names[to],
            edge["comments"],
            edge["replies"],
            edge["comments"] + edge["replies"],
            len(edge["media"]),
            min(edge["at"]),
            max(edge["at"]),
            (to, author) in edges,
        )
        for (author, to), edge in edges.items()
    }


def test_conversation_graph_metrics_give_degrees_and_reciprocity(graph_marts: GraphMarts) -> None:
    edges = expected_conversations(graph_marts)
    users = {user for pair in edges for user in pair}
    expected = {}
    for user in users:
        addresses = {to for author, to in edges if author == user}
        addressed_by = {author for author, to in edges if to == user}
        partners = addresses | addressed_by
        expected[user] = rounded(
            (
                len(addresses),
                len(addressed_by),
                len(addresses & addressed_by),
                len(partners),
                len(addresses & addressed_by) / len(partners),
                sum(e["comments"] + e["replies"] for (a, _), e in edges.items() if a == user),
                sum(e["comments"] + e["replies"] for (_, t), e in edges.items() if t == user),
            )
        )
    rows = keyed(
        graph_marts,
        "SELECT user_id, out_degree, in_degree, mutual_partners, partners, reciprocity, messages_sent,"
        " messages_received FROM conversation_graph_metrics",
    )
    assert rows == expected
