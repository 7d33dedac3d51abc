"""`FollowCrawl` (with the real `SourceRun`, `Profiles` and `Schedule`) over a scripted follow
graph, run after run against a tiny DuckDB warehouse that plays the load between runs: the
schedule's rows merged by `entity_key`, each completely read list replacing its current edges."""

from __future__ import annotations

import copy
import functools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from sources.common.errors import InstagramRetriesExhausted, InstagramTransientError, RunStopped
from sources.common.refresh_policy import RefreshPolicy
from sources.common.schedule import TABLE, Schedule
from sources.common.source_run import SourceRun
from sources.common.warehouse_sql import timestamp_literal
from sources.instagram.helpers import crawl as crawl_module
from sources.instagram.helpers.crawl import FollowCrawl, spread_fraction
from sources.instagram.helpers.items import FollowListRead
from sources.instagram.helpers.objects import Profiles
from sources.instagram_contract import TABLES

from .fakes import NOW, Budget, GraphClient

POLICY = RefreshPolicy(seed_hours=6, crawl_hours=24, list_max_age_hours=168, engagement_ages_hours=(1,))
SELF = "100"
# self follows a1 a2 a3, is followed by b1 a2; the level-1 users lead on to the c users
FOLLOWS = {
    SELF: ["a1", "a2", "a3"],
    "a1": ["c1", "c2"],
    "a2": ["c3", SELF, "c6"],
    "a3": ["c1", "c7"],
    "b1": ["c4"],
    "c1": ["d1"],
}
FOLLOWED_BY = {SELF: ["b1", "a2"], "a1": ["c5"], "a3": ["c8"], "c2": ["d2"]}
LEVEL_1 = ["a1", "a2", "a3", "b1"]
LEVEL_2 = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]
# the frontier of a crawl from self to depth 2, in the order max_users admits it: (depth, id)
BY_DEPTH_AND_ID = [SELF, *LEVEL_1, *LEVEL_2]
LIST_KINDS = ("follows", "followed_by")

