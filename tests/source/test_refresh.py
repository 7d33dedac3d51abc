"""The refresh schedule: a rerun costs only what is due; each rule fires when its time comes
(the emulator's clock is moved, not the wall clock); the crawl's frontier follows the graph."""

from __future__ import annotations

from collections import Counter

from emulator import Emulator, World
from sources.instagram.settings import DEFAULT_ENGAGEMENT_AGES_HOURS, MAX_FOLLOW_PAGE_SIZE

from .conftest import Loader, only

HOUR = 3600
MEDIA_LISTS = {
    "GET /users/{id}/media/recent",
    "GET /users/self/feed",
    "GET /users/self/media/liked",
    "GET /media/popular",
    "GET /tags/{name}/media/recent",
    "GET /locations/{id}/media/recent",
    "GET /geographies/{id}/media/recent",
}
NOTHING_CHANGES = dict(new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)


def test_a_rerun_with_nothing_changed_costs_one_request_per_media_list(
    world: World, emulator: Emulator, loader: Loader
) -> None:
    me = world.default_user_id
    others = world.follows(me)[:2]
    media = world.media_ids_of_user(others[0])[:2]
    config = dict(  # every resource, the follow crawl included
        user_ids=["self", *others],
        tags=sorted(world.tag_names())[:2],
        location_ids=world.location_ids()[:2],
        geography_ids=world.geography_ids()[:1],
        media_ids=media,
        user_search_queries=["a"],
        tag_search_queries=["sun"],
        location_search_points=[[48.85, 2.35, 5000]],
        crawl_depth=1,
        crawl_max_users=30,
    )
    loader.run(emulator, **config)
    first = emulator.stats.total
    emulator.stats.reset()

    loader.run(emulator, **config)
    served = dict(emulator.stats.by_endpoint)
    lists = {
        "GET /users/{id}/media/recent": 3,
        "GET /users/self/feed": 1,
        "GET /users/self/media/liked": 1,
        "GET /media/popular": 1,
        "GET /tags/{name}/media/recent": 2,
        "GET /locations/{id}/media/recent": 2,
        "GET /geographies/{id}/media/recent": 1,
    }
    assert served == lists, f"first run: {first} requests"
    assert loader.last_run()["work_remaining"] is False


