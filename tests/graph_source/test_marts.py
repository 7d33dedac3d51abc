"""The marts over what the Graph API source loaded, against the emulator world's truth: a
warehouse fed by the Graph API alone gives the engagement marts the world holds, and a world read
through both APIs into one warehouse gives, for the media both see, the marts v1 alone gives,
each media and account counted once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator, World
from tests.source.conftest import Loader
from transforms import run_transforms

from .conftest import GRAPH_SOURCE_WORLD, GraphLoader, Truth, analytics

MEDIA_TYPES = {0: "image", 1: "video", 2: "carousel"}


def day(unix: int) -> Any:
    return datetime.fromtimestamp(unix, UTC).date()


@pytest.fixture(scope="module")
def graph_only(graph_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse the Graph API source alone fed, with its analytics built."""
    loader = GraphLoader(tmp_path_factory.mktemp("graph_marts"))
    run_transforms(loader.run(graph_emulator, "accounts", "media"))
    return loader.database


def test_media_engagement_is_the_worlds(graph_only: Path, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator)
    comments = Counter(media for media, _ in truth.comments().values())
    expected = {}
    for index in truth.media_indices():
        owner, posted, kind, _, _, shortcode, likes, comment_count = truth.model.media(index)
        media_id = truth.model.media_id(index)
        expected[media_id] = (
            truth.account_id,
            MEDIA_TYPES[kind],
            datetime.fromtimestamp(posted, UTC),
            f"https://www.instagram.com/p/{shortcode}/",
            likes,
            comment_count,
            likes + comment_count,
            comments[media_id],
        )
    rows = analytics(
        graph_only,
        "SELECT media_id, owner_id, media_type, created_at, link, likes, comments, engagement, comments_loaded"
        " FROM media_engagement",
    )
    assert {media_id: tuple(rest) for media_id, *rest in rows} == expected
    followers = truth.model.user(truth.owner)["followers_count"]
    rates = analytics(graph_only, "SELECT DISTINCT owner_followers FROM media_engagement")
    assert rates == [(followers,)]


def test_account_user_tag_and_daily_marts_are_the_worlds(graph_only: Path, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator)
    world = graph_emulator.world
    facts = truth.model.user(truth.owner)
    media = [truth.model.media(index) for index in truth.media_indices()]
    assert analytics(graph_only, "SELECT user_id, username, followers, following, posts_reported FROM accounts") == [
        (truth.account_id, facts["username"], facts["followers_count"], facts["follows_count"], len(media))
    ]
    assert analytics(
        graph_only,
        f"SELECT posts, likes_received, comments_received FROM user_engagement WHERE user_id = '{truth.account_id}'",
    ) == [(len(media), sum(m[6] for m in media), sum(m[7] for m in media))]

    tags: dict[str, list[int]] = {}
    for index in truth.media_indices():
        for tag in world.media(world.media_id_at(index))["tags"]:
            tags.setdefault(tag.lower(), []).append(index)
    assert tags
    expected_tags = {
        tag: (len(indices), sum(truth.model.media(i)[6] for i in indices)) for tag, indices in tags.items()
    }
    rows = analytics(graph_only, "SELECT tag, media, total_likes FROM tag_engagement")
    assert {tag: (count, likes) for tag, count, likes in rows} == expected_tags

    posted = Counter(day(m[1]) for m in media)
    written = Counter(
        day(world.comment_facts(int(cid) - int(truth.model.comment_id(0)))[2]) for cid in truth.comments()
    )
    rows = analytics(
        graph_only,
        "SELECT day, new_media, comments_received FROM daily_engagement"
        f" WHERE owner_id = '{truth.account_id}' AND (new_media > 0 OR comments_received > 0)",
    )
    assert {d: (n, c) for d, n, c in rows} == {d: (posted[d], written[d]) for d in posted.keys() | written.keys()}


def test_both_apis_over_one_world_give_v1s_marts_once(tmp_path: Path) -> None:
    """v1 and the Graph API read the same world into one warehouse: the media both see keep
    v1's ids and figures, and nothing is counted twice."""
    world = World(GRAPH_SOURCE_WORLD)
    v1_config = {"crawl_depth": 0, "resources": ["user_media", "user_profiles", "follow_graph"]}
    with Emulator(world, rate_limit=10**6) as v1, Emulator(world, api="graph", rate_limit=10**6) as graph:
        alone = Loader(tmp_path / "alone")
        run_transforms(alone.run(v1, **v1_config))
        both_graph = GraphLoader(tmp_path / "both")
        both = Loader(tmp_path / "both", warehouse=both_graph.warehouse)
        both.run(v1, **v1_config)
        run_transforms(both_graph.run(graph, "accounts", "media"))
        truth = Truth(graph)

    owner = world.default_user_id
    compared = {
        "media_engagement": "media_id, owner_id, media_type, created_at, location_id, caption, link, likes, comments,"
        " engagement, likers_loaded, comments_loaded, unique_commenters, owner_followers",
        "user_engagement": "user_id, posts, likes_received, comments_received, first_post_at, last_post_at",
        "tag_engagement": "tag, media, distinct_authors, total_likes, total_comments, top_media_id",
        "daily_engagement": "day, owner_id, new_media, comments_received",
        "accounts": "user_id, is_token_user, username, followers, following, posts_reported",
    }
    for table, columns in compared.items():
        query = f"SELECT {columns} FROM {table} ORDER BY ALL"
        assert analytics(both.database, query) == analytics(alone.database, query), table
    owned = analytics(both.database, f"SELECT count(*) FROM media_engagement WHERE owner_id = '{owner}'")
    assert owned == [(len(truth.media_indices()),)]
    # the Graph API's media and account resolve to v1's ids; replies keep their parent
    assert analytics(both.database, "SELECT bool_and(seen_by_v1), count(*) FROM stg_graph_media_ids") == [
        (True, len(truth.media_indices()))
    ]
    parents = {cid: parent for cid, (_, parent) in truth.comments().items() if parent}
    rows = analytics(
        both.database, "SELECT comment_id, parent_comment_id FROM stg_comments WHERE parent_comment_id IS NOT NULL"
    )
    assert dict(rows) == parents
