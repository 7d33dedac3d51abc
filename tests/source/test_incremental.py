"""Repeat runs: nothing new costs one request per list; world changes arrive, with history."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator import Emulator, World

from .conftest import Loader, only

LIST_ENDPOINTS = (
    "GET /users/{id}/media/recent",
    "GET /users/self/feed",
    "GET /users/self/media/liked",
    "GET /tags/{name}/media/recent",
    "GET /locations/{id}/media/recent",
    "GET /geographies/{id}/media/recent",
)


def test_repeat_run_costs_one_request_per_list(world: World, emulator: Emulator, loader: Loader) -> None:
    tags = sorted(world.tag_names(), key=lambda t: -len(world.tag_media(t)))[:2]
    config = dict(
        user_ids=["self", *world.follows(world.default_user_id)[:3]],
        tags=tags,
        location_ids=world.location_ids()[:2],
        geography_ids=world.geography_ids()[:2],
        media_page_size=5,
        **only("user_media", "feed", "liked_media", "tag_media", "location_media", "geography_media"),
    )
    loader.run(emulator, **config)
    first = loader.tables()
    emulator.stats.reset()

    loader.run(emulator, **config)
    lists = {
        "GET /users/{id}/media/recent": 4,
        "GET /users/self/feed": 1,
        "GET /users/self/media/liked": 1,
        "GET /tags/{name}/media/recent": 2,
        "GET /locations/{id}/media/recent": 2,
        "GET /geographies/{id}/media/recent": 2,
    }
    served = emulator.stats.by_endpoint
    assert {e: served.get(e, 0) for e in LIST_ENDPOINTS} == lists
    # nothing else: the tag and location details are not due yet, and no likes or comments
    # of known media are due (the world's clock did not move)
    assert dict(served) == lists
    assert loader.tables() == first
    assert loader.last_run()["work_remaining"] is False


def engagement(world: World, mid: str) -> tuple[tuple[int, int], list[str]]:
    """The world's truth of a media: (likes, comments) counters and its likers."""
    truth = world.media(mid)
    return (truth["likes"]["count"], truth["comments"]["count"]), sorted(world.media_likers(mid))


def test_world_changes_arrive_with_follow_history(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    # lists older than a day are read again whatever their counts (change detection has its
    # own test); engagement ages sparse enough that some media reach none in three days
    engagement_ages = [1, 6, 24, 72, 168, 720]
    config = dict(
        crawl_depth=0, media_page_size=5, list_max_age_hours=24, engagement_ages_hours=engagement_ages,
        **only("user_media", "feed", "follow_graph"),
    )  # fmt: skip
    loader.run(emulator, **config)
    read_at = world.now
    follows_before = set(world.follows(me))
    followers_before = set(world.followed_by(me))
    first_seen = {mid: engagement(world, mid) for mid in world.media_ids_of_user(me)}
    # a like on a media past its last engagement age and off the first page: its likers change,
    # and no rule reads them again (the world's new likes go to the newest media of the world)
    settled = next(
        mid
        for mid in world.media_ids_of_user(me)[5:]
        if int(world.media(mid)["created_time"]) + engagement_ages[-1] * 3600 < read_at
    )
    world.like(next(u for u in world.followed_by(me) if not world.has_liked(u, settled)), settled)

    # enough change that self's lists move: follows and unfollows on a 150-user world
    changes = world.advance(3 * 86400, new_media=60, new_follows=120, unfollows=60, new_likes=300, new_comments=40)
    loader.run(emulator, **config)
    changed_at = datetime.fromtimestamp(world.now, UTC)

    assert sorted(loader.column(f"SELECT id FROM media WHERE user_id = '{me}'")) == sorted(world.media_ids_of_user(me))
    # the feed is read down to its marker: new media arrive (older media of users followed
    # since then slot in below the marker, as on the real API)
    assert {m for m in changes["new_media"] if m in world.feed(me)} <= set(loader.column("SELECT id FROM media"))
    # counters and likers are as the refresh policy says. Counters are fresh for media on the
    # first page (read anyway), new ones, and those that reached an engagement age since the
    # first run; likers for the new and those that reached an age. The rest keep what the
    # first run saw.
    first_page = set(world.media_ids_of_user(me)[:5])
    ages = [hours * 3600 for hours in engagement_ages]
    kept = 0
    for mid in world.media_ids_of_user(me):
        created = int(world.media(mid)["created_time"])
        due = mid not in first_seen or any(read_at < created + age <= world.now for age in ages)
        now_counters, now_likers = engagement(world, mid)
        then_counters, then_likers = first_seen.get(mid, (None, None))
        counters = now_counters if due or mid in first_page else then_counters
        likers = now_likers if due else then_likers
        assert loader.rows(f"SELECT likes_count, comments_count FROM media WHERE id = '{mid}'") == [counters], mid
        assert sorted(loader.column(f"SELECT user_id FROM likes WHERE media_id = '{mid}'")) == likers, mid
        changed = mid in first_seen and now_likers != then_likers
        kept += changed and not due
    assert kept, "a media whose likers changed before its next age keeps its first read"
    assert loader.column("SELECT count(DISTINCT observed_at) FROM media_counts") == [2]

    current = set(loader.rows("SELECT follower_id, followed_id FROM follow_edges WHERE valid_to IS NULL"))
    assert current == {(me, u) for u in world.follows(me)} | {(u, me) for u in world.followed_by(me)}
    retired = set(loader.rows("SELECT follower_id, followed_id FROM follow_edges WHERE valid_to IS NOT NULL"))
    gone = {(me, u) for u in follows_before - set(world.follows(me))} | {
        (u, me) for u in followers_before - set(world.followed_by(me))
    }
    assert gone and retired == gone
    assert set(loader.column("SELECT DISTINCT valid_to FROM follow_edges WHERE valid_to IS NOT NULL")) == {changed_at}
    new = {(me, u) for u in set(world.follows(me)) - follows_before}
    assert new <= set(
        loader.rows(
            f"SELECT follower_id, followed_id FROM follow_edges WHERE valid_from = TIMESTAMPTZ '{changed_at.isoformat()}'"
        )
    )