def test_each_rule_fires_when_it_is_due(world: World, emulator: Emulator, loader: Loader) -> None:
    # the user with the most recent media: some reach an engagement age within days
    seed = max(
        world.user_ids(), key=lambda uid: sum(world.now - created(world, m) < 40 * 86400 for m in media_of(world, uid))
    )
    config = dict(
        user_ids=[seed], crawl_depth=1, crawl_max_users=8, media_page_size=3,
        **only("user_media", "user_profiles", "follow_graph"),
    )  # fmt: skip
    loader.run(emulator, **config)
    frontier = set(loader.column("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active"))
    listed = {key.split(":", 1)[1] for key in loader.column("SELECT list_key FROM follow_edges")}
    assert len(frontier) > 2
    due_media = 0

    def counters_read_at() -> dict[str, int]:
        rows = loader.rows("SELECT entity_id, epoch(last_read_at) FROM refresh_schedule WHERE kind = 'counters'")
        return {mid: int(read_at) for mid, read_at in rows}

    def advance_and_run(hours: float) -> Counter[str]:
        nonlocal due_media
        emulator.advance(int(hours * HOUR), **NOTHING_CHANGES)
        read_before = counters_read_at()
        emulator.stats.reset()
        loader.run(emulator, **config)
        served = Counter(emulator.stats.by_endpoint)
        # counters: every media past the first page that reached an engagement age since it was
        # last observed is observed again, by the list's next pages or a lookup, and costs at
        # most one request; nothing else is read
        due = {
            mid
            for mid in media_of(world, seed)[3:]
            if any(
                read_before[mid] < created(world, mid) + age * HOUR <= world.now
                for age in DEFAULT_ENGAGEMENT_AGES_HOURS
            )
        }
        read_after = counters_read_at()
        assert {mid for mid in due if read_after[mid] != world.now} == set()
        extra_pages = served.pop("GET /users/{id}/media/recent") - 1
        lookups = served.pop("GET /media/{id}", 0)
        assert extra_pages + lookups <= len(due)
        assert not due or extra_pages + lookups > 0
        due_media += len(due)
        # likes and comments: their counters did not change, so never read again
        assert not served["GET /media/{id}/likes"] and not served["GET /media/{id}/comments"]
        return served

    # a seed's lists are read again each time the seed is due, whatever their counts
    seed_lists = Counter(
        {
            "GET /users/{id}/follows": pages(world.follows(seed)),
            "GET /users/{id}/followed-by": pages(world.followed_by(seed)),
        }
    )

    def found_due_within(hours: float) -> int:
        """Found users (not seeds) whose crawl row falls due within `hours` from now: a first
        read spreads the next over the crawl's age (docs/refresh.md, "Spreading the day's work")."""
        return loader.column(
            "SELECT count(*) FROM refresh_schedule WHERE kind = 'crawl' AND active AND depth > 0"
            f" AND epoch(next_due_at) <= {world.now + int(hours * HOUR)}"
        )[0]

    def profiles(count: int) -> Counter[str]:
        return Counter({"GET /users/{id}": count}) if count else Counter()

    # 5 hours: the media list, due counters, and the found users due by then
    early = found_due_within(5)
    assert advance_and_run(5) == profiles(early)
    # 6 hours: the seed (its profile, shared by user_profiles and the crawl, and its lists)
    later = found_due_within(1.5)
    assert advance_and_run(1.5) == profiles(1 + later) + seed_lists
    # a day: every other member of the frontier is profiled again, once in the day; the found
    # users' lists wait, their counts are unchanged and younger than the maximum age
    rest = found_due_within(18)
    assert early + later + rest == len(frontier) - 1
    assert advance_and_run(18) == profiles(1 + rest) + seed_lists
    # a week: the lists are older than the maximum age and are read again
    served = advance_and_run(7 * 24)
    assert served["GET /users/{id}"] == len(frontier)
    assert served["GET /users/{id}/follows"] == served["GET /users/{id}/followed-by"] >= len(listed)
    assert due_media, "some media reached an engagement age"
    assert loader.last_run()["work_remaining"] is False


def test_the_frontier_follows_the_graph(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    config = dict(user_ids=["self"], crawl_depth=1, crawl_max_users=1000, **only("follow_graph"))
    loader.run(emulator, **config)

    def frontier() -> set[str]:
        return set(loader.column("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active"))

    assert frontier() == {me, *world.follows(me), *world.followed_by(me)}
    strangers = [u for u in world.user_ids() if u not in frontier() and not world.is_private(u)]
    left = [u for u in world.follows(me) if u not in world.followed_by(me)][:3]
    for uid in left:
        world.unfollow(me, uid)
    for uid in strangers[:4]:
        world.follow(me, uid)
    emulator.advance(7 * HOUR, **NOTHING_CHANGES)  # past the seeds' age
    loader.run(emulator, **config)
    assert set(strangers[:4]) <= frontier(), "users found join in the run that finds them"
    emulator.stats.reset()
    loader.run(emulator, **config)  # reachability is decided on the loaded edges: one run later
    # leaving the frontier costs no request; with no media list to read, the run asks the
    # server's time once (`GET /users/self`) to know that nothing is due
    assert emulator.stats.by_endpoint == {"GET /users/{id}": 1}

    assert frontier() == {me, *world.follows(me), *world.followed_by(me)}
    gone = set(loader.column("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND NOT active"))
    assert gone == set(left)
    joined = loader.column(
        "SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active AND last_read_at IS NOT NULL"
    )
    assert set(strangers[:4]) <= set(joined), "users who joined are read in the same run"
    current = set(
        loader.rows(f"SELECT followed_id FROM follow_edges WHERE list_key = 'follows:{me}' AND valid_to IS NULL")
    )
    assert current == {(uid,) for uid in world.follows(me)}


def pages(members: list[str]) -> int:
    """Requests for one follow list at the default page size (an empty list is one page)."""
    return max(1, -(-len(members) // MAX_FOLLOW_PAGE_SIZE))


def media_of(world: World, uid: str) -> list[str]:
    return world.media_ids_of_user(uid)


def created(world: World, mid: str) -> int:
    return int(world.media(mid)["created_time"])
