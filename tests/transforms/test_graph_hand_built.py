"""Graph tables on small hand-built graphs: every expected figure is worked out by hand here."""

from __future__ import annotations

import pytest

from tests.transforms.conftest import Warehouse, at

# a -> b, b -> a, b -> c, c -> a  (one component with a triangle) and d -> e (a second component);
# the four follows lists are read at T0, and b's followers list too (so a -> b is seen twice).
EDGES = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "a"), ("d", "e")]


@pytest.fixture
def small_graph(warehouse: Warehouse) -> Warehouse:
    warehouse.write_follow_edges(EDGES, at(0))
    warehouse.write_raw(
        "follow_edges",
        [
            {
                "edge_key": "followed_by:b:a",
                "list_key": "followed_by:b",
                "follower_id": "a",
                "followed_id": "b",
                "valid_from": at(0),
                "valid_to": None,
            }
        ],
    )
    warehouse.transform()
    return warehouse


def test_degrees_mutuals_components_and_clustering(small_graph: Warehouse) -> None:
    metrics = small_graph.by_key("user_graph_metrics", "user_id")
    assert set(metrics) == {"a", "b", "c", "d", "e"}
    expected = {  # followers, following, mutual_follows, follow_back_ratio, component, size
        "a": (2, 1, 1, 1.0, "a", 3),
        "b": (1, 2, 1, 0.5, "a", 3),
        "c": (1, 1, 0, 0.0, "a", 3),
        "d": (0, 1, 0, 0.0, "d", 2),
        "e": (1, 0, 0, None, "d", 2),
    }
    for user, values in expected.items():
        row = metrics[user]
        got = (
            row["followers"],
            row["following"],
            row["mutual_follows"],
            row["follow_back_ratio"],
            row["component_id"],
            row["component_size"],
        )
        assert got == values, user
    # Triangle {a, b, c}: s(a,b) = 2 (mutual), s(b,c) = s(c,a) = 1, product 2.
    # c(u) = product / (d_tot (d_tot - 1) - 2 d_mutual):
    # a: d_tot 3, d_mutual 1 -> 2 / 4; b: same; c: d_tot 2, d_mutual 0 -> 2 / 2.
    clustering = {user: row["clustering_coefficient"] for user, row in metrics.items()}
    assert clustering == pytest.approx({"a": 0.5, "b": 0.5, "c": 1.0, "d": 0.0, "e": 0.0})


def test_two_hop_reach_counts_followers_and_their_followers(small_graph: Warehouse) -> None:
    metrics = small_graph.by_key("user_graph_metrics", "user_id")
    # a: followers {b, c}, their followers {a, b} -> {b, c}; b: {a} then {b, c} -> {a, c};
    # c: {b} then {a} -> {a, b}; d: nobody. e's lists were never read: not a seed.
    assert {u: metrics[u]["two_hop_reach"] for u in "abcde"} == {"a": 2, "b": 2, "c": 2, "d": 0, "e": None}
    assert [u for u in "abcde" if metrics[u]["is_seed"]] == ["a", "b", "c", "d"]


def test_edges_are_deduplicated_and_mutuals_listed_per_seed(small_graph: Warehouse) -> None:
    edges = small_graph.rows("follow_edges", "follower_id, followed_id")
    assert [(e["follower_id"], e["followed_id"]) for e in edges] == sorted(EDGES)
    a_to_b = edges[0]
    assert a_to_b["seen_in_follows_list"] and a_to_b["seen_in_followed_by_list"]
    assert a_to_b["is_mutual"]
    mutuals = small_graph.rows("mutual_follows", "seed_user_id")
    assert [(m["seed_user_id"], m["user_id"]) for m in mutuals] == [("a", "b"), ("b", "a")]
    # only b's followers list was read: b follows a (mutual) and c (who does not follow back)
    not_back = small_graph.rows("non_followers_back")
    assert [(n["seed_user_id"], n["user_id"]) for n in not_back] == [("b", "c")]


