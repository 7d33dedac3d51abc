"""Selecting resources the standard dlt way (`with_resources`) reads exactly what they need."""

from __future__ import annotations

from emulator import Emulator, World
from sources.instagram import instagram

from .conftest import Loader


def test_user_profiles_selected_with_with_resources_reads_every_profile(
    world: World, emulator: Emulator, loader: Loader
) -> None:
    seeds = list(world.user_ids()[:3])
    source = instagram(base_url=emulator.base_url, access_token=emulator.access_token, user_ids=seeds)
    loader.pipeline().run(source.with_resources("user_profiles"))

    assert emulator.stats.by_endpoint == {"GET /users/{id}": len(seeds)}
    loaded = dict(loader.rows("SELECT id, bio FROM users"))
    assert loaded == {uid: world.user(uid)["bio"] for uid in seeds}
    counts = loader.rows("SELECT user_id, followed_by_count FROM user_counts")
    assert sorted(counts) == sorted((uid, world.user(uid)["counts"]["followed_by"]) for uid in seeds)


def test_profiles_and_the_crawl_together_read_each_seed_profile_once(
    world: World, emulator: Emulator, loader: Loader
) -> None:
    seeds = list(world.user_ids()[:3])
    source = instagram(base_url=emulator.base_url, access_token=emulator.access_token, user_ids=seeds, crawl_depth=0)
    loader.pipeline().run(source.with_resources("user_profiles", "follow_graph"))

    requests = emulator.stats.by_endpoint
    assert requests["GET /users/{id}"] == len(seeds)
    assert requests["GET /users/{id}/follows"] >= len(seeds)
    assert sorted(loader.column("SELECT user_id FROM user_counts")) == sorted(seeds)
