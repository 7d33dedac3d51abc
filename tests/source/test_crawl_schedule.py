"""The crawl's schedule over runs (issue #20): a first pass with budget to spare ends in one run,
the users it read fall due spread over their age instead of in one hour, and a refused (private)
profile is asked again weekly, not daily. A real dlt pipeline into DuckDB against the emulator
over HTTP; the emulator's clock is moved, not the wall clock; the world is the truth."""

from __future__ import annotations

import contextlib
import io
import math
from collections import Counter

import pytest

from emulator import Emulator, World, WorldConfig
from pipelines.run import RunReport, print_summary
from sources.instagram import LastRun, last_run, schedule_status
from sources.instagram.helpers import items

from .conftest import Loader, only

HOUR = 3600
DAY = 24 * HOUR
NOTHING_CHANGES = dict(new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
# 196 users within 2 hops of the token user, 18 of them private to it; built in milliseconds. The
# token user is the best connected of those who posted in the last month: the seed is one where
# that user's neighbourhood is large
SPREAD_WORLD = WorldConfig(seed=4, users=400, media_per_user=1.0, follows_per_user=6.0, tags=20, locations=10)


def frontier_truth(world: World, depth: int) -> dict[str, int]:
    """Every user within `depth` hops of the token user over the world's follow edges, with
    its depth; the lists of a private user the token user does not follow cannot be read, so
    nobody is reached through them."""
    me = world.default_user_id
    followed = set(world.follows(me))
    depths = {me: 0}
    level = [me]
    for hops in range(1, depth + 1):
        found = []
        for user in level:
            if user != me and world.is_private(user) and user not in followed:
                continue
            for other in [*world.follows(user), *world.followed_by(user)]:
                if other not in depths:
                    depths[other] = hops
                    found.append(other)
        level = found
    return depths


def refused_truth(world: World, users: list[str]) -> set[str]:
    """The users among `users` whose profile the token user may not read."""
    me = world.default_user_id
    followed = set(world.follows(me))
    return {user for user in users if user != me and world.is_private(user) and user not in followed}


def crawl_rows(loader: Loader) -> dict[str, tuple[int, int | None, int | None]]:
    """Active crawl rows: user → (depth, last read, next due) in unix seconds."""
    rows = loader.rows(
        "SELECT entity_id, depth, epoch(last_read_at), epoch(next_due_at) FROM refresh_schedule"
        " WHERE kind = 'crawl' AND active"
    )
    return {
        user: (depth, None if read is None else int(read), None if due is None else int(due))
        for user, depth, read, due in rows
    }


def test_a_first_pass_with_budget_to_spare_completes_in_one_run(
    world: World, emulator: Emulator, loader: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A large crawl's schedule rows reach the load in several batches (5,000 rows each): small
    # batches here make this small world's crawl do the same. A user's row written when it
    # joined the frontier and the row of its read, in two batches, were merged by dlt in no set
    # order: the joined row (never read, due now) often won, and the next run read those again.
    monkeypatch.setattr(items, "ROWS_PER_BATCH", 100)
    config = dict(user_ids=["self"], crawl_depth=2, crawl_max_users=100_000, **only("user_media", "follow_graph"))
    loader.run(emulator, **config)
    first = emulator.stats.total

    truth = frontier_truth(world, 2)
    rows = crawl_rows(loader)
    assert {user: depth for user, (depth, _, _) in rows.items()} == truth
    unread = sorted(user for user, (_, read, _) in rows.items() if read is None)
    assert unread == [], f"{len(unread)} of {len(rows)} frontier users never read"
    assert all(due > world.now for _, _, due in rows.values()), "a user read in the first pass is due"
    last = loader.last_run()
    assert last["work_remaining"] is False and last["budget_exhausted"] is False
    pipeline = loader.pipeline()
    assert schedule_status(pipeline).due == {}

    emulator.stats.reset()
    loader.run(emulator, **config)  # nothing changed, nothing is due: only the media list
    assert emulator.stats.by_endpoint == {"GET /users/{id}/media/recent": 1}, f"first run: {first} requests"
    assert loader.last_run()["work_remaining"] is False


@pytest.mark.parametrize("age_hours", [4])
def test_after_a_first_pass_the_users_fall_due_spread_over_their_age(loader: Loader, age_hours: int) -> None:
    """With an age of 4 hours (24 by default: the same rule, six times the runs), hourly runs
    after a first pass each read about a quarter of the crawl, and each read adds the whole
    age, so the next round is as spread."""
    world = World(SPREAD_WORLD)
    config = dict(
        user_ids=["self"], crawl_depth=2, crawl_max_users=100_000, crawl_refresh_hours=age_hours,
        **only("user_media", "follow_graph"),
    )  # fmt: skip
    with Emulator(world, follows_any_user=True) as emulator:
        loader.run(emulator, **config)
        start = world.now
        rows = crawl_rows(loader)
        assert all(read is not None for _, read, _ in rows.values()), "the first pass took one run"
        found = [user for user, (depth, _, _) in rows.items() if depth > 0]
        readable = sorted(set(found) - refused_truth(world, found))
        assert len(readable) > 150

        # the schedule: each hour of the age holds about its share of the users found
        hours = Counter(math.ceil((rows[user][2] - start) / HOUR) for user in readable)
        assert set(hours) <= set(range(1, age_hours + 1)), "due within the age of their first read"
        share = len(readable) / age_hours
        assert max(hours.values()) <= 1.5 * share, f"users falling due per hour: {sorted(hours.items())}"

        # hourly runs over the age: each reads about its share of the profiles
        per_run = []
        for _ in range(age_hours):
            emulator.advance(HOUR, **NOTHING_CHANGES)
            due = sum(1 for depth, _, next_due in crawl_rows(loader).values() if depth > 0 and next_due <= world.now)
            emulator.stats.reset()
            loader.run(emulator, **config)
            seeds = sum(1 for depth, read, _ in crawl_rows(loader).values() if depth == 0 and read == world.now)
            per_run.append(emulator.stats.by_endpoint.get("GET /users/{id}", 0) - seeds)
            assert per_run[-1] == due, "each run reads the users due, and no other"
            assert loader.last_run()["work_remaining"] is False
        mean = sum(per_run) / len(per_run)
        assert max(per_run) <= 1.5 * mean and min(per_run) >= 0.5 * mean, f"profiles read per run: {per_run}"
        # each user was read again in the hour its first read set, and is due a whole age later:
        # the next round is spread as this one
        read = crawl_rows(loader)
        for user in readable:
            hour = math.ceil((rows[user][2] - start) / HOUR)
            assert read[user][1] == start + hour * HOUR and read[user][2] == read[user][1] + age_hours * HOUR, user


def test_a_private_user_is_asked_again_weekly_not_daily(world: World, emulator: Emulator, loader: Loader) -> None:
    config = dict(user_ids=["self"], crawl_depth=2, crawl_max_users=1000, **only("user_media", "follow_graph"))
    loader.run(emulator, **config)
    members = list(frontier_truth(world, 2))
    private = refused_truth(world, members)
    assert private, "the token user has private users it does not follow within 2 hops"
    rows = crawl_rows(loader)
    assert set(rows) == set(members)
    # their first refusal spreads the next ask over the week
    assert all(world.now < rows[user][2] <= world.now + 7 * DAY for user in private)

    def run_after(days: int) -> tuple[set[str], int]:
        """The private users asked in a run `days` later, and the refusals served."""
        emulator.advance(days * DAY, **NOTHING_CHANGES)
        emulator.stats.reset()
        loader.run(emulator, **config)
        rows = crawl_rows(loader)
        assert all(rows[user][1] == world.now for user in members if user not in private), "the others: daily"
        return {user for user in private if rows[user][1] == world.now}, emulator.stats.by_status.get(400, 0)

    assert run_after(8) == (private, len(private)), "asked once in the week after the first pass"
    rows = crawl_rows(loader)
    assert all(rows[user][2] == world.now + 7 * DAY for user in private), "then weekly"
    assert run_after(1) == (set(), 0), "not a day later"
    assert run_after(6) == (private, len(private)), "but a week later"


def test_the_summary_names_users_never_read_and_says_work_remains(world: World, loader: Loader) -> None:
    """A first pass the budget cuts short: the summary counts the users found but not yet read
    as never read (not "None h ago"), and says that work remains."""
    config = dict(user_ids=["self"], crawl_depth=2, crawl_max_users=100_000, **only("follow_graph"))
    with Emulator(world, follows_any_user=True, rate_limit=60) as emulator:
        loader.run(emulator, budget_share=1.0, **config)
    last = loader.last_run()
    assert last["budget_exhausted"] and last["work_remaining"]
    status = schedule_status(loader.pipeline())
    crawl = status.due["crawl"]
    unread = sum(1 for _, read, _ in crawl_rows(loader).values() if read is None)
    assert crawl.due == crawl.never_read == unread > 0 and crawl.oldest_read_hours is None
    report = RunReport(source=last_run(loader.pipeline()), schedule=status)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        print_summary(report)
    text = printed.getvalue()
    assert f"Due and waiting for budget: crawl {unread:,} (never read)" in text
    assert "None" not in text and "Work remains: the rate budget ran out" in text

    # the summary of a run that read all it took as due, while the schedule holds due reads
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        print_summary(RunReport(source=LastRun(requests=1), schedule=status))
    assert "Work remains: no" not in printed.getvalue()
    assert f"Work remains: {unread:,} reads are due" in printed.getvalue()