def test_graph_summary(small_graph: Warehouse) -> None:
    (summary,) = small_graph.rows("graph_summary")
    assert summary["as_of"] == at(0)
    assert (summary["nodes"], summary["edges"], summary["reciprocated_edges"]) == (5, 5, 2)
    assert summary["reciprocity"] == pytest.approx(2 / 5)
    assert summary["density"] == pytest.approx(5 / (5 * 4))
    assert (summary["components"], summary["largest_component_size"]) == (2, 3)
    # the undirected projection has 4 edges: {a,b}, {b,c}, {c,a}, {d,e}; the two components are
    # the best split: Q = sum over communities of internal/m - (degree_sum / 2m)^2
    assert summary["communities"] == 2
    assert summary["modularity"] == pytest.approx((3 / 4 - (6 / 8) ** 2) + (1 / 4 - (2 / 8) ** 2))


def test_pagerank_of_a_three_node_cycle_solved_by_hand(warehouse: Warehouse) -> None:
    # a -> b, b -> c, c -> a, c -> b; N = 3, d = 0.85, no dangling node:
    #   pa = 0.05 + 0.85 pc / 2,   pb = 0.05 + 0.85 (pa + pc / 2),   pc = 0.05 + 0.85 pb
    # substituting pc then pa into pb: pb = 0.1318125 + 0.6683125 pb
    warehouse.write_follow_edges([("a", "b"), ("b", "c"), ("c", "a"), ("c", "b")], at(0))
    warehouse.transform()
    pb = 0.1318125 / (1 - 0.6683125)
    pc = 0.05 + 0.85 * pb
    pa = 0.05 + 0.85 * pc / 2
    ranks = {u: row["pagerank"] for u, row in warehouse.by_key("user_graph_metrics", "user_id").items()}
    assert ranks == pytest.approx({"a": pa, "b": pb, "c": pc}, abs=1e-9)
    assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_pagerank_spreads_dangling_rank_uniformly(warehouse: Warehouse) -> None:
    # a -> b; b follows nobody, so its rank is spread over both nodes:
    #   pa = 0.075 + 0.85 pb / 2,  pa + pb = 1  ->  pa = 0.5 / 1.425
    warehouse.write_follow_edges([("a", "b")], at(0))
    warehouse.transform()
    ranks = {u: row["pagerank"] for u, row in warehouse.by_key("user_graph_metrics", "user_id").items()}
    assert ranks == pytest.approx({"a": 0.5 / 1.425, "b": 1 - 0.5 / 1.425}, abs=1e-9)


