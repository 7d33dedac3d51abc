"""The derived insight numbers on their own (emulator/graph/insights.py): deterministic, growing
with age, most of it early, likes thinned but never above the world's."""

from __future__ import annotations

from emulator.graph import insights

DAY = 86400


def test_values_are_deterministic_and_only_grow_with_age() -> None:
    ages = [h * 3600 for h in (1, 6, 24, 48, 96, 24 * 30)]
    for product in ("FEED", "REELS", "STORY"):
        runs = [[insights.media_values(7, 42, product, 1000, 30, 4, age) for age in ages] for _ in range(2)]
        assert runs[0] == runs[1]
        for metric in ("reach", "views", "saved", "shares", "follows", "profile_visits"):
            series = [values[metric] for values in runs[0]]
            assert series == sorted(series), (product, metric)


def test_most_reach_comes_in_the_first_days() -> None:
    reach = [insights.media_values(7, 9, "FEED", 10_000, 0, 0, age)["reach"] for age in (2 * DAY, 30 * DAY)]
    assert reach[0] > 0.75 * reach[1]
    assert insights.accrued(0, DAY) == 0 and insights.accrued(10 * DAY, 1.2 * DAY) > 0.99


def test_reach_is_never_below_the_likes() -> None:
    values = insights.media_values(7, 3, "FEED", 10, 50, 0, 3600)
    assert values["reach"] >= 50 and values["total_interactions"] >= 50


def test_split_adds_up() -> None:
    parts = insights.split(7, "x", 1, 1001, ("a", "b", "c"))
    assert [name for name, _ in parts] == ["a", "b", "c"] and sum(v for _, v in parts) == 1001