_SQL_TYPES = {"text": "TEXT", "bigint": "BIGINT", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ", "double": "DOUBLE"}
# what the schedule keeps of a row (`write_order` only orders the writes of one load)
_SCHEDULE_COLUMNS = [name for name, _, _ in TABLES[TABLE]["columns"] if name != "write_order"]


def _values(values: list[Any]) -> str:
    """`values` as SQL literals: DuckDB's binding of Python parameters looks for optional
    modules (pandas, numpy, ...) on each call, which made the loads most of this module's time."""
    return ", ".join(_value(value) for value in values)


def _value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return timestamp_literal(value)
    return "'" + str(value).replace("'", "''") + "'"


class Warehouse:
    """`refresh_schedule` and `follow_edges` in an in-memory DuckDB, loaded after each run."""

    def __init__(self) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET threads = 1")
        types = {name: kind for name, kind, _ in TABLES[TABLE]["columns"]}
        columns = ", ".join(f"{name} {_SQL_TYPES[types[name]]}" for name in _SCHEDULE_COLUMNS)
        self.con.execute(f"CREATE TABLE refresh_schedule ({columns})")
        self.con.execute(
            "CREATE TABLE follow_edges (list_key TEXT, follower_id TEXT, followed_id TEXT, valid_to TIMESTAMPTZ)"
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("{table}", "refresh_schedule").replace("{follow_edges}", "follow_edges")
        return self.con.execute(sql).fetchall()

    def load(self, schedule: Schedule, lists: list[FollowListRead], at: datetime) -> None:
        rows = schedule.written_rows()
        if rows:
            keys = [row["entity_key"] for row in rows]
            self.con.execute(f"DELETE FROM refresh_schedule WHERE entity_key IN ({_values(keys)})")
            values = ", ".join(f"({_values([row[name] for name in _SCHEDULE_COLUMNS])})" for row in rows)
            self.con.execute(f"INSERT INTO refresh_schedule VALUES {values}")
        if lists:
            keys = [read.list_key for read in lists]
            self.con.execute(
                f"UPDATE follow_edges SET valid_to = {_value(at)} WHERE valid_to IS NULL AND list_key IN ({_values(keys)})"
            )
            edges = [
                (read.list_key, edge["follower_id"], edge["followed_id"])
                for read in lists
                for edge in read.rows
                if edge["follower_id"] is not None  # the list's marker row
            ]
            if edges:
                values = ", ".join(f"({_values(list(edge))}, NULL)" for edge in edges)
                self.con.execute(f"INSERT INTO follow_edges VALUES {values}")

    def frontier(self) -> dict[str, int]:
        """Active crawl rows: user id → depth."""
        found = self.query("SELECT entity_id, depth FROM {table} WHERE kind = 'crawl' AND active")
        return dict(sorted(found))

    def crawl_row(self, user_id: str) -> dict[str, Any] | None:
        found = self.query(f"SELECT * FROM {{table}} WHERE entity_key = 'crawl:{user_id}'")
        return dict(zip(_SCHEDULE_COLUMNS, found[0])) if found else None

    def edges(self) -> dict[str, list[tuple[str, str]]]:
        """Current edges per list."""
        found = self.query(
            "SELECT list_key, follower_id, followed_id FROM {follow_edges} WHERE valid_to IS NULL ORDER BY ALL"
        )
        edges: dict[str, list[tuple[str, str]]] = {}
        for list_key, follower, followed in found:
            edges.setdefault(list_key, []).append((follower, followed))
        return edges


class StopAt(Budget):
    """A stop request (SIGINT, SIGTERM) landing after `requests` requests: every later request
    raises `RunStopped`, as the real client's do; the budget itself is not spent."""

    def __init__(self, requests: int):
        super().__init__(None)
        self.stop_at = requests
        self.stopped = False

    def spend(self) -> None:
        with self._lock:
            if self.made >= self.stop_at:
                self.stopped = True
                raise RunStopped()
            self.made += 1


class FailingGraphClient(GraphClient):
    """A `GraphClient` on which the follow lists of the users in `failing` outlast their retries."""

    def __init__(self, *args: Any, failing: frozenset[str] = frozenset(), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.failing = failing

    def pages(self, path: str, family: str, *args: Any, **kwargs: Any) -> Any:
        if self._real(path.split("/")[2]) in self.failing:
            self.budget.spend()
            error = InstagramTransientError("502 Bad Gateway", endpoint=kwargs.get("endpoint", ""))
            raise InstagramRetriesExhausted(error, 3)
        return super().pages(path, family, *args, **kwargs)


@dataclass
class Run:
    """What one run did."""

    client: GraphClient
    lists: list[FollowListRead]
    rows: list[dict[str, list[dict[str, Any]]]]

    @property
    def requests(self) -> int:
        return self.client.budget.made

    @property
    def list_keys(self) -> list[str]:
        return [read.list_key for read in self.lists]

    def profiled(self) -> list[str]:
        return [row["user_id"] for rows in self.rows for row in rows.get("user_counts", [])]

    def errors(self) -> list[str]:
        return [row["error_key"] for rows in self.rows for row in rows.get("extraction_errors", [])]

    def pages_of_others(self) -> list[tuple[str, str, str | None]]:
        return [page for page in self.client.list_pages if page[0] != SELF]


@dataclass
class World:
    """The server's graph and clock, and what survives between runs: resource state, the
    failure record and the warehouse."""

    follows: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in FOLLOWS.items()})
    followed_by: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in FOLLOWED_BY.items()})
    now: datetime = NOW
    state: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, Any] = field(default_factory=dict)
    warehouse: Warehouse = field(default_factory=Warehouse)
    runs: list[Run] = field(default_factory=list)

    def advance(self, hours: float) -> None:
        self.now += timedelta(hours=hours)

    def run(
        self,
        budget: int | None = None,
        *,
        client: dict[str, Any] | None = None,
        stop_at: int | None = None,
        crash: bool = False,
        **options: Any,
    ) -> Run:
        """One run of the crawl, then its load. `stop_at`: a stop request lands after that many
        requests; `crash`: the run is killed before its load (nothing of it is loaded, its
        state and failure record are as before it)."""
        spend = StopAt(stop_at) if stop_at is not None else Budget(budget)
        graph = FailingGraphClient(self.follows, self.followed_by, budget=spend, now=self.now, **(client or {}))
        before = copy.deepcopy((self.state, self.failures))
        source_run = SourceRun(graph, max_failed_runs=5, failure_state=self.failures)
        schedule = Schedule(POLICY, self.warehouse.query, "epoch-1")
        settings = {"seeds": ["self"], "depth": 2, "max_users": 100, "page_size": 2, **options}
        profiles = Profiles(source_run, schedule, shared=settings["seeds"])
        crawl = FollowCrawl(source_run, profiles, schedule, self.state, **settings)
        lists: list[FollowListRead] = []
        rows: list[dict[str, list[dict[str, Any]]]] = []
        for item in crawl.crawl():
            (lists if isinstance(item, FollowListRead) else rows).append(item)
        # every schedule row written travels in the load package, and only those, once each:
        # dlt merges two rows of one key in one load in no set order
        keys = [row["entity_key"] for rows_ in rows for row in rows_.get(TABLE, [])]
        assert [key for key, count in Counter(keys).items() if count > 1] == []
        yielded = {
            row["entity_key"]: {k: v for k, v in row.items() if k != "write_order"}
            for rows_ in rows
            for row in rows_.get(TABLE, [])
        }
        assert yielded == {row["entity_key"]: row for row in schedule.written_rows()}
        run = Run(graph, lists, rows)
        if crash:
            self.state.clear()
            self.state.update(before[0])
            self.failures.clear()
            self.failures.update(before[1])
            return run
        self.warehouse.load(schedule, lists, self.now)
        self.runs.append(run)
        return run

    def run_to_the_end(self, budget: int | None = None, *, minutes_between: float = 1, **options: Any) -> list[Run]:
        """Runs of `budget` requests each until one ends with no work remaining."""
        runs = []
        for _ in range(300):
            run = self.run(budget, **options)
            runs.append(run)
            stopped = getattr(run.client.budget, "stopped", False)
            if not run.client.status.work_remaining and not run.client.budget.exhausted and not stopped:
                return runs
            self.advance(minutes_between / 60)
        pytest.fail(f"the crawl never completed on {budget} requests a run: {self.state}")


