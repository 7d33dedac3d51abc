"""Media counters stay true in every kind of list, and hourly runs load only what changed: the
emulator's clock is moved, the warehouse is checked against the world's truth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import dlt
import pytest

from emulator import Emulator, World
from sources.common.refresh_policy import RefreshPolicy, schedule_row
from sources.common.schedule import TABLE, Schedule
from sources.instagram.helpers import items
from sources.instagram.helpers.items import column_hints
from sources.instagram.settings import TABLES

from .conftest import Loader, only

HOUR = 3600
DAY = 24 * HOUR
NOTHING_CHANGES = dict(new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
LISTS = ("user_media", "feed", "liked_media", "tag_media", "location_media", "geography_media")


def busiest(keys: list[str], media_of: Callable[[str], list[str]], young: set[str]) -> str:
    """The key whose list holds the most of the `young` media."""
    return max(keys, key=lambda key: (len(young & set(media_of(key))), key))


def warehouse_counters(loader: Loader) -> dict[str, tuple[int, int]]:
    return {mid: (likes, comments) for mid, likes, comments in loader.rows(
        "SELECT id, likes_count, comments_count FROM media"
    )}  # fmt: skip


def truth(world: World, mid: str) -> tuple[int, int]:
    media = world.media(mid)
    return media["likes"]["count"], media["comments"]["count"]


def test_media_first_seen_young_in_every_kind_of_list_keep_the_apis_counters(
    world: World, emulator: Emulator, loader: Loader
) -> None:
    me = world.default_user_id
    emulator.advance(2 * HOUR, new_media=120, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    young = {mid for uid in world.user_ids() for mid in world.media_ids_of_user(uid)}
    young = {mid for mid in young if world.now - int(world.media(mid)["created_time"]) <= 2 * HOUR}
    seed = busiest(list(world.user_ids()), world.media_ids_of_user, young)
    for mid in sorted(young)[:15]:  # the token user likes some of them: its liked list has young media
        world.like(me, mid)
    tag = busiest(world.tag_names(), lambda name: [mid for _, mid in world.tag_media(name)], young)
    location = busiest(list(world.location_ids()), world.location_media, young)
    geography = busiest(list(world.geography_ids()), world.geography_media, young)
    config = dict(
        user_ids=[seed], tags=[tag], location_ids=[location], geography_ids=[geography], media_page_size=5,
        **only(*LISTS),
    )  # fmt: skip
    loader.run(emulator, **config)
    membership = {
        "user_media": set(world.media_ids_of_user(seed)),
        "feed": set(world.feed(me)),
        "liked_media": set(world.liked_media(me)),
        "tag_media": {mid for _, mid in world.tag_media(tag)},
        "location_media": set(world.location_media(location)),
        "geography_media": set(world.geography_media(geography)),
    }
    first_seen = warehouse_counters(loader)
    tracked = {kind: sorted(young & members & first_seen.keys()) for kind, members in membership.items()}
    assert all(tracked.values()), {kind: len(mids) for kind, mids in tracked.items()}

    # a week of activity, a run a day, then a day with none: every media is past its 7-day
    # engagement age (the last but one), so its counters must be the world's
    for _ in range(7):
        emulator.advance(DAY, new_media=10, new_follows=0, unfollows=0, new_likes=600, new_comments=100)
        loader.run(emulator, **config)
    emulator.advance(DAY, **NOTHING_CHANGES)
    loader.run(emulator, **config)

    loaded = warehouse_counters(loader)
    changed = {mid for mids in tracked.values() for mid in mids if truth(world, mid) != first_seen[mid]}
    assert changed, "the week's likes and comments reached the tracked media"
    stale = {
        kind: [(mid, loaded[mid], truth(world, mid)) for mid in mids if loaded[mid] != truth(world, mid)]
        for kind, mids in tracked.items()
    }
    assert stale == {kind: [] for kind in tracked}
    # and the run says so, per kind of list: every media's counters are within the policy
    counters = loader.last_run()["counters"]
    assert set(counters) == {"user", "feed", "liked", "tag", "location", "geography"}
    assert {kind: f["within_policy"] for kind, f in counters.items()} == {
        kind: f["media"] for kind, f in counters.items()
    }


def test_a_run_with_nothing_new_loads_no_media_and_no_snapshot(
    world: World, emulator: Emulator, loader: Loader
) -> None:
    me = world.default_user_id
    config = dict(
        user_ids=["self", *world.follows(me)[:2]],
        tags=sorted(world.tag_names())[:1],
        location_ids=world.location_ids()[:1],
        **only("user_media", "feed", "liked_media", "tag_media", "location_media", "user_profiles"),
    )
    loader.run(emulator, **config)
    emulator.advance(HOUR, **NOTHING_CHANGES)
    loader.run(emulator, **config)
    emulator.advance(HOUR, **NOTHING_CHANGES)
    pipeline = loader.run(emulator, **config)

    loaded = pipeline.last_trace.last_normalize_info.row_counts
    data_tables = ("media", "media_counts", "media_tags", "users", "user_counts", "tag_media", "location_media")
    assert {table: loaded.get(table, 0) for table in data_tables} == dict.fromkeys(data_tables, 0)
    # the counters were confirmed by the run all the same, where the docs say
    confirmed = loader.column(
        f"SELECT count(*) FROM refresh_schedule WHERE kind = 'counters' AND last_read_at = to_timestamp({world.now})"
    )[0]
    assert confirmed > 0
    # and a change is loaded: a like reaches one media's snapshot, and only that one
    mid = loader.column("SELECT id FROM media ORDER BY created_time DESC LIMIT 1")[0]
    liker = next(uid for uid in world.user_ids() if not world.has_liked(uid, mid))
    world.like(liker, mid)
    emulator.advance(HOUR, **NOTHING_CHANGES)
    pipeline = loader.run(emulator, **config)
    assert pipeline.last_trace.last_normalize_info.row_counts.get("media_counts") == 1
    snapshots = loader.rows(
        f"SELECT media_id, likes_count FROM media_counts WHERE observed_at = to_timestamp({world.now})"
    )
    assert snapshots == [(mid, truth(world, mid)[0])]


def test_a_media_several_lists_show_is_refreshed_by_the_list_of_highest_priority(
    world: World, emulator: Emulator, loader: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the lists are read side by side, in batches (small ones here): whichever list shows a
    # media first, its counters stay with the seed's list
    monkeypatch.setattr(items, "ROWS_PER_BATCH", 5)
    me = world.default_user_id
    followed = world.follows(me)[:3]
    feed = set(world.feed(me))
    config = dict(user_ids=followed, media_page_size=5, **only("feed", "user_media"))
    loader.run(emulator, **config)
    parents = dict(loader.rows("SELECT entity_id, parent FROM refresh_schedule WHERE kind = 'counters'"))
    in_both = {mid: f"user:{uid}" for uid in followed for mid in world.media_ids_of_user(uid) if mid in feed}
    assert in_both, "the feed shows media of the users it follows"
    assert {mid: parents[mid] for mid in in_both} == in_both
    assert {parents[mid] for mid in feed - in_both.keys() if mid in parents} <= {"feed:self"}


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_load_keeps_the_last_write_of_a_schedule_key(loader: Loader, batch_size: int) -> None:
    """A run may write a key twice (a media that two lists show), and the rows reach dlt in the
    order their readers hand them on, not always the order written: in one batch or in two of
    one load, the warehouse keeps the last write."""
    schedule = Schedule(RefreshPolicy(6, 24, 168, (1, 24)), None, "epoch-1")
    seen = datetime(2016, 3, 1, tzinfo=UTC)
    first, last = (
        schedule.write(schedule_row("counters", "m1", read_at=seen, next_due_at=seen, parent=parent))
        for parent in ("feed:self", "user:1")
    )
    batches = items.TableBatches(batch_size)
    arrows = [arrow for rows in (last, first) for _, arrow in batches.add(rows)] + [a for _, a in batches.flush()]
    resource = dlt.resource(
        arrows,
        name=TABLE,
        write_disposition="merge",
        primary_key=TABLES[TABLE]["primary_key"],
        columns=column_hints(TABLE),
    )
    loader.pipeline().run(resource)
    assert loader.rows("SELECT entity_key, parent FROM refresh_schedule") == [("counters:m1", "user:1")]
