"""Stories, read while they live (24 h), with their insights; the recent media of hashtags,
within the limit of 30 unique hashtags an account may query in 7 days (instagram-graph/API.md
§2), tracked in the source state; competitors through business discovery; media the account is
tagged in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from emulator import Emulator
from emulator.graph.model import node_id

from .conftest import PAGE_SIZE, GraphLoader, Truth

DAY = 86400


def test_live_stories_are_read_with_their_insights(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph()
    emulator.advance(DAY // 2)  # stories of the last half day, some older than the insights' lag
    truth = Truth(emulator)
    live = {node_id("story", number) for number, *_ in truth.model.live_stories(truth.owner)}
    assert live
    loader = GraphLoader(tmp_path)
    loader.run(emulator, "stories")
    assert set(loader.column("SELECT id FROM stories")) == live
    insights = loader.rows("SELECT DISTINCT media_id, media_product_type FROM media_insights")
    assert insights and {story for story, _ in insights} <= live and {product for _, product in insights} == {"STORY"}
    assert "extraction_errors" not in loader.column("SELECT table_name FROM information_schema.tables")


def recent_media(emulator: Emulator, name: str) -> set[str]:
    """The world's public media tagged `name` in the last 24 hours, in Graph ids."""
    model = emulator.graph.model
    since = model.world.now - DAY
    return {model.media_id(m) for m in model.hashtag_media(model.world.tag_index(name)) if model.media(m)[1] > since}


def test_recent_media_of_hashtags_equal_the_world(tmp_path: Path, graph_emulator: Emulator) -> None:
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "hashtag_media", hashtags=["#Love", "fashion"])
    for name in ("love", "fashion"):
        loaded = set(loader.column(f"SELECT media_id FROM hashtag_media WHERE hashtag = '{name}'"))
        assert loaded == recent_media(graph_emulator, name) and loaded
    assert set(loader.source_state()["hashtags"]["queried"]) == {"love", "fashion"}


def test_hashtags_past_the_limit_wait_for_the_window(
    tmp_path: Path, serve_graph, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = serve_graph()
    names = sorted(emulator.graph.model.world.tag_names())[:32]
    loader = GraphLoader(tmp_path)
    with caplog.at_level(logging.WARNING, logger="sources.instagram_graph"):
        loader.run(emulator, "hashtag_media", hashtags=names)
    queried = loader.source_state()["hashtags"]["queried"]
    assert sorted(queried) == names[:30]
    assert any(names[30] in record.getMessage() and "wait" in record.getMessage() for record in caplog.records)
    assert loader.source_state()["last_run"]["work_remaining"]
    assert "extraction_errors" not in loader.column("SELECT table_name FROM information_schema.tables")

    emulator.advance(8 * DAY)  # the first 30 leave the window: the two that waited go first
    loader.run(emulator, "hashtag_media", hashtags=names)
    queried = loader.source_state()["hashtags"]["queried"]
    latest = max(queried.values())
    assert {name for name, at in queried.items() if at == latest} >= set(names[30:])
    assert "extraction_errors" not in loader.column("SELECT table_name FROM information_schema.tables")


def test_competitors_through_business_discovery(tmp_path: Path, graph_emulator: Emulator) -> None:
    model = graph_emulator.graph.model
    professional = next(
        i for i in range(1, 300) if model.is_professional(i) and i != model.owner and len(model.media_of(i)) > 1
    )
    private = next(i for i in range(300) if not model.is_professional(i))
    rival, unknown = model.user(professional)["username"], model.user(private)["username"]
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "competitors", competitors=[rival, unknown])
    facts = model.user(professional)
    assert loader.rows("SELECT username, account_id, followers_count, media_count FROM competitor_counts") == [
        (rival, model.user_id(professional), facts["followers_count"], len(model.media_of(professional)))
    ]
    newest = [model.media_id(index) for index in model.media_of(professional)[:25]]
    assert loader.column("SELECT media_id FROM competitor_media ORDER BY created_time DESC, media_id") == newest
    assert loader.rows("SELECT entity_kind, entity_id FROM extraction_errors") == [("competitor", unknown)]


def test_media_the_account_is_tagged_in(tmp_path: Path, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator)
    tagged = [truth.model.media_id(index) for index in truth.model.tagged_in(truth.owner)]
    assert tagged
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "tagged_media")
    assert loader.column("SELECT media_id FROM tagged_media ORDER BY created_time DESC, media_id") == tagged
    assert loader.column("SELECT count(*) FROM tagged_media WHERE owner_id IS NULL OR username IS NULL") == [0]


RUN_HOURS = (0, 2, 5, 7, 12, 18, 23, 24)  # runs through a day, whatever the stories' ages


def test_story_insights_at_their_ages_and_the_whole_tags_list_once_a_day(tmp_path: Path, serve_graph) -> None:
    """Runs through a day: a story's insights are asked for in the first run after it is 6 h
    old and in the first after it is 23 h old (once, for one first seen older), no other; the
    tagged media's first page each run, the whole list in the first run and a day later."""
    emulator = serve_graph()
    model = emulator.graph.model
    loader = GraphLoader(tmp_path)
    asked, due, tags_pages, whole = [], [], [], []
    for before, hour in zip((None, *RUN_HOURS), RUN_HOURS, strict=False):
        emulator.advance(3600 * (hour - (before or 0)))
        emulator.stats.reset()
        loader.run(emulator, "stories", "tagged_media")
        asked.append(emulator.stats.by_endpoint.get("GET /{ig-media-id}/insights", 0))
        ages = [(model.world.now - posted) / 3600 for _, posted, _ in model.live_stories(model.owner)]
        if before is None:
            due.append(sum(1 for age in ages if age >= 6))
        else:
            due.append(sum(1 for age in ages for mark in (6, 23) if age - (hour - before) < mark <= age))
        tags_pages.append(emulator.stats.by_endpoint["GET /{ig-user-id}/tags"])
        whole.append(-(-len(model.tagged_in(model.owner)) // PAGE_SIZE))
    assert asked == due and sum(asked) >= 2
    assert tags_pages == [whole[0]] + [1] * (len(RUN_HOURS) - 2) + [whole[-1]] and whole[0] > 1
