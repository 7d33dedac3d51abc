"""`MediaList.read` over a scripted feed: markers and cut-short passes."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from sources.instagram.helpers.media_lists import MediaList

from .fakes import Budget, FeedClient, media

PAGE = 3


def feed_list() -> MediaList:
    return MediaList("user:1", "/users/1/media/recent", "id", "GET /users/{id}/media/recent")


def run(client: FeedClient, state: dict[str, Any]) -> list[str]:
    """One run: the ids handed out, in order."""
    client.status.work_remaining = False
    return [item["id"] for page in feed_list().pages(client, state) for item in page.items]


def newest_first(ids: range) -> list[dict[str, Any]]:
    return [media(n) for n in sorted(ids, reverse=True)]


def test_first_pass_reads_everything_and_sets_the_marker() -> None:
    client = FeedClient(newest_first(range(101, 111)), PAGE)
    state: dict[str, Any] = {}
    assert run(client, state) == [str(n) for n in range(110, 100, -1)]
    assert state == {"marker": "110"}
    assert client.budget.made == 4 and not client.status.work_remaining


def test_a_repeat_pass_with_nothing_new_costs_one_page_handed_out_whole() -> None:
    client = FeedClient(newest_first(range(101, 111)), PAGE)
    state: dict[str, Any] = {"marker": "110"}
    # the known media of the page come along: their counters are fresh at no extra cost
    assert run(client, state) == ["110", "109", "108"]
    assert state == {"marker": "110"} and client.budget.made == 1


def test_new_items_are_read_down_to_the_marker_and_the_marker_moves() -> None:
    client = FeedClient(newest_first(range(101, 116)), PAGE)
    state: dict[str, Any] = {"marker": "110"}
    assert run(client, state) == ["115", "114", "113", "112", "111", "110"]
    assert state == {"marker": "115"} and client.budget.made == 2


def test_an_empty_list_sets_no_marker() -> None:
    client = FeedClient([], PAGE)
    state: dict[str, Any] = {}
    assert run(client, state) == []
    assert state == {} and client.budget.made == 1


def test_a_first_pass_cut_short_resumes_then_reads_the_new_top() -> None:
    items = newest_first(range(101, 111))
    client = FeedClient(items, PAGE, Budget(2))
    state: dict[str, Any] = {}
    first = run(client, state)
    assert first == ["110", "109", "108", "107", "106", "105"]
    assert state == {"resume": {"cursor": "105", "top": "110", "stop_at": None}}
    assert client.status.work_remaining

    items[:0] = newest_first(range(111, 114))  # new media meanwhile
    client = FeedClient(items, PAGE)
    second = run(client, state)
    assert second == ["104", "103", "102", "101", "113", "112", "111", "110", "109", "108"]
    assert state == {"marker": "113"} and not client.status.work_remaining
    assert client.cursors == ["105", "102", None, "111"]  # the rest, then the top down to 110


def test_an_incremental_pass_cut_short_keeps_the_old_marker_until_complete() -> None:
    items = newest_first(range(101, 118))
    client = FeedClient(items, PAGE, Budget(1))
    state: dict[str, Any] = {"marker": "110"}
    assert run(client, state) == ["117", "116", "115"]
    assert state == {"marker": "110", "resume": {"cursor": "115", "top": "117", "stop_at": "110"}}

    client = FeedClient(items, PAGE, Budget(1))  # cut again inside the resumed pass
    assert run(client, state) == ["114", "113", "112"]
    assert state == {"marker": "110", "resume": {"cursor": "112", "top": "117", "stop_at": "110"}}

    client = FeedClient(items, PAGE)
    assert run(client, state) == ["111", "110", "109", "117", "116", "115"]
    assert state == {"marker": "117"}
    assert client.budget.made == 2  # the rest of the cut pass, then one page of the top


@pytest.mark.parametrize("seed", range(6))
def test_runs_on_any_budget_hand_out_every_item(seed: int) -> None:
    """Runs of 1 to 3 requests, new media arriving between them: no gap (known media come
    again only on the page that reaches the marker)."""
    rng = random.Random(seed)
    items = newest_first(range(1000, 1000 + rng.randrange(1, 20)))
    state: dict[str, Any] = {}
    handed: list[str] = []
    for n in range(60):
        if n < 8:
            newest = int(items[0]["id"])
            items[:0] = newest_first(range(newest + 1, newest + 1 + rng.randrange(0, 6)))
        client = FeedClient(items, PAGE, Budget(rng.randrange(1, 4)))
        handed += run(client, state)
        if n >= 8 and not client.status.work_remaining:
            break
    else:
        pytest.fail(f"the runs never caught up: {state}")
    assert set(handed) == {i["id"] for i in items}, "gaps"
    repeats = sum(Counter(handed).values()) - len(set(handed))
    assert repeats < PAGE * 60, "only pages that reach a marker repeat"
    assert state == {"marker": items[0]["id"]}
