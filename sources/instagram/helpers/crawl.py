"""The follow-graph crawl: breadth first from seed users, resumable across runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from .client import BudgetExhausted, InstagramEntityError, InstagramNotAllowed
from .lists import fan_in, read_follow_list
from .readers import Extraction
from .shaping import edge_rows, user_row

logger = logging.getLogger("sources.instagram")

LIST_KINDS = (("follows", "follows"), ("followed_by", "followed-by"))  # (list_key prefix, path)


class FollowCrawl:
    """Breadth-first crawl of follow lists from seed users, resumable across runs.

    State (dlt resource state): `{"depth", "level", "done", "visited", "profiled",
    "lists_done", "candidates", "lists", "self_id"}`. `level` holds the users of the current depth, `done`
    those whose profile and both lists are complete, `lists` the buffered follow lists that a
    run left incomplete (see `read_follow_list`). The next level is chosen only when the
    current one is complete, from `candidates`: every user discovered, keyed by
    (position of the discovering user in its level, list kind, position in the list) and
    capped at `max_users`. The choice therefore does not depend on the order in which parallel
    reads finish, nor on how many runs the crawl took: a crawl cut short by the budget ends
    equal to an uninterrupted one. A finished crawl starts again from the seeds next run.

    A 2016+ server serves follow lists of the token user only: once a readable user's list is
    refused, the crawl stops reading other users' lists (`self_only`) and still profiles the
    users it found, instead of collecting one refusal per user.
    """

    def __init__(self, extraction: Extraction, state: dict[str, Any], seeds: list[str], depth: int, max_users: int):
        self.x = extraction
        self.state = state
        self.seeds = seeds
        self.depth = depth
        self.max_users = max_users

    def run(self) -> Iterator[tuple[str, Any]]:
        """Yields `("rows", Rows)` and `("edges", rows)` (the rows of completed lists)."""
        st = self.state
        if not st.get("level"):
            st.clear()
            st.update(
                depth=0,
                level=list(dict.fromkeys(self.seeds))[: self.max_users],
                done=[],
                profiled=[],
                lists_done=[],
                candidates={},
                lists={},
            )
            st["visited"] = list(st["level"])
        while st["level"]:
            done = set(st["done"])
            pending = [(i, uid) for i, uid in enumerate(st["level"]) if uid not in done]
            producers = [lambda i=i, uid=uid: self._crawl_user(i, uid) for i, uid in pending]
            for event in fan_in(producers, self.x.client.workers):
                yield from self._consume(event)
            if len(st["done"]) < len(st["level"]):
                self.x.client.work_remaining = True
                return  # budget ran out: the level resumes next run
            self._next_level()

    def _consume(self, event: tuple[Any, ...]) -> Iterator[tuple[str, Any]]:
        st = self.state
        kind = event[0]
        if kind == "found":
            _, index, list_index, members = event
            self._add_candidates(index, list_index, members)
        elif kind == "done":
            st["done"].append(event[1])
        elif kind == "profiled":
            st["profiled"].append(event[1])
        elif kind == "list_done":
            st["lists_done"].append(event[1])
        elif kind == "self_only":
            if not st.get("self_only"):
                logger.warning("the API serves follow lists of the token user only: the crawl reads no other lists")
            st["self_only"] = True
        elif kind == "self_id":
            st["self_id"] = event[1]
            st["visited"].append(event[1])
        else:
            yield kind, event[1]

    def _crawl_user(self, index: int, uid: str) -> Iterator[tuple[Any, ...]]:
        st = self.state
        real_id = st.get("self_id") if uid == "self" else uid
        if uid not in st["profiled"] or real_id is None:
            try:
                real_id, rows = self.x.user_profile(uid)
            except BudgetExhausted:
                return
            yield ("rows", rows)
            if real_id is None:  # unknown or private: nothing more to read
                yield ("done", uid)
                return
            if uid == "self":
                yield ("self_id", real_id)
            yield ("profiled", uid)
        if st.get("self_only") and uid != "self":
            yield ("done", uid)
            return
        for list_index, (prefix, path_part) in enumerate(LIST_KINDS):
            list_key = f"{prefix}:{real_id}"
            if list_key in st["lists_done"]:
                continue
            list_state = st["lists"].setdefault(list_key, {})
            complete = False
            try:
                for users, observed_at, members in read_follow_list(
                    self.x.client,
                    list_key,
                    f"/users/{uid}/{path_part}",
                    f"GET /users/{{id}}/{path_part}",
                    self.x.follow_page_size,
                    list_state,
                ):
                    yield ("rows", {"users": [user_row(u, observed_at) for u in users]})
                    if members is not None:
                        complete = True
                        yield ("edges", edge_rows(list_key, real_id, members))
                        yield ("found", index, list_index, members)
            except InstagramEntityError as error:
                complete = True
                yield ("rows", self.x.error("list", list_key, error))
                if isinstance(error, InstagramNotAllowed) and uid != "self":
                    # the profile was readable, the list is not: a 2016+ server that serves
                    # follow lists of the token user only; stop asking for the others'
                    st["lists"].pop(list_key, None)
                    yield ("self_only",)
                    break
            if not complete:
                return  # budget ran out mid-list: the buffered pages stay in state
            st["lists"].pop(list_key, None)
            yield ("list_done", list_key)
        yield ("done", uid)

    def _add_candidates(self, index: int, list_index: int, members: list[str]) -> None:
        st = self.state
        if st["depth"] >= self.depth:
            return
        visited = set(st["visited"])
        candidates: dict[str, list[int]] = st["candidates"]
        for position, member in enumerate(members):
            if member in visited:
                continue
            key = [index, list_index, position]
            if member not in candidates or key < candidates[member]:
                candidates[member] = key
        capacity = self.max_users - len(st["visited"])
        if len(candidates) > capacity:
            best = sorted(candidates.items(), key=lambda item: item[1])[: max(capacity, 0)]
            st["candidates"] = dict(best)

    def _next_level(self) -> None:
        st = self.state
        visited = set(st["visited"])
        ranked = sorted(st["candidates"].items(), key=lambda item: item[1])
        chosen = [uid for uid, _ in ranked if uid not in visited][: max(self.max_users - len(visited), 0)]
        if st["depth"] >= self.depth or not chosen or st.get("self_only"):
            st.clear()  # crawl complete: the next run starts from the seeds again
            st["level"] = []
            return
        st.update(depth=st["depth"] + 1, level=chosen, done=[], profiled=[], lists_done=[], candidates={}, lists={})
        st["visited"].extend(chosen)
