"""Graph and engagement tables on emulator worlds, checked against networkx and the world's truth."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime

import networkx as nx
import pytest

from emulator import World, WorldConfig
from tests.transforms.conftest import Warehouse, at

TOLERANCE = 1e-6


def normalized_mutual_information(truth: list, found: list) -> float:
    """NMI (arithmetic-mean normalisation) between two labelings of the same items."""
    n = len(truth)
    truth_sizes, found_sizes, joint = Counter(truth), Counter(found), Counter(zip(truth, found))
    mutual = sum(c / n * math.log(c * n / (truth_sizes[t] * found_sizes[f])) for (t, f), c in joint.items())
    entropy = lambda sizes: -sum(c / n * math.log(c / n) for c in sizes.values())  # noqa: E731
    return 2 * mutual / (entropy(truth_sizes) + entropy(found_sizes))


def load_world(warehouse: Warehouse, world: World, engagement_owners: int = 0) -> None:
    """Follow edges of the whole world (from both lists of every user, so each edge is seen twice);
    media, likes and comments of the first few users."""
    warehouse.write_follow_edges(world.follow_edges(), at(0), lists=("followed_by", "follows"))
    media_rows, like_rows, comment_rows = [], [], []
    for owner in world.user_ids()[:engagement_owners]:
        for media_id in world.media_ids_of_user(owner):
            media = world.media(media_id)
            media_rows.append(
                {
                    "id": media_id,
                    "user_id": owner,
                    "type": media["type"],
                    "created_time": datetime.fromtimestamp(int(media["created_time"]), UTC),
                    "likes_count": media["likes"]["count"],
                    "comments_count": media["comments"]["count"],
                    "observed_at": at(0),
                }
            )
            like_rows += [
                {"like_key": f"{media_id}:{u}", "media_id": media_id, "user_id": u, "observed_at": at(0)}
                for u in world.media_likers(media_id)
            ]
            comment_rows += [
                {
                    "id": c["id"],
                    "media_id": media_id,
                    "from_user_id": c["from"]["id"],
                    "text": c["text"],
                    "created_time": datetime.fromtimestamp(int(c["created_time"]), UTC),
                }
                for c in world.media_comments(media_id)
            ]
    for table, rows in (("media", media_rows), ("likes", like_rows), ("comments", comment_rows)):
        if rows:
            warehouse.write_raw(table, rows)


@pytest.fixture(scope="module", params=[11, 12])
def emulated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    world = World(WorldConfig(seed=request.param, users=400))
    warehouse = Warehouse(tmp_path_factory.mktemp(f"world{request.param}") / "instagram.duckdb")
    load_world(warehouse, world, engagement_owners=60)
    warehouse.transform()
    return world, warehouse


def test_graph_metrics_match_networkx(emulated) -> None:
    world, warehouse = emulated
    graph = nx.DiGraph(world.follow_edges())
    metrics = warehouse.by_key("user_graph_metrics", "user_id")
    assert set(metrics) == set(graph)
    edges = warehouse.query("SELECT follower_id, followed_id FROM instagram_analytics.follow_edges")
    assert sorted(edges) == sorted(graph.edges)  # each edge once, though two lists show it
    pagerank = nx.pagerank(graph, alpha=0.85, tol=1e-13, max_iter=1000)
    clustering = nx.clustering(graph)
    for user in graph:
        row = metrics[user]
        assert row["followers"] == graph.in_degree(user)
        assert row["following"] == graph.out_degree(user)
        assert row["mutual_follows"] == len(set(graph.successors(user)) & set(graph.predecessors(user)))
        assert row["pagerank"] == pytest.approx(pagerank[user], abs=TOLERANCE)
        assert row["clustering_coefficient"] == pytest.approx(clustering[user], abs=TOLERANCE)
    found_components = defaultdict(set)
    for user, row in metrics.items():
        found_components[row["component_id"]].add(user)
    expected = {frozenset(c) for c in nx.weakly_connected_components(graph)}
    assert {frozenset(c) for c in found_components.values()} == expected
    assert all(cid == min(members) for cid, members in found_components.items())
    reverse = graph.reverse(copy=False)
    for user in graph:  # every follower of the world has its follows list read: all are seeds
        if metrics[user]["is_seed"]:
            reach = nx.single_source_shortest_path_length(reverse, user, cutoff=2)
            assert metrics[user]["two_hop_reach"] == len(reach) - 1


def test_graph_summary_matches_networkx(emulated) -> None:
    world, warehouse = emulated
    graph = nx.DiGraph(world.follow_edges())
    (summary,) = warehouse.rows("graph_summary")
    assert (summary["nodes"], summary["edges"]) == (graph.number_of_nodes(), graph.number_of_edges())
    assert summary["reciprocity"] == pytest.approx(nx.overall_reciprocity(graph), abs=TOLERANCE)
    assert summary["density"] == pytest.approx(nx.density(graph), abs=TOLERANCE)
    assert summary["components"] == nx.number_weakly_connected_components(graph)
    communities = defaultdict(set)
    for user, row in warehouse.by_key("user_graph_metrics", "user_id").items():
        communities[row["community_id"]].add(user)
    assert summary["communities"] == len(communities)
    modularity = nx.community.modularity(graph.to_undirected(), communities.values())
    assert summary["modularity"] == pytest.approx(modularity, abs=TOLERANCE)


def test_communities_recover_the_planted_ones(emulated) -> None:
    world, warehouse = emulated
    metrics = warehouse.by_key("user_graph_metrics", "user_id")
    users = sorted(metrics)
    nmi = normalized_mutual_information(
        [world.community(u) for u in users], [metrics[u]["community_id"] for u in users]
    )
    # label propagation on these worlds scores ~0.93-0.99; a random labeling scores ~0.1
    assert nmi > 0.85, nmi


def test_engagement_matches_the_world(emulated) -> None:
    world, warehouse = emulated
    owners = world.user_ids()[:60]
    given: Counter = Counter()
    for owner in owners:
        for media_id in world.media_ids_of_user(owner):
            given.update((u, owner, "like") for u in world.media_likers(media_id) if u != owner)
            given.update(
                (c["from"]["id"], owner, "comment") for c in world.media_comments(media_id) if c["from"]["id"] != owner
            )
    edges = {(r["actor_id"], r["owner_id"]): r for r in warehouse.rows("interaction_edges")}
    assert {pair for pair in edges} == {(a, o) for a, o, _ in given}
    for (actor, owner), row in edges.items():
        assert (row["likes_given"], row["comments_given"]) == (
            given[(actor, owner, "like")],
            given[(actor, owner, "comment")],
        )
        assert row["actor_follows_owner"] == (owner in world.follows(actor))
    ghosts = Counter(g["owner_id"] for g in warehouse.rows("ghost_followers"))
    for owner in owners:
        # ghosts are known only for owners with a like or comment loaded (load_world loads all)
        if any(world.media_likers(m) or world.media_comments(m) for m in world.media_ids_of_user(owner)):
            engaged = {a for (a, o) in edges if o == owner}
            assert ghosts[owner] == len(set(world.followed_by(owner)) - engaged)
        else:
            assert ghosts[owner] == 0