def spread_due_within(hours: float) -> list[str]:
    """The found users whose first read (in the first crawl) made them due within `hours`."""
    return [user for user in [*LEVEL_1, *LEVEL_2] if spread_fraction(user) * POLICY.crawl_hours <= hours]


def all_lists(users: list[str]) -> Counter[str]:
    return Counter(f"{kind}:{user}" for user in users for kind in LIST_KINDS)


# -- 1. a first crawl ---------------------------------------------------------------------------


def test_a_first_crawl_reads_each_reachable_user_once_seeds_first() -> None:
    world = World()
    runs = world.run_to_the_end()
    assert len(runs) == 1, "an unlimited budget crawls to depth 2 in one run"
    run = runs[0]
    assert Counter(run.client.profiles_read) == Counter(["self", *LEVEL_1, *LEVEL_2]), "each user read once"
    assert sorted(run.profiled()) == sorted(BY_DEPTH_AND_ID)
    assert run.client.profiles_read[0] == "self", "the seed first"
    order = run.client.profiles_read
    assert max(order.index(u) for u in LEVEL_1) < min(order.index(u) for u in LEVEL_2), "level by level"
    # the lists of every member (level 2 included) read once; nothing of level 3 (d1, d2)
    assert Counter(run.list_keys) == all_lists(BY_DEPTH_AND_ID)
    assert world.warehouse.frontier() == {SELF: 0, **dict.fromkeys(LEVEL_1, 1), **dict.fromkeys(LEVEL_2, 2)}
    assert world.warehouse.edges()["follows:a2"] == [("a2", SELF), ("a2", "c3"), ("a2", "c6")]
    assert world.warehouse.edges()[f"followed_by:{SELF}"] == [("a2", SELF), ("b1", SELF)]
    assert run.client.probes == 0, "the seed's answer tells the time"
    assert world.state.get("self_id") == SELF and not world.state.get("lists")


