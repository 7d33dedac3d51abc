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
    # nothing else but the tag and location details: no likes or comments of known media
    assert dict(served) == {**lists, "GET /tags/{name}": 2, "GET /locations/{id}": 2}
    assert loader.tables() == first
    assert loader.last_run()["work_remaining"] is False


def test_world_changes_arrive_with_follow_history(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    config = dict(
        crawl_depth=0, counters_lookback_days=10000, media_page_size=5, **only("user_media", "feed", "follow_graph")
    )
    loader.run(emulator, **config)
    follows_before = set(world.follows(me))
    followers_before = set(world.followed_by(me))

    # enough change that self's lists move: follows and unfollows on a 150-user world
    changes = world.advance(3 * 86400, new_media=60, new_follows=120, unfollows=60, new_likes=300, new_comments=40)
    loader.run(emulator, **config)
    changed_at = datetime.fromtimestamp(world.now, UTC)

    assert sorted(loader.column(f"SELECT id FROM media WHERE user_id = '{me}'")) == sorted(world.media_ids_of_user(me))
    assert set(world.feed(me)) <= set(loader.column("SELECT id FROM media"))
    assert {m for m in changes["new_media"] if m in world.feed(me)} <= set(loader.column("SELECT id FROM media"))
    # counters and likers of recent media are refreshed (look-back covers them)
    for mid in world.media_ids_of_user(me):
        truth = world.media(mid)
        assert loader.rows(f"SELECT likes_count, comments_count FROM media WHERE id = '{mid}'") == [
            (truth["likes"]["count"], truth["comments"]["count"])
        ]
        assert sorted(loader.column(f"SELECT user_id FROM likes WHERE media_id = '{mid}'")) == sorted(
            world.media_likers(mid)
        )
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
