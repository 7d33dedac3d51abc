"""The Graph mode answers the requests Airbyte's connector recorded with the same shapes
(keys, types, nesting): tests/emulator_graph/recorded/airbyte (origin and licence in its README,
instagram-graph/API.md §8). Values differ (they are placeholders there); shapes may not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator import Emulator

from .conftest import Graph

RECORDED = Path(__file__).parent / "recorded" / "airbyte"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def shape(value: Any) -> Any:
    """Keys, types and nesting of a JSON value; a list's shape is the set of its items' shapes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        shapes = []
        for item in value:
            if shape(item) not in shapes:
                shapes.append(shape(item))
        return ["list", *shapes]
    return type(value).__name__


def fields_of(item: dict) -> str:
    """The `fields=` that asks for exactly a recorded item's keys (nested ones with their own)."""
    parts = []
    for key, value in item.items():
        if isinstance(value, dict) and "data" in value:
            parts.append(f"{key}{{{fields_of(value['data'][0])}}}")
        elif isinstance(value, dict):
            parts.append(f"{key}{{{','.join(value)}}}")
        else:
            parts.append(key)
    return ",".join(parts)


def test_accounts(graph: Graph) -> None:
    mine = graph.ok("me/accounts", fields="instagram_business_account")
    mine["data"] = mine["data"][:1]  # the second Page has no IG account: not in the recording
    assert shape(mine) == shape(recorded("api.json"))


def test_user(graph_emulator: Emulator) -> None:
    (user,) = recorded("users.json")["data"]
    # the Graph API leaves out what an account has not filled in: compare one with a website
    model = graph_emulator.graph.model
    filled = next(
        i
        for i in range(model.world.user_count())
        if model.is_professional(i) and model.user(i)["website"] and model.user(i)["bio"]
    )
    other = Graph(graph_emulator, graph_emulator.issue_token({"user_id": model.user_id(filled)})["access_token"])
    assert shape(other.ok(model.user_id(filled), fields=fields_of(user))) == shape(user)


def test_media_of_each_type(graph: Graph) -> None:
    media = recorded("media.json")
    every = ",".join(dict.fromkeys(",".join(fields_of(item) for item in media["data"]).split(",")))
    mine = graph.ok(f"{graph.me}/media", fields=every, limit=100)
    for item in media["data"]:
        kind, product = item["media_type"], item["media_product_type"]
        same = next(
            m for m in mine["data"] if (m["media_type"], m["media_product_type"]) == (kind, product) and "caption" in m
        )
        assert shape(same) == shape(item), kind
    assert shape(mine["paging"]) == shape(media["paging"])  # one page: cursors.before only


def test_media_insights(graph: Graph) -> None:
    media = graph.ok(f"{graph.me}/media", fields="id,media_product_type", limit=100)["data"]
    feed = next(m["id"] for m in media[5:] if m["media_product_type"] == "FEED")
    reel = next(m["id"] for m in media[5:] if m["media_product_type"] == "REELS")
    general = recorded("media_insights_for_general_media.json")
    # video_views is long retired: ask for the others, compare every item's shape
    names = ",".join(m["name"] for m in general["data"] if m["name"] != "video_views")
    assert shape(graph.ok(f"{feed}/insights", metric=names)) == shape(general)
    reels = recorded("media_insights_for_reels.json")
    names = ",".join(m["name"] for m in reels["data"])  # with plays and replays: v21.0 still has them
    mine = graph.get(f"{reel}/insights", version="v21.0", metric=names).json()
    assert shape(mine) == shape(reels) and [m["name"] for m in mine["data"]] == names.split(",")


def test_stories(graph: Graph, graph_emulator: Emulator) -> None:
    stories = recorded("stories.json")
    mine = graph.ok(f"{graph.me}/stories", fields=fields_of(stories["data"][0]))
    video = [s for s in mine["data"] if s["media_type"] == "VIDEO"]
    assert video, "the token user posts a video story in the first day"
    assert shape({"data": video[:1], "paging": mine["paging"]}) == shape(stories)


def test_user_insights(graph: Graph) -> None:
    mine = graph.ok(f"{graph.me}/insights", metric="follower_count,reach", period="day")
    assert shape(mine) == shape(recorded("user_insights.json"))


def test_story_insights(graph: Graph) -> None:
    recorded_insights = recorded("story_insights_for_story_insights_happy_path.json")
    names = ",".join(m["name"] for m in recorded_insights["data"])  # impressions: v21.0 still has it
    story = graph.ok(f"{graph.me}/stories")["data"][-1]["id"]
    mine = graph.get(f"{story}/insights", version="v21.0", metric=names).json()
    assert shape(mine) == shape(recorded_insights)


def test_follower_demographics(graph: Graph) -> None:
    mine = graph.ok(
        f"{graph.me}/insights",
        metric="follower_demographics",
        period="lifetime",
        metric_type="total_value",
        breakdown="city",
    )
    assert shape(mine) == shape(recorded("user_lifetime_insights.json"))


def test_thirty_day_window_error(graph: Graph, graph_emulator: Emulator) -> None:
    since = graph_emulator.world.now - 60 * 86400
    error = graph.get(f"{graph.me}/insights", metric="reach", period="day", since=since, until=since + 86400)
    assert shape(error.json()) == shape(recorded("user_insights_for_error_subcode_2108006.json"))


def test_error_envelope(graph: Graph) -> None:
    error = graph.get(graph.me, fields="id", access_token=None)
    assert error.status_code == 400
    expected = recorded("media_insights_for_error_with_wrong_permissions_code_10.json")
    assert shape(error.json()) == shape(expected)


def test_error_texts_are_the_recorded_ones(graph: Graph, graph_emulator: Emulator) -> None:
    """Where a recording has an error's text, the emulator answers that text, not only its shape."""

    def without_trace(body: dict) -> dict:
        return {key: value for key, value in body["error"].items() if key != "fbtrace_id"}

    window = without_trace(recorded("user_insights_for_error_subcode_2108006.json"))
    now = graph_emulator.world.now
    too_old = graph.get(f"{graph.me}/insights", metric="reach", period="day", since=now - 60 * 86400)
    too_long = graph.get(f"{graph.me}/insights", metric="reach", period="day", since=now - 40 * 86400, until=now)
    assert without_trace(too_old.json()) == without_trace(too_long.json()) == window
    permission = without_trace(recorded("media_insights_for_error_with_wrong_permissions_code_10.json"))
    instagram_login = Graph(graph_emulator, graph_emulator.issue_token({"kind": "ig_long"})["access_token"])
    hashtag = instagram_login.get("ig_hashtag_search", user_id=graph.me, q="love")
    assert without_trace(hashtag.json()) == permission  # hashtag search is Facebook Login only (§1)
