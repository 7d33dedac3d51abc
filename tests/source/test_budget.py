"""Rate budget: pacing from the headers, a clean stop, and a crawl that resumes to the same end."""

from __future__ import annotations

from emulator import Emulator, World

from .conftest import SMALL_WORLD, Loader, only

CRAWL = dict(crawl_depth=2, crawl_max_users=25, follow_page_size=4, user_ids=["self"],
             media_page_size=5,
             **only("follow_graph", "user_media", "feed"))


def test_crawl_cut_short_by_budget_resumes_to_the_same_tables(tmp_path) -> None:
    uninterrupted = Loader(tmp_path, "uninterrupted")
    with Emulator(World(SMALL_WORLD), follows_any_user=True) as emu:
        uninterrupted.run(emu, **CRAWL)
        needed = emu.stats.total
    assert uninterrupted.last_run()["work_remaining"] is False

    resumed = Loader(tmp_path, "resumed")
    limit = 40
    with Emulator(World(SMALL_WORLD), follows_any_user=True, rate_limit=limit) as emu:
        runs = 0
        while True:
            runs += 1
            emu.stats.reset()
            resumed.run(emu, budget_share=1.0, **CRAWL)
            last = resumed.last_run()
            assert emu.stats.total <= limit
            assert 429 not in emu.stats.by_status  # the budget is known: never over it
            assert last["requests"] == emu.stats.total
            if not last["work_remaining"]:
                break
            assert last["budget_exhausted"], last
            emu.reset_rate_limits()  # the next hour
            assert runs < 3 * needed // limit + 5
    assert runs > 2
    assert resumed.tables() == uninterrupted.tables()


def test_budget_share_leaves_the_rest_of_the_hour(world: World, loader: Loader) -> None:
    with Emulator(world, follows_any_user=True, rate_limit=100) as emu:
        loader.run(emu, budget_share=0.3, **CRAWL)
        last = loader.last_run()
        assert last["budget_exhausted"] and last["work_remaining"]
        assert emu.stats.total <= 30 and last["rate_limit_remaining"] >= 70


def test_media_lists_cut_short_while_the_world_moves_leave_no_gap(world: World, loader: Loader) -> None:
    me = world.default_user_id
    config = dict(media_page_size=3, budget_share=1.0, **only("feed", "user_media"))
    with Emulator(world, rate_limit=6) as emu:
        for _ in range(60):
            loader.run(emu, **config)
            if not loader.last_run()["work_remaining"]:
                break
            world.advance(3600, new_media=4, new_follows=0, unfollows=0, new_likes=5, new_comments=0)
            emu.reset_rate_limits()
        assert not loader.last_run()["work_remaining"]
    assert world.now > world.config.start + 3 * 3600  # the world did move between runs
    loaded = set(loader.column("SELECT id FROM media"))
    assert set(world.feed(me)) | set(world.media_ids_of_user(me)) == loaded
    # every media of self got its likers read with the page that loaded it: as many likers
    # as its counter said then (likes only grow here, so they are all still current)
    counted = dict(loader.rows(f"SELECT id, likes_count FROM media WHERE user_id = '{me}'"))
    likers: dict[str, set[str]] = {}
    for mid, uid in loader.rows("SELECT media_id, user_id FROM likes"):
        likers.setdefault(mid, set()).add(uid)
    for mid, count in counted.items():
        assert len(likers.get(mid, ())) == count, mid
        assert likers.get(mid, set()) <= set(world.media_likers(mid))
