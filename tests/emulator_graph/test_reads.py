"""Reads of the Graph mode over one shared emulator (instagram-graph/API.md §1–§3): both ways
in, field selection and expansion, paging to the end in both directions, business discovery,
hashtag media, and numbers in the ranges real accounts show."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from emulator import Emulator

from .conftest import Graph

MEDIA = 60  # the token user's media in GRAPH_WORLD


def test_facebook_login_way_in(graph: Graph) -> None:
    pages = graph.ok("me/accounts", fields="instagram_business_account{id,username}")["data"]
    assert pages[0]["instagram_business_account"]["id"] == graph.me
    assert "instagram_business_account" not in pages[1]  # a Page without an IG account


def test_defaults_and_ids(graph: Graph) -> None:
    assert graph.ok(graph.me) == {"id": graph.me}  # a node without `fields`: its id only
    media = graph.ok(f"{graph.me}/media")["data"]
    assert all(set(m) == {"id"} for m in media) and len(media) == 25  # default limit
    counted = graph.ok(f"{graph.me}/media", fields="comments_count", limit=100)["data"]
    commented = next(m for m in counted if m["comments_count"])  # a few per cent of followers comment
    comments = graph.ok(f"{commented['id']}/comments")["data"]
    assert comments and all(set(c) == {"timestamp", "text", "id"} for c in comments)


def test_field_expansion(graph: Graph) -> None:
    media = graph.ok(
        f"{graph.me}/media",
        fields="id,media_type,owner{id,username},children{id,media_type,media_url},"
        "comments.limit(2){id,text,from{id,username},replies{id,parent_id}}",
        limit=100,
    )["data"]
    assert all(m["owner"]["id"] == graph.me and m["owner"]["username"] for m in media)
    albums = [m for m in media if m["media_type"] == "CAROUSEL_ALBUM"]
    assert albums and all(len(m["children"]["data"]) >= 2 for m in albums)
    assert all("children" not in m for m in media if m["media_type"] != "CAROUSEL_ALBUM")
    commented = [m for m in media if "comments" in m]
    assert commented and all(len(m["comments"]["data"]) <= 2 for m in commented)
    # a list on a single page has no `paging`
    paged = next(m for m in commented if "next" in m["comments"].get("paging", {}))
    rest = graph.session.get(paged["comments"]["paging"]["next"], timeout=10).json()
    assert rest["data"] and set(rest["data"][0]) >= {"id", "text", "from"}  # the nested selection kept


def test_field_errors(graph: Graph) -> None:
    unknown = graph.error(graph.get(graph.me, fields="id,nope"))
    assert unknown["message"] == "(#100) Tried accessing nonexisting field (nope) on node type (IGUser)"
    syntax = graph.error(graph.get(graph.me, fields="media{id"))
    assert syntax["code"] == 100 and "Syntax error" in syntax["message"]
    assert graph.error(graph.get(f"{graph.me}/nope"))["code"] == 2500


def test_paging_ends_with_neither_next_nor_after(graph: Graph) -> None:
    pages = graph.walk(f"{graph.me}/media", fields="id,timestamp", limit=7)
    assert [len(p["data"]) for p in pages] == [7] * 8 + [4]
    for page in pages[:-1]:
        assert {"before", "after"} <= set(page["paging"]["cursors"]) and "next" in page["paging"]
    assert "after" not in pages[-1]["paging"]["cursors"] and "next" not in pages[-1]["paging"]
    assert "previous" not in pages[0]["paging"] and all("previous" in p["paging"] for p in pages[1:])
    ids = [m["id"] for p in pages for m in p["data"]]
    assert len(set(ids)) == MEDIA
    query = parse_qs(urlsplit(pages[0]["paging"]["next"]).query)
    assert query["access_token"] == [graph.token] and query["fields"] == ["id,timestamp"] and query["limit"] == ["7"]
    back = graph.session.get(pages[3]["paging"]["previous"], timeout=10).json()
    assert back["data"] == pages[2]["data"]  # `before` gives the page before again
    resent = graph.ok(f"{graph.me}/media", fields="id,timestamp", limit=7, after=pages[0]["paging"]["cursors"]["after"])
    assert resent["data"] == pages[1]["data"]  # resending `after` works like following `next`


def test_since_until_leave_short_and_empty_pages_that_carry_next(graph: Graph) -> None:
    media = graph.ok(f"{graph.me}/media", fields="timestamp", limit=100)["data"]
    middle = media[30]["timestamp"]
    from .test_rules import _unix

    pages = graph.walk(f"{graph.me}/media", fields="id,timestamp", limit=5, until=_unix(middle))
    served = [m for p in pages for m in p["data"]]
    assert len(served) == MEDIA - 30
    assert any(not p["data"] and "next" in p.get("paging", {}) for p in pages)  # an empty page goes on


def test_business_discovery_with_nested_paging(graph: Graph, graph_emulator: Emulator) -> None:
    model = graph_emulator.graph.model
    other = next(
        i
        for i in range(model.world.user_count())
        if i != model.owner and model.is_professional(i) and model.user(i)["media_count"] > 4
    )
    username = model.user(other)["username"]
    first = graph.ok(
        graph.me,
        fields=f"business_discovery.username({username}){{followers_count,media_count,media.limit(3){{like_count,timestamp}}}}",
    )["business_discovery"]
    assert first["followers_count"] == model.user(other)["followers_count"]
    assert len(first["media"]["data"]) == 3 and "next" not in first["media"]["paging"]  # cursors only
    after = first["media"]["paging"]["cursors"]["after"]
    second = graph.ok(
        graph.me, fields=f"business_discovery.username({username}){{media.after({after}).limit(3){{timestamp}}}}"
    )["business_discovery"]
    assert second["media"]["data"][0]["timestamp"] <= first["media"]["data"][-1]["timestamp"]
    assert not {m["id"] for m in second["media"]["data"]} & {m["id"] for m in first["media"]["data"]}
    private = next(i for i in range(model.world.user_count()) if model.user(i)["is_private"])
    missing = graph.error(
        graph.get(graph.me, fields=f"business_discovery.username({model.user(private)['username']}){{id}}")
    )
    assert (missing["code"], missing["error_subcode"]) == (110, 2207013)


def test_hashtag_media(graph: Graph, graph_emulator: Emulator) -> None:
    tag = graph.ok("ig_hashtag_search", user_id=graph.me, q="love")["data"][0]["id"]
    pages = graph.walk(f"{tag}/recent_media", user_id=graph.me, fields="id,timestamp", limit=100)
    assert all(len(p["data"]) <= 50 for p in pages)
    assert all("before" not in p.get("paging", {}).get("cursors", {}) for p in pages)  # only `after`
    now = graph_emulator.world.now
    from .test_rules import _unix

    assert all(now - 86400 < _unix(m["timestamp"]) for p in pages for m in p["data"])
    hidden = graph.error(graph.get(f"{tag}/top_media", user_id=graph.me, fields="id,username"))
    assert hidden["code"] == 100  # no usernames of hashtag media


def test_recent_hashtag_media_repeat_their_after_cursor(graph: Graph, graph_emulator: Emulator) -> None:
    """§2: recent_media's `after` value may repeat across pages; following `next` still reads
    the whole list, and resending `after` alone reads a media again."""
    from .test_rules import _unix

    tag = graph.ok("ig_hashtag_search", user_id=graph.me, q="love")["data"][0]["id"]
    pages = graph.walk(f"{tag}/recent_media", user_id=graph.me, fields="id,timestamp", limit=1)
    world, model = graph_emulator.world, graph_emulator.graph.model
    tagged = sorted(set(world.tag_media_indices(world.tag_index("love")).tolist()), reverse=True)
    recent = [model.media_id(m) for m in tagged if world.media_facts(m)[1] > world.now - 86400]
    walked = [m for p in pages for m in p["data"]]
    assert [m["id"] for m in walked] == recent  # the world's last 24 h, newest first
    afters = [p["paging"]["cursors"]["after"] for p in pages[:-1]]
    hours = [_unix(p["data"][-1]["timestamp"]) // 3600 for p in pages[:-1]]
    # one value per hour of a page's last media: it repeats where two pages end in the same hour
    same = [a == b for a, b in zip(afters, afters[1:])]
    assert same == [a == b for a, b in zip(hours, hours[1:])] and any(same)
    repeated = same.index(True) + 1
    resent = graph.ok(f"{tag}/recent_media", user_id=graph.me, fields="id,timestamp", limit=1, after=afters[repeated])
    newest_of_hour = next(m for m in walked if _unix(m["timestamp"]) // 3600 <= hours[repeated])
    assert resent["data"][0] == newest_of_hour  # that hour again, from its newest media: read twice


def test_other_accounts_media_are_not_readable(graph: Graph, graph_emulator: Emulator) -> None:
    world = graph_emulator.world
    model = graph_emulator.graph.model
    foreign = next(m for m in range(world.media_count_total()) if model.media(m)[0] != model.owner)
    assert graph.error(graph.get(model.media_id(foreign)))["error_subcode"] == 33


def test_engagement_in_real_ranges(graph: Graph, graph_emulator: Emulator) -> None:
    """Likes per follower and per account reached of a few per cent (docs/emulator.md)."""
    followers = graph.ok(graph.me, fields="followers_count")["followers_count"]
    media = graph.ok(f"{graph.me}/media", fields="id,like_count,comments_count", limit=100)["data"]
    per_follower = [m["like_count"] / followers for m in media]
    assert 0.01 <= statistics.median(per_follower) <= 0.08
    per_reach = []
    for m in media[5:25]:
        insight = graph.ok(f"{m['id']}/insights", metric="reach,likes")["data"]
        reach, likes = (i["values"][0]["value"] for i in insight)
        per_reach.append(likes / reach)
    assert 0.02 <= statistics.median(per_reach) <= 0.2


def test_the_cli_serves_the_graph_api() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--api", "graph", "--users", "200", "--seed", "3"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],  # this checkout's emulator, whatever the test's cwd
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:") and not base.endswith("/v1")
        token = requests.get(f"{base}/_emulator/token", timeout=10).json()["access_token"]
        me = requests.get(f"{base}/v24.0/me/accounts", params={"access_token": token}, timeout=10)
        assert me.status_code == 200 and me.json()["data"]
        assert requests.get(f"{base}/_emulator/world", timeout=10).json()["api"] == "graph"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_business_discovery_leaves_out_age_gated_accounts(graph: Graph, graph_emulator: Emulator) -> None:
    model = graph_emulator.graph.model
    gated = next(i for i in range(model.world.user_count()) if model.is_professional(i) and model.age_gated(i))
    response = graph.get(graph.me, fields=f"business_discovery.username({model.user(gated)['username']}){{id}}")
    assert graph.error(response)["error_subcode"] == 2207013


def test_insights_as_a_field_of_media(graph: Graph) -> None:
    media = graph.ok(f"{graph.me}/media", fields="id,insights.metric(reach,likes)", limit=10)["data"]
    assert all([m["name"] for m in item["insights"]["data"]] == ["reach", "likes"] for item in media[5:])
    alone = graph.ok(f"{media[6]['id']}/insights", metric="reach,likes")
    assert media[6]["insights"] == alone
    retired = graph.get(f"{graph.me}/media", fields="id,insights.metric(impressions)")
    assert graph.error(retired)["code"] == 100  # the whole request fails, as on the edge