def test_several_seeds_are_read_first() -> None:
    world = World()
    (run,) = world.run_to_the_end(seeds=["a1", "b1"], depth=1, client={"workers": 1})
    assert sorted(run.client.profiles_read[:2]) == ["a1", "b1"]
    assert sorted(run.client.profiles_read[2:]) == ["c1", "c2", "c4", "c5"]
    assert world.warehouse.frontier() == {"a1": 0, "b1": 0, "c1": 1, "c2": 1, "c4": 1, "c5": 1}


@pytest.mark.parametrize("max_users", [1, 2, 5, 6, 8, 13, 14])
def test_max_users_caps_the_frontier_by_depth_then_id(max_users: int) -> None:
    world = World()
    (run,) = world.run_to_the_end(max_users=max_users)
    expected = BY_DEPTH_AND_ID[:max_users]
    assert sorted(world.warehouse.frontier()) == sorted(expected)
    assert sorted(run.profiled()) == sorted(expected)
    assert len(run.client.profiles_read) == len(set(run.client.profiles_read)), "a profile read twice"


# -- 2. the level barrier -----------------------------------------------------------------------


@functools.cache
def uninterrupted(
    max_users: int,
) -> tuple[dict[str, int], dict[str, list[tuple[str, str]]], Counter[str], Counter[str]]:
    """Frontier, edges, lists read and users profiled of a crawl in one run."""
    world = World()
    world.run_to_the_end(max_users=max_users)
    lists = Counter(key for run in world.runs for key in run.list_keys)
    profiled = Counter(user for run in world.runs for user in run.profiled())
    return world.warehouse.frontier(), world.warehouse.edges(), lists, profiled


@pytest.mark.parametrize("budget", [2, 5])
@pytest.mark.parametrize("max_users", [100, 9])
def test_a_crawl_cut_short_by_the_budget_ends_equal_to_an_uninterrupted_one(budget: int, max_users: int) -> None:
    frontier, edges, lists, profiled = uninterrupted(max_users)
    cut = World()
    cut_runs = cut.run_to_the_end(budget, max_users=max_users, client={"workers": 3})
    assert len(cut_runs) > 1
    assert cut.warehouse.frontier() == frontier
    assert cut.warehouse.edges() == edges
    assert Counter(key for run in cut.runs for key in run.list_keys) == lists, "a list read twice or never"
    assert Counter(user for run in cut.runs for user in run.profiled()) == profiled, "a user profiled twice or never"
    assert not cut.state.get("lists"), "no list left buffered"


def test_a_capped_cut_crawl_chooses_level_2_from_every_level_1_list() -> None:
    # c3 (found by a2) wins over c5..c8 only once every level-1 list was read
    world = World()
    world.run_to_the_end(3, max_users=8, client={"workers": 1})
    assert sorted(world.warehouse.frontier()) == sorted([SELF, *LEVEL_1, "c1", "c2", "c3"])


def random_graph(seed: int, users: int = 30) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """A follow graph of `users` users and the token user, whose lists hold 0 to 4 members."""
    rng = random.Random(seed)
    ids = [SELF, *(f"u{n:02d}" for n in range(users))]
    follows, followed_by = {}, {}
    for user in ids:
        others = [other for other in ids if other != user]
        follows[user] = rng.sample(others, rng.randint(2 if user == SELF else 0, 4))
        followed_by[user] = rng.sample(others, rng.randint(0, 3))
    return follows, followed_by


# self follows six users who each follow five of their own and one another's: level 2 is wide
WIDE_FOLLOWS = {SELF: [f"a{n}" for n in range(6)]} | {
    f"a{n}": [*(f"c{n}{m}" for m in range(5)), f"c{(n + 1) % 6}0"] for n in range(6)
}
SHAPES = {
    "fixture": (FOLLOWS, FOLLOWED_BY),
    "wide": (WIDE_FOLLOWS, {SELF: ["b1"], "a3": ["b2", "b3"]}),
    "random-1": random_graph(1),
    "random-2": random_graph(2),
}
# (shape, depth, max_users): each cap smaller than what the depth reaches, cutting a level
CAPPED = [("fixture", 2, 3), ("fixture", 2, 9), ("wide", 2, 12), ("random-1", 3, 10), ("random-2", 3, 14)]
# (shape, depth, max_users, how, workers): the first run ends at request N (a stop request, the
# budget, a kill before the load), or every run stops at request N
INTERRUPTED = [
    *((*capped, how, 1) for capped in CAPPED for how in ("stop", "budget", "crash")),
    *((*capped, "stop", 3) for capped in CAPPED if capped[0] in ("fixture", "random-2")),
    *((*capped, "stop every run", 1) for capped in CAPPED if capped[0] in ("wide", "random-1")),
]


