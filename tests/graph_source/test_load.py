"""The Graph API source against the Graph emulator over real HTTP: what it loads equals the
world's truth (accounts both ways in, media, album children, comments and replies, insights),
and a second run after the world moved adds what is new without duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from emulator import Emulator
from emulator.graph.model import node_id

from .conftest import GraphLoader, Truth, publish


@pytest.fixture(scope="module")
def loaded(graph_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> GraphLoader:
    """One run of the source over the module's world (Facebook Login)."""
    loader = GraphLoader(tmp_path_factory.mktemp("graph_load"))
    loader.run(graph_emulator)
    return loader


def test_accounts_through_facebook_login(loaded: GraphLoader, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator)
    facts = truth.model.user(truth.owner)
    [(account_id, login, page_id)] = loaded.rows("SELECT id, login, page_id FROM accounts")
    assert (account_id, login) == (truth.account_id, "facebook")
    assert page_id  # the Page linked to it; the second Page, unlinked, is skipped
    counts = loaded.rows("SELECT followers_count, follows_count, media_count FROM account_counts")
    assert counts == [(facts["followers_count"], facts["follows_count"], len(truth.media_ids()))]


def test_media_children_and_counts_equal_the_world(loaded: GraphLoader, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator)
    assert loaded.column("SELECT id FROM media ORDER BY created_time DESC, id") == truth.media_ids()
    albums = {
        truth.model.media_id(index): [node_id("child", index * 8 + p) for p in range(truth.model.media(index)[3])]
        for index in truth.media_indices()
        if truth.model.media(index)[3]
    }
    assert albums
    children = loaded.rows("SELECT media_id, id FROM media_children ORDER BY media_id, position")
    assert {media: [c for m, c in children if m == media] for media, _ in children} == albums
    comments_count = dict(loaded.rows("SELECT id, comments_count FROM media"))
    assert comments_count == {truth.model.media_id(i): truth.model.media(i)[7] for i in truth.media_indices()}
    assert loaded.column("SELECT count(*) FROM media_counts") == [len(truth.media_ids())]


def test_comments_and_replies_equal_the_world(loaded: GraphLoader, graph_emulator: Emulator) -> None:
    truth = Truth(graph_emulator).comments()
    assert any(parent for _, parent in truth.values())
    loaded_comments = {
        cid: (media, parent) for cid, media, parent in loaded.rows("SELECT id, media_id, parent_id FROM comments")
    }
    assert loaded_comments == truth
    assert loaded.column("SELECT count(*) FROM comments WHERE from_id IS NULL OR text IS NULL") == [0]


def test_insights_equal_what_the_api_serves(loaded: GraphLoader, graph_emulator: Emulator) -> None:
    rows = loaded.rows("SELECT media_id, metric, value, media_product_type FROM media_insights")
    assert {product for *_, product in rows} >= {"FEED", "REELS"}
    token, base = graph_emulator.access_token, f"{graph_emulator.base_url}/v24.0"
    for media_id in sorted({media for media, *_ in rows})[:4]:
        served = requests.get(
            f"{base}/{media_id}/insights", params={"metric": "reach,views,saved", "access_token": token}, timeout=10
        ).json()["data"]
        expected = {metric["name"]: metric["values"][0]["value"] for metric in served}
        assert {m: v for media, m, v, _ in rows if media == media_id and m in expected} == expected
    daily = loaded.rows("SELECT metric, count(*) FROM account_insights GROUP BY metric ORDER BY metric")
    assert daily == [("reach", 2), ("views", 2)]  # follower_count needs 100 followers


def test_instagram_login_finds_the_account_as_me(tmp_path: Path, graph_emulator: Emulator) -> None:
    token = graph_emulator.issue_token({"kind": "ig_long"})["access_token"]
    loader = GraphLoader(tmp_path)
    loader.run(graph_emulator, "accounts", access_token=token)
    assert loader.rows("SELECT id, login, page_id FROM accounts") == [
        (Truth(graph_emulator).account_id, "instagram", None)
    ]


def test_a_second_run_adds_what_is_new_without_duplicates(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph()
    loader = GraphLoader(tmp_path)
    loader.run(emulator)
    emulator.advance(3 * 86400)
    posted = publish(emulator, "a new post")
    loader.run(emulator)
    truth = Truth(emulator)
    assert posted == truth.media_ids()[0]
    assert loader.column("SELECT id FROM media ORDER BY created_time DESC, id") == truth.media_ids()
    assert loader.column("SELECT count(*) - count(DISTINCT id) FROM comments") == [0]
    assert set(loader.column("SELECT id FROM comments")) == set(truth.comments())


def test_usage_reaching_the_budget_share_stops_the_run_cleanly(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph(rate_limit=40)  # 80 % of it, the default share: 32 requests, short of the 50 needed
    loader = GraphLoader(tmp_path)
    loader.run(emulator, "media")
    stopped = loader.source_state()["last_run"]
    assert (
        stopped["budget_exhausted"] and stopped["work_remaining"] and stopped["requests"] < 40
    )  # before the server throttles
    read = set(loader.column("SELECT id FROM media"))
    assert read and len(read) < len(Truth(emulator).media_ids())

    emulator.reset_rate_limits()
    loader.run(emulator, "media", budget_share=1.0)
    assert loader.column("SELECT id FROM media ORDER BY created_time DESC, id") == Truth(emulator).media_ids()


def test_a_budget_smaller_than_a_page_of_reads_still_moves_on(tmp_path: Path, serve_graph) -> None:
    # one page holds all 26 media, each read with its insights and comments: 50 requests, and
    # the share of each run is 8 (80 % of 10); a run stopped part way through the page loads the
    # media it read, and the next run reads the others (one worker: each run finishes some)
    emulator = serve_graph(rate_limit=10)
    loader = GraphLoader(tmp_path)
    loaded: list[int] = []
    for _ in range(20):
        loader.run(emulator, "media", media_page_size=100, workers=1)
        loaded.append(len(loader.column("SELECT id FROM media")))
        if not loader.source_state()["last_run"]["work_remaining"]:
            break
        emulator.reset_rate_limits()  # the next hour
    truth = Truth(emulator)
    every = loaded.index(len(truth.media_ids()))  # each run read more, until every media was read
    assert every > 3 and all(before < after for before, after in zip(loaded, loaded[1 : every + 1])), loaded
    assert loader.column("SELECT id FROM media ORDER BY created_time DESC, id") == truth.media_ids()
    assert set(loader.column("SELECT id FROM comments")) == set(truth.comments())
    assert loader.column("SELECT count(*) - count(DISTINCT media_id) FROM media_counts") == [0]