def edge_row(list_key: str, follower: str, followed: str, valid_from, valid_to=None) -> dict:
    other = followed if list_key.startswith("follows:") else follower
    return {
        "edge_key": f"{list_key}:{other}",
        "list_key": list_key,
        "follower_id": follower,
        "followed_id": followed,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def test_follow_events_from_scd2_history(warehouse: Warehouse) -> None:
    # follows:x read at T0 (y, z), T1 (y, w: z gone, w new), T2 (y, w, z back);
    # followed_by:w first read at T3, showing x -> w, which follows:x had shown since T1.
    t0, t1, t2, t3 = at(0), at(1), at(2), at(3)
    warehouse.write_raw(
        "follow_edges",
        [
            edge_row("follows:x", "x", "y", t0),
            edge_row("follows:x", "x", "z", t0, t1),
            edge_row("follows:x", "x", "w", t1),
            edge_row("follows:x", "x", "z", t2),
            edge_row("followed_by:w", "x", "w", t3),
        ],
    )
    warehouse.transform()
    events = warehouse.rows("follow_events", "observed_at, followed_id, event_type")
    assert [(e["followed_id"], e["event_type"], e["observed_at"]) for e in events] == [
        ("y", "initial", t0),
        ("z", "initial", t0),
        ("w", "follow", t1),
        ("z", "unfollow", t1),
        ("z", "follow", t2),
    ]
    current = warehouse.by_key("follow_edges", "followed_id")
    assert {u: (e["first_seen_at"], e["first_seen_at_first_read"]) for u, e in current.items()} == {
        "y": (t0, True),
        "w": (t1, False),
        "z": (t2, False),
    }
    assert current["w"]["seen_in_followed_by_list"] and current["w"]["seen_in_follows_list"]


def test_graph_summary_appends_one_row_per_observation(warehouse: Warehouse) -> None:
    warehouse.write_follow_edges([("a", "b")], at(0))
    warehouse.transform()
    warehouse.transform()
    assert len(warehouse.rows("graph_summary")) == 1
    warehouse.write_follow_edges([("b", "a")], at(1))
    warehouse.transform()
    summaries = warehouse.rows("graph_summary", "as_of")
    assert [(s["as_of"], s["edges"], s["reciprocity"]) for s in summaries] == [(at(0), 1, 0.0), (at(1), 2, 1.0)]


def list_read(list_key: str, read_at, member_count: int) -> dict:
    kind, owner = list_key.split(":")
    return {
        "list_key": list_key,
        "user_id": owner,
        "list_kind": kind,
        "observed_at": read_at,
        "member_count": member_count,
    }


def test_the_newest_read_of_either_list_decides(warehouse: Warehouse) -> None:
    # x -> y: both lists show it at T0; followed_by:y read at T1 no longer does, while follows:x,
    # read last at T0, still holds it; follows:x read again at T2 shows it (it changed nothing,
    # so only follow_list_reads has that read); followed_by:y shows it again at T3.
    # u -> y: follows:u, first read at T1, shows it, followed_by:y read then lacks it (the same
    # instant: it holds), followed_by:y at T3 lacks it and follows:u is not read again.
    # v -> z: followed_by:z was empty at T0 and shows v at T1; follows:v is never read.
    # p -> q: follows:p shows it at T1 and T3, followed_by:q (always empty) lacks it at T0, T2, T4.
    t0, t1, t2, t3, t4 = at(0), at(1), at(2), at(3), at(4)
    warehouse.write_raw(
        "follow_edges",
        [
            edge_row("follows:x", "x", "y", t0),
            edge_row("followed_by:y", "x", "y", t0, t1),
            edge_row("followed_by:y", "x", "y", t3),
            edge_row("follows:u", "u", "y", t1),
            edge_row("followed_by:z", "v", "z", t1),
            edge_row("follows:p", "p", "q", t1),
        ],
    )
    warehouse.write_raw(
        "follow_list_reads",
        [
            list_read("follows:x", t0, 1),
            list_read("followed_by:y", t0, 1),
            list_read("followed_by:z", t0, 0),
            list_read("followed_by:y", t1, 0),
            list_read("follows:u", t1, 1),
            list_read("followed_by:z", t1, 1),
            list_read("follows:x", t2, 1),
            list_read("followed_by:y", t3, 1),
            *(list_read("follows:p", t, 1) for t in (t1, t3)),
            *(list_read("followed_by:q", t, 0) for t in (t0, t2, t4)),
        ],
    )
    warehouse.transform()
    events = warehouse.rows("follow_events", "observed_at, follower_id, event_type")
    assert [(e["follower_id"], e["followed_id"], e["event_type"], e["observed_at"]) for e in events] == [
        ("x", "y", "initial", t0),
        ("p", "q", "follow", t1),
        ("u", "y", "follow", t1),
        ("v", "z", "follow", t1),
        ("x", "y", "unfollow", t1),
        ("p", "q", "unfollow", t2),
        ("x", "y", "follow", t2),
        ("p", "q", "follow", t3),
        ("u", "y", "unfollow", t3),
        ("p", "q", "unfollow", t4),
    ]
    current = {(e["follower_id"], e["followed_id"]): e for e in warehouse.rows("follow_edges")}
    assert {
        edge: (
            e["first_seen_at"],
            e["first_seen_at_first_read"],
            e["last_confirmed_at"],
            e["seen_in_follows_list"],
            e["seen_in_followed_by_list"],
        )
        for edge, e in current.items()
    } == {("x", "y"): (t2, False, t3, True, True), ("v", "z"): (t1, False, t1, False, True)}
    (summary,) = warehouse.rows("graph_summary")
    assert (summary["as_of"], summary["edges"]) == (t4, 2)
    # z was read with no follower at all: a seed all the same, whose followers are known
    seeds = {u: m["is_seed"] for u, m in warehouse.by_key("user_graph_metrics", "user_id").items()}
    assert seeds == {"p": True, "q": True, "u": True, "v": False, "x": True, "y": True, "z": True}
