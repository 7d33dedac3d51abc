"""The real chain: emulator on loopback -> the dlt source -> DuckDB -> transforms."""

from __future__ import annotations

import pytest

from emulator import Emulator, World, WorldConfig
from sources.instagram import instagram
from tests.transforms.conftest import Warehouse


def test_transforms_over_what_the_source_loaded(warehouse: Warehouse) -> None:
    world = World(WorldConfig(seed=42, users=150))
    pipeline = warehouse.pipeline()
    with Emulator(world, follows_any_user=True) as emulator:
        for _ in range(2):  # two observations, a day apart: scd2 history and counter deltas
            pipeline.run(instagram(access_token=emulator.access_token, base_url=emulator.base_url, crawl_depth=1))
            world.advance(86400)
    results = warehouse.transform()
    assert results["follow_edges"]["rows"] > 0 and results["media_engagement"]["rows"] > 0

    true_edges = set(world.follow_edges())
    loaded = warehouse.query("SELECT follower_id, followed_id FROM instagram_analytics.follow_edges")
    assert len(loaded) == len(set(loaded))  # one row per edge, though two lists can show it
    # edges are as of the last read, a day before the world's clock: almost all still hold
    assert len(set(loaded) & true_edges) >= 0.95 * len(loaded)
    (graph_edges,) = warehouse.query("SELECT edges FROM instagram_analytics.graph_summary")
    assert graph_edges == (len(loaded),)

    media = warehouse.rows("media_engagement")
    for row in media:
        assert row["engagement"] == row["likes"] + row["comments"]
        if row["owner_followers"]:
            assert row["engagement_rate_by_followers"] == pytest.approx(row["engagement"] / row["owner_followers"])