def _world(shape: str) -> World:
    follows, followed_by = SHAPES[shape]
    return World({k: list(v) for k, v in follows.items()}, {k: list(v) for k, v in followed_by.items()})


def _outcome(world: World) -> tuple[dict[str, int], dict[str, list[tuple[str, str]]], Counter[str], Counter[str]]:
    lists = Counter(key for run in world.runs for key in run.list_keys)
    profiled = Counter(user for run in world.runs for user in run.profiled())
    return world.warehouse.frontier(), world.warehouse.edges(), lists, profiled


@pytest.mark.parametrize(("shape", "depth", "max_users", "how", "workers"), INTERRUPTED)
def test_a_first_pass_interrupted_at_any_request_chooses_the_same_users(
    shape: str, depth: int, max_users: int, how: str, workers: int
) -> None:
    """A first pass whose first run ends at request N (a stop request, the budget, or a kill
    that loads nothing), for every N, then runs to the end, ends as an uninterrupted one: the
    same frontier, edges, lists read and users profiled (docs/refresh.md, "The crawl's
    frontier")."""
    options = {"depth": depth, "max_users": max_users, "client": {"workers": workers}}
    reference = _world(shape)
    (whole,) = reference.run_to_the_end(**options)
    expected = _outcome(reference)
    assert len(expected[0]) == max_users, "the cap cuts the frontier"
    different = {}
    # N from 0 to the whole pass's requests, at most about 16 of them (a kill loads nothing: 6)
    step = -(-whole.requests // (6 if how == "crash" else 16))
    for n in range(0, whole.requests + 1, step):
        world = _world(shape)
        if how == "stop every run":
            world.run_to_the_end(stop_at=n + 3, **options)  # fewer make no progress
        else:
            interruption = {"stop": {"stop_at": n}, "budget": {"budget": n}, "crash": {"stop_at": n, "crash": True}}
            world.run(**interruption[how], **options)
            world.advance(1 / 60)
            world.run_to_the_end(**options)
        outcome = _outcome(world)
        if outcome != expected:
            frontier = outcome[0].keys() ^ expected[0].keys()
            lists = (outcome[2] - expected[2]) + (expected[2] - outcome[2])
            different[n] = f"frontier differs by {sorted(frontier)}, lists by {sorted(lists)}"
    assert different == {}


@pytest.mark.parametrize(("shape", "depth", "max_users"), [("fixture", 2, 9), ("random-2", 3, 14)])
def test_a_first_pass_with_more_due_users_than_a_page_of_the_schedule_chooses_the_same_users(
    shape: str, depth: int, max_users: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runs after a first one cut short by the budget take the due users 2 at a time: the
    level below waits for the last page."""
    options = {"depth": depth, "max_users": max_users, "client": {"workers": 1}}
    reference = _world(shape)
    (whole,) = reference.run_to_the_end(**options)
    expected = _outcome(reference)
    monkeypatch.setattr(crawl_module, "MAX_DUE_USERS_PER_RUN", 2)
    different = {}
    for n in range(0, whole.requests + 1, -(-whole.requests // 16)):
        world = _world(shape)
        world.run(n, **options)
        world.advance(1 / 60)
        world.run_to_the_end(**options)
        if (outcome := _outcome(world)) != expected:
            different[n] = sorted(outcome[0].keys() ^ expected[0].keys())
    assert different == {}


@pytest.mark.parametrize(("shape", "depth", "max_users"), [("fixture", 2, 9), ("wide", 2, 12), ("random-2", 3, 14)])
def test_a_first_pass_whose_lists_fail_for_a_run_chooses_the_same_users(shape: str, depth: int, max_users: int) -> None:
    """A user whose lists failed (read again in the next run) holds back the level below it."""
    options = {"depth": depth, "max_users": max_users, "client": {"workers": 1}}
    reference = _world(shape)
    reference.run_to_the_end(**options)
    expected = _outcome(reference)
    different = {}
    for user, member_depth in expected[0].items():
        if 0 < member_depth < depth:
            world = _world(shape)
            world.run(**{**options, "client": {"workers": 1, "failing": frozenset([user])}})
            world.advance(1 / 60)
            world.run_to_the_end(**options)
            if (outcome := _outcome(world)) != expected:
                different[user] = sorted(outcome[0].keys() ^ expected[0].keys())
    assert different == {}


# -- 3. nothing due -----------------------------------------------------------------------------


def test_a_rerun_with_nothing_due_costs_at_most_the_clock_probe() -> None:
    world = World()
    world.run_to_the_end()
    before = world.warehouse.query("SELECT * FROM {table} ORDER BY entity_key")
    # the first reads spread the next ones over the crawl's age: the earliest is due first
    [(earliest,)] = world.warehouse.query("SELECT min(next_due_at) FROM {table} WHERE kind = 'crawl'")
    assert earliest > world.now + timedelta(minutes=21), "(the hashes of these ids put none that early)"
    for until in (world.now + timedelta(minutes=20), earliest - timedelta(minutes=1)):
        world.advance((until - world.now) / timedelta(hours=1))
        run = world.run()
        assert run.requests <= 1 and run.client.probes == run.requests
        assert run.client.profiles_read == [] and run.client.list_pages == []
        assert run.lists == [] and not run.client.status.work_remaining
    assert world.warehouse.query("SELECT * FROM {table} ORDER BY entity_key") == before


# -- 4. change detection ------------------------------------------------------------------------


def test_a_first_read_spreads_the_next_over_the_age_and_later_reads_add_the_whole_age() -> None:
    world = World()
    world.run_to_the_end()
    first = world.now
    for user in [*LEVEL_1, *LEVEL_2]:
        row = world.warehouse.crawl_row(user)
        assert row is not None and row["last_read_at"] == first
        assert row["next_due_at"] == first + timedelta(hours=POLICY.crawl_hours) * spread_fraction(user), user
    seed = world.warehouse.crawl_row(SELF)
    assert seed is not None and seed["next_due_at"] == first + timedelta(hours=POLICY.seed_hours), "seeds: exact"
    world.advance(25)
    world.run()
    for user in [*LEVEL_1, *LEVEL_2]:
        row = world.warehouse.crawl_row(user)
        assert row is not None and row["next_due_at"] == world.now + timedelta(hours=POLICY.crawl_hours), user


def test_more_users_due_than_one_page_of_the_schedule_are_all_read(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World()
    world.run_to_the_end()
    world.advance(25)  # everyone is due
    monkeypatch.setattr(crawl_module, "MAX_DUE_USERS_PER_RUN", 3)  # the schedule's due rows, 3 at a time
    run = world.run()
    assert Counter(run.client.profiles_read) == Counter(["self", *LEVEL_1, *LEVEL_2])
    assert not run.client.status.work_remaining
    [(due,)] = world.warehouse.query(
        f"SELECT count(*) FROM {{table}} WHERE kind = 'crawl' AND next_due_at <= '{world.now.isoformat()}'"
    )
    assert due == 0


def test_a_due_seed_reads_its_lists_whatever_their_counts() -> None:
    world = World()
    world.run_to_the_end()
    world.advance(7)  # the seed is due, and the found users whose first read spread them before
    run = world.run()
    assert sorted(run.client.profiles_read) == sorted(["self", *spread_due_within(7)])
    assert sorted(run.list_keys) == [f"followed_by:{SELF}", f"follows:{SELF}"]
    row = world.warehouse.crawl_row(SELF)
    assert row is not None and row["last_read_at"] == world.now and row["next_due_at"] == world.now + timedelta(hours=6)


def test_a_due_seed_cut_short_by_the_budget_reads_each_list_once_in_the_round() -> None:
    world = World()
    world.run_to_the_end()
    world.advance(7)
    # 3 requests a run: the profile and self's follows (2 pages), then the profile again and
    # followed_by; the follows read in the first run is not read again (later runs read the
    # found users whose first read made them due within these 7 hours)
    runs = world.run_to_the_end(3, client={"workers": 1})
    assert Counter(key for run in runs for key in run.list_keys) == all_lists([SELF])
    assert runs[0].client.profiles_read == ["self"] and "self" not in runs[1].client.profiles_read
    row = world.warehouse.crawl_row(SELF)
    round_ended = NOW + timedelta(hours=7, minutes=1)  # the second run's time
    assert row is not None and row["last_read_at"] == round_ended
    assert row["next_due_at"] == round_ended + timedelta(hours=6)


def test_a_changed_count_re_reads_that_list_only() -> None:
    world = World()
    world.run_to_the_end()
    world.advance(25)  # everyone is due
    world.follows["a1"].append("c9")  # a1 follows one more: its follows count changes
    run = world.run()
    found_lists = [key for key in run.list_keys if not key.endswith((f":{SELF}", ":c9"))]
    assert found_lists == ["follows:a1"]
    # the new member joins the frontier at depth 2 and is read in the same run, lists and all
    assert "c9" in run.client.profiles_read
    assert sorted(key for key in run.list_keys if key.endswith(":c9")) == ["followed_by:c9", "follows:c9"]
    assert world.warehouse.frontier()["c9"] == 2


def test_an_old_list_read_is_read_again_whatever_its_count() -> None:
    world = World()
    world.run_to_the_end()
    world.advance(24 * 7 + 1)  # every list read is older than list_max_age; everyone is due
    run = world.run()
    assert Counter(run.client.profiles_read) == Counter(["self", *LEVEL_1, *LEVEL_2])
    assert Counter(run.list_keys) == all_lists(BY_DEPTH_AND_ID)


def test_a_list_younger_than_the_max_age_is_not_read_again_when_its_user_is_due() -> None:
    world = World()
    world.run_to_the_end()
    world.advance(25)  # every user is due, no list is old
    run = world.run()
    assert Counter(run.client.profiles_read) == Counter(["self", *LEVEL_1, *LEVEL_2])
    assert sorted(run.list_keys) == [f"followed_by:{SELF}", f"follows:{SELF}"], "the seed's lists only"


# -- 5. reachability ----------------------------------------------------------------------------


def test_a_user_no_longer_reachable_leaves_the_frontier_after_the_list_is_read_again() -> None:
    world = World()
    world.run_to_the_end()
    world.follows[SELF].remove("a1")  # a1 was reachable through self's follows only
    world.advance(7)
    run = world.run()
    assert f"follows:{SELF}" in run.list_keys
    assert ("100", "a1") not in world.warehouse.edges()[f"follows:{SELF}"]
    world.advance(0.1)
    world.run()
    frontier = world.warehouse.frontier()
    # a1 left, and with it c2 and c5, found through a1 only; c1 stays (a3 follows it)
    assert "a1" not in frontier and "c2" not in frontier and "c5" not in frontier
    assert frontier == {SELF: 0, "a2": 1, "a3": 1, "b1": 1, **{c: 2 for c in LEVEL_2 if c not in ("c2", "c5")}}
    left = world.warehouse.crawl_row("a1")
    assert left is not None and left["active"] is False and left["next_due_at"] is None
    world.advance(25)  # everyone is due again: a1 is not read
    run = world.run()
    assert "a1" not in run.client.profiles_read and "c2" not in run.client.profiles_read


def test_a_capped_frontier_takes_in_the_next_users_when_members_leave() -> None:
    world = World()
    world.run_to_the_end(max_users=9)
    assert sorted(world.warehouse.frontier()) == sorted(BY_DEPTH_AND_ID[:9])
    world.follows[SELF].remove("a1")  # a1 and c2 leave (c1 stays through a3): c6 and c7 take their places
    world.advance(7)
    world.run(max_users=9)
    world.advance(0.1)
    run = world.run(max_users=9)
    assert world.warehouse.frontier() == {
        SELF: 0,
        "a2": 1,
        "a3": 1,
        "b1": 1,
        "c1": 2,
        "c3": 2,
        "c4": 2,
        "c6": 2,
        "c7": 2,
    }
    assert sorted(run.client.profiles_read) == ["c6", "c7"], "the newcomers are read in the run they join"


def test_a_user_reachable_by_a_shorter_path_moves_up() -> None:
    world = World()
    world.run_to_the_end()
    world.follows[SELF].append("c7")  # c7 (depth 2, through a3) now followed by self
    world.advance(7)
    world.run()
    world.advance(0.1)
    world.run()
    assert world.warehouse.frontier()["c7"] == 1


# -- 6. a server that serves the token user's lists only ----------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_self_only_server_profiles_the_users_found_with_at_most_one_refusal_per_worker(workers: int) -> None:
    world = World()
    runs = world.run_to_the_end(client={"self_only": True, "workers": workers})
    assert len(runs) == 1
    (run,) = runs
    assert Counter(run.client.profiles_read) == Counter(["self", *LEVEL_1])
    assert {key for key in run.list_keys} == {f"follows:{SELF}", f"followed_by:{SELF}"}
    refused = run.pages_of_others()
    assert 1 <= len(refused) <= workers, refused
    assert all(cursor is None for _, _, cursor in refused)
    assert len(run.errors()) == len(refused)
    assert world.state.get("self_only") is True
    assert world.warehouse.frontier() == {SELF: 0, **dict.fromkeys(LEVEL_1, 1)}
    # later runs ask for no other user's list at all
    world.advance(25)
    later = world.run(client={"self_only": True, "workers": workers})
    assert Counter(later.client.profiles_read) == Counter(["self", *LEVEL_1])
    assert later.pages_of_others() == []


def test_self_only_found_in_the_seed_level_still_profiles_the_users_found() -> None:
    world = World()
    (run,) = world.run_to_the_end(seeds=["self", "c1"], depth=1, client={"self_only": True, "workers": 1})
    assert run.pages_of_others() == [("c1", "follows", None)]
    assert sorted(run.client.profiles_read) == sorted(["self", "c1", *LEVEL_1])
    assert world.warehouse.frontier() == {SELF: 0, "c1": 0, **dict.fromkeys(LEVEL_1, 1)}


# -- 7. self counts once ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["self", SELF])
def test_self_counts_once_against_max_users(seed: str) -> None:
    world = World()
    (run,) = world.run_to_the_end(seeds=[seed], max_users=4, depth=1)
    assert world.warehouse.frontier() == {SELF: 0, "a1": 1, "a2": 1, "a3": 1}
    assert sorted(run.profiled()) == [SELF, "a1", "a2", "a3"]
    world.advance(25)  # everyone due: the frontier keeps its size
    world.run(seeds=[seed], max_users=4, depth=1)
    assert world.warehouse.frontier() == {SELF: 0, "a1": 1, "a2": 1, "a3": 1}


@pytest.mark.parametrize("seeds", [["self", SELF], [SELF, "self"]])
def test_the_token_user_named_twice_among_the_seeds_is_read_once(seeds: list[str]) -> None:
    world = World()
    (run,) = world.run_to_the_end(seeds=seeds, depth=1, max_users=4)
    assert world.warehouse.frontier() == {SELF: 0, "a1": 1, "a2": 1, "a3": 1}
    assert len([uid for uid in run.client.profiles_read if uid in ("self", SELF)]) == 1
    assert Counter(key for key in run.list_keys if key.endswith(f":{SELF}")) == all_lists([SELF])


def test_a_seed_profile_is_read_once_for_both_callers_and_a_crawled_one_is_not_kept() -> None:
    """`user_profiles` and the crawl share the seeds' reads (the rows go to the first caller);
    a user only the crawl asks for is read each time it is asked (once per run, by the crawl),
    and so nothing of it is held for the rest of the run."""
    graph = GraphClient(FOLLOWS, FOLLOWED_BY)
    schedule = Schedule(POLICY, None, "epoch-1")
    profiles = Profiles(SourceRun(graph, max_failed_runs=5, failure_state={}), schedule, shared=["self", SELF, "a1"])
    first, again = profiles.profile("self"), profiles.profile("self")
    assert first.real_id == again.real_id == SELF
    assert first.rows["user_counts"] and again.rows == {}
    assert profiles.profile(SELF).rows == {}, "`self` answers for its real id, a seed too"
    profiles.profile("a1"), profiles.profile("a1")
    profiles.profile("c1"), profiles.profile("c1")
    assert Counter(graph.profiles_read) == {"self": 1, "a1": 1, "c1": 2}
