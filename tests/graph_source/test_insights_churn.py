"""Metric churn (instagram-graph/API.md §2): a metric the API refuses, retired in the version
asked for or not offered for the media type, is dropped for that type and version, remembered
in the source state and logged once; it never fails the run, and the insights marts say which
metrics existed in which version, and when. A media seen by too few accounts (code 10) has no
insights row, and no error either."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from emulator import Emulator
from emulator.generate import DAY
from transforms import run_transforms

from .conftest import GraphLoader, Truth, analytics

CHURNED_FEED = ("reach", "impressions", "saved", "ig_reels_avg_watch_time")
METRICS = {"FEED": CHURNED_FEED, "REELS": ("reach", "plays")}
RETIRED_IN_V22 = {"FEED": ("reach", "impressions"), "REELS": ("reach", "plays")}


def test_refused_metrics_are_dropped_once_and_remembered(
    tmp_path: Path, serve_graph, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = serve_graph()
    loader = GraphLoader(tmp_path)
    with caplog.at_level(logging.WARNING, logger="sources.instagram_graph"):
        loader.run(emulator, "media", media_metrics=METRICS)
    assert sorted(refused_in(caplog)) == ["ig_reels_avg_watch_time", "impressions", "plays"]
    dropped = {key: sorted(metrics) for key, metrics in loader.source_state()["metrics_dropped"].items()}
    assert dropped == {"v24.0:FEED": ["ig_reels_avg_watch_time", "impressions"], "v24.0:REELS": ["plays"]}
    assert set(loader.column("SELECT DISTINCT metric FROM media_insights")) == {"reach", "saved"}
    assert "extraction_errors" not in tables(loader)

    caplog.clear()
    emulator.advance(8 * 86400)  # the media of the last month are due again, insights included
    emulator.stats.reset()
    with caplog.at_level(logging.WARNING, logger="sources.instagram_graph"):
        loader.run(emulator, "media", media_metrics=METRICS)
    assert emulator.stats.by_endpoint.get("GET /{ig-media-id}/insights", 0) > 0
    assert not refused_in(caplog)  # not asked for again
    assert "extraction_errors" not in tables(loader)


def refused_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The metrics the source logged as refused."""
    return [record.args[0] for record in caplog.records if "refuses the metric" in str(record.msg)]


def tables(loader: GraphLoader) -> set[str]:
    return set(loader.column("SELECT table_name FROM information_schema.tables"))


def test_an_older_version_keeps_the_metric_it_still_serves(tmp_path: Path, graph_emulator: Emulator) -> None:
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "media", media_metrics={"FEED": ("reach", "impressions")}, api_version="v21.0")
    assert set(loader.column("SELECT DISTINCT metric FROM media_insights")) == {"reach", "impressions"}
    assert loader.source_state().get("metrics_dropped", {}) == {}


def test_a_run_at_v21_then_one_at_v24_load_and_the_mart_says_which_metrics_existed_when(
    tmp_path: Path, serve_graph
) -> None:
    emulator = serve_graph()
    truth = Truth(emulator)
    with_insights = {"FEED": 0, "REELS": 0}  # the account's media the API gives insights of, now
    for index in truth.media_indices():
        if truth.insights("media", index, metric="reach"):
            with_insights[truth.model.product_type(index, truth.model.media(index)[2])] += 1
    assert all(with_insights.values())
    loader = GraphLoader(tmp_path)
    first = datetime.fromtimestamp(emulator.world.now, UTC)
    loader.run(emulator, "media", media_metrics=RETIRED_IN_V22, api_version="v21.0")
    run_transforms(loader.pipeline())
    emulator.advance(15 * DAY)  # the media of the month before are due again, a reel among them
    second = datetime.fromtimestamp(emulator.world.now, UTC)
    loader.run(emulator, "media", media_metrics=RETIRED_IN_V22, api_version="v24.0")
    run_transforms(loader.pipeline())
    assert "extraction_errors" not in tables(loader)

    rows = analytics(
        loader.database,
        "SELECT media_product_type, metric, api_version, first_observed_at, last_observed_at, in_latest_read"
        " FROM insight_metrics",
    )
    assert set(rows) == {
        ("FEED", "reach", "v21.0", first, first, True),
        ("FEED", "impressions", "v21.0", first, first, False),  # retired in v22
        ("REELS", "reach", "v21.0", first, first, True),
        ("REELS", "plays", "v21.0", first, first, False),
        ("FEED", "reach", "v24.0", second, second, True),
        ("REELS", "reach", "v24.0", second, second, True),
    }
    media = analytics(
        loader.database, "SELECT media_product_type, metric, media FROM insight_metrics WHERE api_version = 'v21.0'"
    )
    assert {(product, metric): count for product, metric, count in media} == {
        (product, metric): with_insights[product] for product, asked in RETIRED_IN_V22.items() for metric in asked
    }


def test_media_with_too_few_viewers_have_no_insights_and_no_error(tmp_path: Path, graph_emulator: Emulator) -> None:
    base = f"{graph_emulator.base_url}/v24.0"
    model = graph_emulator.graph.model

    def reach(token: str, media_id: str) -> str:
        """How the API answers the media's reach: "too few" viewers (code 10), "values" or "none"."""
        answer = requests.get(
            f"{base}/{media_id}/insights", params={"metric": "reach", "access_token": token}, timeout=10
        )
        if answer.status_code == 400 and answer.json()["error"]["code"] == 10:
            return "too few"
        return "values" if answer.json().get("data") else "none"

    # the least-followed professional account, through its own token (Instagram Login), whose
    # media the API answers both ways: some with too few viewers, some with insights
    posting = [i for i in range(graph_emulator.world.user_count()) if model.is_professional(i) and model.media_of(i)]
    for account in sorted(posting, key=lambda i: (model.user(i)["followers_count"], i)):
        token = graph_emulator.issue_token({"kind": "ig_long", "user_id": model.user_id(account)})["access_token"]
        if {"too few", "values"} <= {reach(token, model.media_id(index)) for index in model.media_of(account)}:
            break
    else:
        pytest.fail("no account of the world has media with and without enough viewers")

    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "media", access_token=token, media_metrics={"FEED": ("reach",), "REELS": ("reach",)})
    media = loader.column("SELECT id FROM media WHERE media_product_type IN ('FEED', 'REELS')")
    too_few = {media_id for media_id in media if reach(token, media_id) == "too few"}
    with_insights = set(loader.column("SELECT DISTINCT media_id FROM media_insights"))
    assert too_few and with_insights and not too_few & with_insights
    assert "extraction_errors" not in tables(loader)
