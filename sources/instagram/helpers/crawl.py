"""The follow-graph crawl: breadth first from seed users, resumable across runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import BudgetExhausted, InstagramEntityError, InstagramNotAllowed
from .fan_in import fan_in
from .follow_lists import read_follow_list
from .items import FollowListRead
from .objects import Profiles
from .reading import SourceRun
from .shaping import Rows, edge_rows, user_row

logger = logging.getLogger("sources.instagram")

LIST_KINDS = (("follows", "follows"), ("followed_by", "followed-by"))  # (list_key prefix, path)


# What a user's crawl reports to the crawl (applied on the consumer's thread, in order), beside
# the rows it hands on.
@dataclass(frozen=True)
class Profiled:
    user_id: str
    real_id: str


@dataclass(frozen=True)
class ListDone:
    list_key: str


@dataclass(frozen=True)
class MembersFound:
    user_index: int
    list_index: int
    members: list[str]


@dataclass(frozen=True)
class UserDone:
    user_id: str


@dataclass(frozen=True)
class SelfOnly:
    """The server refused a readable user's list: it serves the token user's lists only."""


CrawlEvent = Profiled | ListDone | MembersFound | UserDone | SelfOnly


class FollowCrawl:
    """Breadth-first crawl of follow lists from seed users, resumable across runs.

    State (dlt resource state): `{"depth", "level", "done", "visited", "profiled",
    "lists_done", "candidates", "lists", "self_id"}`. `level` holds the users of the current
    depth, `done` those whose profile and both lists are complete, `lists` the buffered follow
    lists that a run left incomplete (see `read_follow_list`). The next level is chosen only
    when the current one is complete, from `candidates`: every user discovered, keyed by
    (position of the discovering user in its level, list kind, position in the list) and
    capped at `max_users`. The choice therefore does not depend on the order in which parallel
    reads finish, nor on how many runs the crawl took: a crawl cut short by the budget ends
    equal to an uninterrupted one. A finished crawl starts again from the seeds next run.

    A 2016+ server serves follow lists of the token user only: once a readable user's list is
    refused, the crawl stops reading other users' lists (`self_only`) and still profiles the
    users it found, instead of collecting one refusal per user.
    """

    def __init__(
        self,
        run: SourceRun,
        profiles: Profiles,
        state: dict[str, Any],
        *,
        seeds: list[str],
        depth: int,
        max_users: int,
        page_size: int,
    ):
        self.run = run
        self.profiles = profiles
        self.state = state
        self.seeds = seeds
        self.depth = depth
        self.max_users = max_users
        self.page_size = page_size

    def crawl(self) -> Iterator[Rows | FollowListRead]:
        """The rows of every user read, and each completely read follow list."""
        state = self.state
        if not state.get("level"):
            state.clear()
            seeds = list(dict.fromkeys(self.seeds))[: self.max_users]
            state.update(depth=0, level=seeds, done=[], profiled=[], lists_done=[], candidates={}, lists={})
            state["visited"] = list(seeds)
        while state["level"]:
            done = set(state["done"])
            pending = [(i, uid) for i, uid in enumerate(state["level"]) if uid not in done]
            producers = [lambda i=i, uid=uid: self._crawl_user(i, uid) for i, uid in pending]
            for item in fan_in(producers, self.run.client.workers):
                if isinstance(item, CrawlEvent):
                    self._apply(item)
                else:
                    yield item
            if len(state["done"]) < len(state["level"]):
                self.run.client.work_remaining = True
                return  # budget ran out: the level resumes next run
            self._next_level()

    def _apply(self, event: CrawlEvent) -> None:
        state = self.state
        match event:
            case Profiled(user_id, real_id):
                state["profiled"].append(user_id)
                if user_id == "self":
                    state["self_id"] = real_id
                    state["visited"].append(real_id)
            case ListDone(list_key):
                state["lists_done"].append(list_key)
            case MembersFound(user_index, list_index, members):
                self._add_candidates(user_index, list_index, members)
            case UserDone(user_id):
                state["done"].append(user_id)
            case SelfOnly():
                if not state.get("self_only"):
                    logger.warning("the API serves follow lists of the token user only: the crawl reads no other lists")
                state["self_only"] = True

    def _crawl_user(self, index: int, uid: str) -> Iterator[Rows | FollowListRead | CrawlEvent]:
        state = self.state
        real_id = state.get("self_id") if uid == "self" else uid
        if uid not in state["profiled"] or real_id is None:
            try:
                real_id, rows = self.profiles.read(uid)
            except BudgetExhausted:
                return
            yield rows
            if real_id is None:  # unknown or private: nothing more to read; a failed read waits
                if not self.run.pending("user", uid):
                    yield UserDone(uid)
                return
            yield Profiled(uid, real_id)
        if state.get("self_only") and uid != "self":
            yield UserDone(uid)
            return
        for list_index, (prefix, path_part) in enumerate(LIST_KINDS):
            list_key = f"{prefix}:{real_id}"
            if list_key in state["lists_done"]:
                continue
            if self.run.deferred("list", list_key):
                return  # it failed in an earlier run: the user waits for the retry
            list_state = state["lists"].setdefault(list_key, {})
            complete = False
            try:
                for users, observed_at, members in read_follow_list(
                    self.run.client,
                    f"/users/{uid}/{path_part}",
                    f"GET /users/{{id}}/{path_part}",
                    self.page_size,
                    list_state,
                ):
                    yield {"users": [user_row(u, observed_at) for u in users]}
                    if members is not None:
                        complete = True
                        yield FollowListRead(list_key, edge_rows(list_key, real_id, members))
                        yield MembersFound(index, list_index, members)
            except InstagramEntityError as error:
                yield self.run.error("list", list_key, error)
                if self.run.pending("list", list_key):
                    return  # read again in a later run, from its buffered pages
                complete = True
                if isinstance(error, InstagramNotAllowed) and uid != "self":
                    # the profile was readable, the list is not: a 2016+ server that serves
                    # follow lists of the token user only; stop asking for the others'
                    state["lists"].pop(list_key, None)
                    yield SelfOnly()
                    break
            if not complete:
                return  # budget ran out mid-list: the buffered pages stay in state
            state["lists"].pop(list_key, None)
            self.run.read("list", list_key)
            yield ListDone(list_key)
        yield UserDone(uid)

    def _add_candidates(self, index: int, list_index: int, members: list[str]) -> None:
        state = self.state
        if state["depth"] >= self.depth:
            return
        visited = set(state["visited"])
        candidates: dict[str, list[int]] = state["candidates"]
        for position, member in enumerate(members):
            if member in visited:
                continue
            key = [index, list_index, position]
            if member not in candidates or key < candidates[member]:
                candidates[member] = key
        capacity = self.max_users - len(state["visited"])
        if len(candidates) > capacity:
            best = sorted(candidates.items(), key=lambda item: item[1])[: max(capacity, 0)]
            state["candidates"] = dict(best)

    def _next_level(self) -> None:
        state = self.state
        visited = set(state["visited"])
        ranked = sorted(state["candidates"].items(), key=lambda item: item[1])
        chosen = [uid for uid, _ in ranked if uid not in visited][: max(self.max_users - len(visited), 0)]
        if state["depth"] >= self.depth or not chosen or state.get("self_only"):
            state.clear()  # crawl complete: the next run starts from the seeds again
            state["level"] = []
            return
        state.update(
            depth=state["depth"] + 1, level=chosen, done=[], profiled=[], lists_done=[], candidates={}, lists={}
        )
        state["visited"].extend(chosen)
