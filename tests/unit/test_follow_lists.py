"""`read_follow_list`: a follow list is handed on whole, its pages buffered across runs."""

from __future__ import annotations

from typing import Any

from sources.instagram.helpers.follow_lists import read_follow_list

from .fakes import Budget, GraphClient

MEMBERS = [f"u{n}" for n in range(7)]  # 4 pages of 2


def read(client: GraphClient, state: dict[str, Any]) -> list[tuple[list[str], list[str] | None]]:
    """One run: each page's user ids and the membership handed with it."""
    client.status.work_remaining = False
    return [
        ([user["id"] for user in users], members)
        for users, _, members in read_follow_list(client, "/users/9/follows", "GET /users/{id}/follows", 2, state)
    ]


def lists(budget: int | None = None) -> GraphClient:
    return GraphClient({"9": MEMBERS}, budget=Budget(budget))


def test_a_list_read_in_one_run_is_handed_on_with_its_last_page() -> None:
    state: dict[str, Any] = {}
    pages = read(lists(), state)
    assert pages == [(["u0", "u1"], None), (["u2", "u3"], None), (["u4", "u5"], None), (["u6"], MEMBERS)]
    assert state == {}


def test_an_empty_list_is_complete_at_once() -> None:
    client = GraphClient({"9": []})
    state: dict[str, Any] = {}
    assert read(client, state) == [([], [])]
    assert state == {}


def test_a_list_cut_short_is_buffered_and_finished_next_run() -> None:
    state: dict[str, Any] = {}
    client = lists(2)
    assert read(client, state) == [(["u0", "u1"], None), (["u2", "u3"], None)]
    assert state == {"cursor": "4", "members": ["u0", "u1", "u2", "u3"]}
    assert client.status.work_remaining

    client = lists()
    assert read(client, state) == [(["u4", "u5"], None), (["u6"], MEMBERS)]
    assert state == {}
    assert [cursor for _, _, cursor in client.list_pages] == ["4", "6"]
    assert not client.status.work_remaining


def test_one_page_a_run_hands_the_whole_list_on_once() -> None:
    state: dict[str, Any] = {}
    handed: list[list[str]] = []
    users: list[str] = []
    for _ in range(10):
        client = lists(1)
        for page, members in read(client, state):
            users += page
            if members is not None:
                handed.append(list(members))
        if not state:
            break
    assert handed == [MEMBERS] and users == MEMBERS


def test_no_budget_at_all_leaves_the_buffer_as_it_was() -> None:
    state: dict[str, Any] = {"cursor": "2", "members": ["u0", "u1"]}
    client = lists(0)
    assert read(client, state) == []
    assert state == {"cursor": "2", "members": ["u0", "u1"]} and client.status.work_remaining
