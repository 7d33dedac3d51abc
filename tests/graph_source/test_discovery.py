"""Stories, read while they live (24 h), with their insights; the recent media of hashtags,
within the limit of 30 unique hashtags an account may query in 7 days (instagram-graph/API.md
§2), tracked in the source state; competitors through business discovery; media the account is
tagged in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from emulator import Emulator
from emulator.graph.handlers import TOP_SIZE
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


def recent_media(emulator: Emulator, name: str) -> list[str]:
    """The world's public media tagged `name` in the last 24 hours, newest first, in Graph ids."""
    model = emulator.graph.model
    since = model.world.now - DAY
    return [model.media_id(m) for m in model.hashtag_media(model.world.tag_index(name)) if model.media(m)[1] > since]


def busiest_tag(emulator: Emulator) -> str:
    """After an hour in which 200 media were posted (the test world's users post a few media a
    day between them), the tag of the most public media of the last 24 hours: several pages."""
    emulator.advance(3600, new_media=200)
    return max(emulator.graph.model.world.tag_names(), key=lambda name: (len(recent_media(emulator, name)), name))


def top_media(emulator: Emulator, name: str) -> list[tuple[str, int]]:
    """(media id, likes) of the world's 50 most liked public media tagged `name`, most liked first."""
    model = emulator.graph.model
    tagged = model.hashtag_media(model.world.tag_index(name))
    ranked = sorted(tagged, key=lambda m: (-model.media(m)[6], -m))[:TOP_SIZE]
    return [(model.media_id(m), model.media(m)[6]) for m in ranked]


def test_recent_and_top_media_of_hashtags_equal_the_world(tmp_path: Path, graph_emulator: Emulator) -> None:
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "hashtag_media", hashtags=["#Love", "instagood"])
    for name in ("love", "instagood"):
        loaded = set(loader.column(f"SELECT media_id FROM hashtag_media WHERE hashtag = '{name}'"))
        assert loaded == set(recent_media(graph_emulator, name)) and loaded
        top = loader.rows(f"SELECT media_id, like_count FROM hashtag_top_media WHERE hashtag = '{name}' ORDER BY rank")
        assert top == top_media(graph_emulator, name) and len(top) == TOP_SIZE
    assert set(loader.source_state()["hashtags"]["queried"]) == {"love", "instagood"}


def test_recent_media_of_a_hashtag_are_read_down_to_the_last_read(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph()
    loader = GraphLoader(tmp_path)
    tag = busiest_tag(emulator)
    seen = recent_media(emulator, tag)
    loader.run(emulator, "hashtag_media", hashtags=[tag])
    assert emulator.stats.by_endpoint["GET /{ig-hashtag-id}/recent_media"] == -(-len(seen) // PAGE_SIZE) > 1
    news = []
    for hours in (3, 9, 12):
        emulator.advance(hours * 3600, new_media=60)
        recent = recent_media(emulator, tag)
        new = recent.index(seen[0]) if seen[0] in recent else len(recent)
        emulator.stats.reset()
        loader.run(emulator, "hashtag_media", hashtags=[tag])
        # pages down to the first that holds a media of the last read (or the list's end)
        assert emulator.stats.by_endpoint["GET /{ig-hashtag-id}/recent_media"] == max(
            1, -(-min(new + 1, len(recent)) // PAGE_SIZE)
        )
        seen = recent + [media for media in seen if media not in recent]
        news.append(new)
    assert sum(news) > 0, news
    loaded = loader.column("SELECT media_id FROM hashtag_media ORDER BY created_time DESC, media_id DESC")
    assert sorted(loaded) == sorted(seen)
    assert "GET /ig_hashtag_search" not in emulator.stats.by_endpoint  # searched once, in the first run


def test_a_read_of_recent_media_cut_short_is_resumed_from_its_cursor(tmp_path: Path, serve_graph) -> None:
    # each run may spend 4 requests (80 % of 5), the accounts' listing among them: a page or two
    # of the hashtag's recent media a run, each run going on from the page the last one reached
    emulator = serve_graph(rate_limit=5)
    tag = busiest_tag(emulator)
    recent = recent_media(emulator, tag)
    loader = GraphLoader(tmp_path)
    pages_read = []
    while not pages_read or "bookmark" not in loader.source_state()["hashtags"]["recent"][tag]:
        emulator.stats.reset()
        loader.run(emulator, "hashtag_media", hashtags=[tag], media_page_size=2)
        pages_read.append(emulator.stats.by_endpoint.get("GET /{ig-hashtag-id}/recent_media", 0))
        emulator.reset_rate_limits()  # the next hour
        assert len(pages_read) <= -(-len(recent) // 2)  # each run reads a page at least
    # until the read was complete, no page was read twice
    assert len(pages_read) > 2 and sum(pages_read) == -(-len(recent) // 2), pages_read
    assert sorted(loader.column("SELECT media_id FROM hashtag_media")) == sorted(recent)
    assert loader.source_state()["hashtags"]["recent"][tag]["bookmark"]["ids"] == [recent[0]]


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
    every = [model.media_id(index) for index in model.media_of(professional)]
    assert loader.column("SELECT media_id FROM competitor_media ORDER BY created_time DESC, media_id DESC") == every
    assert loader.rows("SELECT entity_kind, entity_id FROM extraction_errors") == [("competitor", unknown)]


def competitor_counts(emulator: Emulator, user: int, newest: int) -> set[tuple[str, int, int]]:
    """(media id, likes, comments) of the `newest` media of `user`, as the world holds them now."""
    model = emulator.graph.model
    return {(model.media_id(m), model.media(m)[6], model.media(m)[7]) for m in model.media_of(user)[:newest]}


def test_competitors_media_are_read_down_to_the_last_read_with_their_counters_each_run(
    tmp_path: Path, serve_graph
) -> None:
    emulator = serve_graph()
    model, world = emulator.graph.model, emulator.graph.model.world
    rival = next(
        i for i in range(1, 300) if model.is_professional(i) and i != model.owner and len(model.media_of(i)) > 10
    )
    loader = GraphLoader(tmp_path)
    discovery = "GET /{ig-user-id}"  # business discovery, asked of the account
    loader.run(emulator, "competitors", competitors=[model.user(rival)["username"]])
    assert emulator.stats.by_endpoint[discovery] == -(-len(model.media_of(rival)) // PAGE_SIZE) > 2
    snapshots = {}
    for posted in (3, 7):  # new media fill less than a page, then more
        with emulator.graph.world_lock:
            for _ in range(posted):
                world.publish(world.user_ids()[rival])
            model.changed()
        emulator.advance(3600)  # likes and comments come
        emulator.stats.reset()
        loader.run(emulator, "competitors", competitors=[model.user(rival)["username"]])
        # the pages down to the first that holds a media of the last read
        assert emulator.stats.by_endpoint[discovery] == -(-(posted + 1) // PAGE_SIZE)
        read = PAGE_SIZE * emulator.stats.by_endpoint[discovery]
        snapshots[world.now] = competitor_counts(emulator, rival, read)
    every = [model.media_id(index) for index in model.media_of(rival)]
    assert loader.column("SELECT media_id FROM competitor_media ORDER BY created_time DESC, media_id DESC") == every
    for now, truth in snapshots.items():
        loaded = loader.rows(
            f"SELECT media_id, like_count, comments_count FROM competitor_media_counts WHERE epoch(observed_at) = {now}"
        )
        assert set(loaded) == truth and len(loaded) == len(truth)
    assert loader.column("SELECT count(DISTINCT observed_at) FROM competitor_media_counts") == [3]


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
