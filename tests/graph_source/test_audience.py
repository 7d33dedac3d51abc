"""The accounts' audience (instagram-graph/API.md §2): follower demographics by age, gender, city
and country, and followers online per hour, equal what the emulator serves; read once a day
(the refresh schedule), and not at all, without an error, for an account under 100 followers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator import Emulator
from emulator.generate import DAY

from .conftest import GRAPH_AUDIENCE_WORLD, GraphLoader, Truth

INSIGHTS = "GET /{ig-user-id}/insights"


def loaded_online_followers(loader: GraphLoader) -> dict[tuple[str, int], Any]:
    rows = loader.rows("SELECT strftime(end_time, '%Y-%m-%dT%H:%M:%S+0000'), hour, value FROM online_followers")
    return {(end_time, hour): value for end_time, hour, value in rows}


def test_the_audience_is_what_the_api_serves_once_a_day(tmp_path: Path, serve_graph) -> None:
    emulator: Emulator = serve_graph(GRAPH_AUDIENCE_WORLD)
    truth = Truth(emulator)
    assert truth.model.user(truth.owner)["followers_count"] >= 100
    loader = GraphLoader(tmp_path)
    loader.run(emulator, "audience")
    demographics = loader.rows("SELECT account_id, metric, breakdown, dimension_value, value FROM audience")
    assert {(account, metric) for account, metric, *_ in demographics} == {(truth.account_id, "follower_demographics")}
    assert {tuple(row[2:]) for row in demographics} == truth.demographics()
    assert len(demographics) == len(truth.demographics())
    assert loaded_online_followers(loader) == truth.online_followers()
    assert len(loaded_online_followers(loader)) == 2 * 24  # yesterday and today

    # the same day: not due, nothing asked
    emulator.stats.reset()
    loader.run(emulator, "audience")
    assert emulator.stats.by_endpoint.get(INSIGHTS, 0) == 0

    # a day later: a new snapshot of the demographics, the days online merged on their hours
    emulator.advance(DAY)
    loader.run(emulator, "audience")
    snapshots = loader.rows("SELECT observed_at, count(*) FROM audience GROUP BY observed_at ORDER BY observed_at")
    assert [count for _, count in snapshots] == [len(demographics)] * 2
    latest = loader.rows(
        "SELECT breakdown, dimension_value, value FROM audience WHERE observed_at = (SELECT max(observed_at) FROM audience)"
    )
    assert set(latest) == truth.demographics()
    online = loaded_online_followers(loader)
    assert len(online) == 3 * 24 and online.items() >= truth.online_followers().items()
    assert "extraction_errors" not in set(loader.column("SELECT table_name FROM information_schema.tables"))


def test_an_account_under_100_followers_has_no_audience_and_no_error(tmp_path: Path, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator)
    assert truth.model.user(truth.owner)["followers_count"] < 100
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "audience")
    tables = set(loader.column("SELECT table_name FROM information_schema.tables"))
    assert not {"audience", "online_followers", "extraction_errors"} & tables
    assert loader.rows("SELECT kind, entity_id FROM refresh_schedule") == [("audience", truth.account_id)]
