"""Follow history over several advances of an emulator world, checked against the world's truth.

The source runs over HTTP after each advance with a capped depth-1 crawl: as the world changes,
the users chosen at depth 1 change, so some lists are read once and never again while the other
list of their edges (`followed_by:B` for an edge A -> B in `follows:A`) is read again. The
transforms must decide each edge by the newest complete read of either of its lists.

The expected history is worked out here from the world's truth and from the lists the emulator
served in each round (recorded by wrapping the world's list methods, independently of what the
source loads): at each round, every edge whose `follows` or `followed_by` list was read is
observed present or absent.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt

from emulator import Emulator, World, WorldConfig
from sources.instagram import instagram
from tests.transforms.conftest import Warehouse

WORLD = WorldConfig(seed=21, users=200, media_per_user=1.0, tags=20, locations=10)
# the default refresh policy: users are due daily (the advances are a day), and a list whose
# count did not change waits (change detection), so some lists go stale while the other list of
# their edges is read again
CRAWL = {"crawl_depth": 1, "crawl_max_users": 40, "resources": ["follow_graph"]}
ADVANCES = 3
# per advance of a day: many more changes than the world's default rates, so that unfollows
# hit lists the crawl reads
CHANGES = {"seconds": 86400, "new_follows": 200, "unfollows": 200}

Edge = tuple[str, str]


class ListsServed:
    """The follow lists the emulator served since the last `take()`, as `{kind}:{owner}` keys."""

    def __init__(self, world: World) -> None:
        self.keys: set[str] = set()
        for kind, method in (("follows", "follows_with_seq"), ("followed_by", "followed_by_with_seq")):
            setattr(world, method, self._recording(kind, getattr(world, method)))

    def _recording(self, kind: str, served: Callable[[str], Any]) -> Callable[[str], Any]:
        def recorded(uid: str) -> Any:
            self.keys.add(f"{kind}:{uid}")
            return served(uid)

        return recorded

    def take(self) -> set[str]:
        keys, self.keys = self.keys, set()
        return keys


def control(emulator: Emulator, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A call to the emulator's control interface (POST with a JSON body, else GET)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator.root_url}/_emulator/{path}", data=data)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def list_keys(edge: Edge) -> tuple[str, str]:
    """The two lists that can show an edge."""
    return f"follows:{edge[0]}", f"followed_by:{edge[1]}"


def observable(edge: Edge, lists: set[str]) -> bool:
    return any(key in lists for key in list_keys(edge))


class ExpectedHistory:
    """What complete reads showed of each edge, round after round: `(time, present)` per edge,
    for the rounds in which one of its lists was read. Edges never shown are left out."""

    def __init__(self) -> None:
        self.rounds: list[tuple[datetime, set[Edge], set[str]]] = []
        self.observations: dict[Edge, list[tuple[datetime, bool]]] = {}

    def observe(self, now: datetime, truth: set[Edge], lists: set[str]) -> None:
        self.rounds.append((now, truth, lists))
        shown = {edge for _, truth, lists in self.rounds for edge in truth if observable(edge, lists)}
        self.observations = {
            edge: [(when, edge in truth) for when, truth, lists in self.rounds if observable(edge, lists)]
            for edge in shown
        }

    def events(self) -> set[tuple[str, str, str, datetime]]:
        events = set()
        for (follower, followed), seen in self.observations.items():
            previous = None
            for index, (when, present) in enumerate(seen):
                if present and not previous:
                    events.add((follower, followed, "initial" if index == 0 else "follow", when))
                if previous and not present:
                    events.add((follower, followed, "unfollow", when))
                previous = present
        return events

    def current(self) -> dict[Edge, tuple[datetime, bool, datetime]]:
        """Current edges: (first_seen_at, first_seen_at_first_read, last_confirmed_at)."""
        current = {}
        for edge, seen in self.observations.items():
            if not seen[-1][1]:
                continue
            start = len(seen) - 1
            while start > 0 and seen[start - 1][1]:
                start -= 1
            current[edge] = (seen[start][0], start == 0, seen[-1][0])
        return current


def run_source(pipeline: dlt.Pipeline, emulator: Emulator, seeds: list[str]) -> None:
    pipeline.run(instagram(access_token=emulator.access_token, base_url=emulator.base_url, user_ids=seeds, **CRAWL))


def current_pairs(warehouse: Warehouse) -> set[Edge]:
    return set(warehouse.query("SELECT follower_id, followed_id FROM instagram_analytics.follow_edges"))


def stale_but_contradicted(world_before: set[Edge], truth: set[Edge], lists: set[str], read_before: set[str]) -> int:
    """Edges a `follows` list showed at its last read, which is not read again now, while the
    other list (`followed_by`), read now, no longer shows them: what the bug kept current."""
    return sum(
        1
        for follower, followed in world_before - truth
        if f"follows:{follower}" in read_before
        and f"follows:{follower}" not in lists
        and f"followed_by:{followed}" in lists
    )


def test_follow_history_follows_the_newest_evidence_of_either_list(tmp_path: Path) -> None:
    world = World(WORLD)
    lonely = next(u for u in world.user_ids() if not world.followed_by(u) and not world.is_private(u))
    seeds = ["self", lonely]  # a seed without followers at the first read: its first is a 'follow'
    lists_served = ListsServed(world)
    warehouse = Warehouse(tmp_path / "instagram.duckdb")
    expected = ExpectedHistory()
    contradicted = 0
    with Emulator(world, follows_any_user=True) as emulator:
        for round_number in range(ADVANCES + 1):
            if round_number == 1:  # between two reads of its followers list, the seed gets one
                world.follow(next(u for u in world.user_ids() if u != lonely and not world.is_private(u)), lonely)
            if round_number:
                control(emulator, "advance", CHANGES)
            now = datetime.fromtimestamp(control(emulator, "world")["now"], UTC)
            run_source(warehouse.pipeline(), emulator, seeds)
            lists = lists_served.take()
            truth = set(world.follow_edges())
            if expected.rounds:
                _, truth_before, read_before = expected.rounds[-1]
                contradicted += stale_but_contradicted(truth_before, truth, lists, read_before)
            expected.observe(now, truth, lists)
            warehouse.transform()

            current = current_pairs(warehouse)
            # every edge that this round's reads can observe is current exactly when it is true
            assert {e for e in current if observable(e, lists)} == {e for e in truth if observable(e, lists)}
            events = set(warehouse.query("SELECT * FROM instagram_analytics.follow_events"))
            assert events == expected.events(), round_number
            assert current == set(expected.current()), round_number

        # a from-scratch run of the same world reads the same lists and finds the same edges; the
        # incremental warehouse holds besides only edges neither of whose lists it read now
        fresh = Warehouse(tmp_path / "fresh.duckdb", pipelines_dir=tmp_path / "fresh_pipelines")
        run_source(fresh.pipeline(), emulator, seeds)
        # the frontiers may differ (a continuous crawl keeps its members over newcomers, and
        # users leave it one run after the lists that held them changed): compare the lists
        # both read
        both = lists & lists_served.take()
        assert len(both) > len(lists) // 2
        fresh.transform()
    assert {e for e in current if observable(e, both)} == {e for e in current_pairs(fresh) if observable(e, both)}
    # the scenario is the one the bug hid: unfollows shown only by the other list's newer read
    assert contradicted > 0

    # when each current edge began, whether before the first read, and the read it is current as of
    rows = warehouse.query(
        "SELECT follower_id, followed_id, first_seen_at, first_seen_at_first_read, last_confirmed_at"
        " FROM instagram_analytics.follow_edges"
    )
    assert {(row[0], row[1]): row[2:] for row in rows} == expected.current()
    # every complete read is on record, empty lists included (the seed's followers, at first)
    reads = warehouse.query("SELECT observed_at, list_key, member_count FROM instagram_raw.follow_list_reads")
    assert sorted(reads) == sorted(
        (when, key, sum(1 for edge in truth if key in list_keys(edge)))
        for when, truth, lists in expected.rounds
        for key in lists
    )
    assert (expected.rounds[0][0], f"followed_by:{lonely}", 0) in reads
