"""Rate budget: pacing from the headers, a clean stop, and a crawl that resumes to the same end."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator import Emulator, World

from .conftest import SMALL_WORLD, Loader, only

CRAWL = dict(
    crawl_depth=2,
    crawl_max_users=25,
    follow_page_size=4,
    user_ids=["self"],
    media_page_size=5,
    **only("follow_graph", "user_media", "feed"),
)


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
            # work remains because the budget ran out, or because the next level of the crawl
            # joins the frontier at the start of the next run (its level took several runs)
            assert last["budget_exhausted"] or last["refreshed"].get("crawl"), last
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


def test_an_edge_is_only_retired_by_a_complete_read_of_its_list(world: World, loader: Loader) -> None:
    """Self's follow lists change, then each takes several runs to read: until a list is
    complete its loaded edges stay as they were; the run that completes it retires the edges
    gone and adds the new ones, at that run's time."""
    me = world.default_user_id
    lists = (f"follows:{me}", f"followed_by:{me}")

    def truth() -> dict[str, set[tuple[str, str]]]:
        return {lists[0]: {(me, u) for u in world.follows(me)}, lists[1]: {(u, me) for u in world.followed_by(me)}}

    def edges(key: str, current: bool) -> set[tuple]:
        return set(
            loader.rows(
                f"SELECT follower_id, followed_id, valid_from, valid_to FROM follow_edges"
                f" WHERE list_key = '{key}' AND valid_to IS {'' if current else 'NOT'} NULL"
            )
        )

    # self is due again in every run, and its lists are read whatever their counts
    refresh = dict(seed_refresh_hours=0.001, list_max_age_hours=0.001)
    config = dict(crawl_depth=0, follow_page_size=2, budget_share=1.0, **refresh, **only("follow_graph"))
    with Emulator(world, rate_limit=3) as emu:

        def runs_until_complete(after_each_run) -> int:
            for run in range(1, 40):
                loader.run(emu, **config)
                after_each_run(datetime.fromtimestamp(world.now, UTC))
                if not loader.last_run()["work_remaining"]:
                    return run
                world.advance(60, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
                emu.reset_rate_limits()
            raise AssertionError("the lists were never read completely")

        runs_until_complete(lambda _: None)
        before = truth()
        public = [u for u in world.user_ids() if u != me and not world.is_private(u)]
        for uid in world.follows(me)[:2] + world.follows(me)[-1:]:
            world.unfollow(me, uid)
        for uid in [u for u in public if u not in world.follows(me)][:2]:
            assert world.follow(me, uid)["outgoing_status"] == "follows"
        world.unfollow(world.followed_by(me)[0], me)
        assert not world.is_private(me)
        world.follow(next(u for u in public if u not in world.followed_by(me)), me)
        after = truth()
        assert all(before[key] - after[key] and after[key] - before[key] for key in lists)

        completed_at: dict[str, datetime] = {}

        def only_complete_lists_changed(moment: datetime) -> None:
            for key in lists:
                current = {edge[:2] for edge in edges(key, current=True)}
                retired = edges(key, current=False)
                if key not in completed_at and current == before[key]:
                    assert not retired, f"{key} retired edges before it was read completely"
                    continue
                completed_at.setdefault(key, moment)
                assert current == after[key], key
                assert {edge[:2] for edge in retired} == before[key] - after[key], key
                assert {edge[3] for edge in retired} == {completed_at[key]}, key
                assert {e[2] for e in edges(key, current=True) if e[:2] in after[key] - before[key]} == {
                    completed_at[key]
                }

        assert runs_until_complete(only_complete_lists_changed) > 2
    assert set(completed_at) == set(lists)
