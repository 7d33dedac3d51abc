"""A first pass of the follow crawl that stops at request N (SIGINT, SIGKILL, or the request
budget running out), then is finished by the next run, ends with the tables of an
uninterrupted run: the same users chosen for a frontier capped below what depth 2 reaches, the
same edges and profiles, the same schedule (docs/refresh.md, "The crawl's frontier"; issue #21,
item 10). The real `python -m pipelines.run` against the emulator, into DuckDB files.

The moments are requests, not times. The crawl runs with one worker, so that request N is the
same request in every run (the test checks it against the uninterrupted run's requests). A
signal lands while request N is in flight: the emulator stalls that request (the `stall`
fault) and the test sends the signal once the emulator has handled it, so the process has the
answers to requests 1 to N - 1 and no other. A budget case runs on a share of the emulator's
allowance that affords N requests. N is placed by where each level's reads begin in the
uninterrupted run: with one worker, the levels are read in turn, each user's profile first.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from emulator import Emulator, FaultPlan, World, WorldConfig
from pipelines.run import EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_SUCCESS

from .conftest import pipeline_env, run_cli, source_settings, table_snapshot, wait_for_signal_handlers, watch_cli

WORLD = WorldConfig(seed=7, users=150)
DEPTH = 2
MAX_USERS = 60  # the world's depth 2 reaches more: the first pass chooses among level 2's users
RATE_LIMIT = 1_000_000
SETTINGS = {
    "CRAWL_DEPTH": str(DEPTH),
    "CRAWL_MAX_USERS": str(MAX_USERS),
    "RESOURCES": '["follow_graph"]',
    "WORKERS": "1",  # one request at a time: request N is the same request in every run
    "FOLLOW_PAGE_SIZE": "5",  # lists of several pages: a run may stop inside one
}
CLI_ARGS = ("--no-transforms", "--no-publish")
# every request gets a fault that changes nothing, so that the emulator lists each one
EVERY_REQUEST_LISTED = FaultPlan(rates={"latency": 1.0}, latency_seconds=0.0)
STALL_SECONDS = 600.0  # far longer than a signal takes to land; the emulator's stop ends it
PROFILE = "GET /users/{id}"
CASES_AT_ONCE = 3  # each case's runs wait on the disk and on a stalled request as much as on a core


@dataclass(frozen=True)
class Case:
    """Stop the first run `how` at a request `where` (0 to 1) through the reads of `level`."""

    how: str  # "SIGINT", "SIGKILL" or "budget"
    level: int
    where: float

    def __str__(self) -> str:
        return f"{self.how} in level {self.level} at {self.where:.0%}"


# in the reads of level 0 (the token user), 1 (every user of it joins) and 2 (cut by the cap)
CASES = (
    Case("SIGINT", 0, 0.5),
    Case("SIGINT", 1, 0.25),
    Case("SIGINT", 1, 0.9),
    Case("SIGINT", 2, 0.5),
    Case("SIGKILL", 1, 0.6),
    Case("SIGKILL", 2, 0.5),
    Case("budget", 1, 0.5),
    Case("budget", 2, 0.5),
)


@dataclass(frozen=True)
class CleanRun:
    raw: dict[str, list[tuple]]  # every raw table
    frontier: dict[str, int]  # user id → depth
    requests: list[str]  # the endpoint of each request, in order
    levels: dict[int, range]  # depth → the numbers of the requests reading that level


def test_a_first_pass_stopped_at_any_request_chooses_the_users_of_an_uninterrupted_one(tmp_path: Path) -> None:
    clean = _clean_run(tmp_path / "clean")
    with ThreadPoolExecutor(CASES_AT_ONCE) as pool:
        outcomes = pool.map(
            lambda numbered: _differences(numbered[1], clean, tmp_path / f"case{numbered[0]}"), enumerate(CASES)
        )
        different = {str(case): outcome for case, outcome in zip(CASES, outcomes, strict=True) if outcome}
    assert not different, "\n".join(f"{case}: {outcome}" for case, outcome in different.items())


def _clean_run(folder: Path) -> CleanRun:
    folder.mkdir()
    with _emulator() as emu:
        emu.set_faults(EVERY_REQUEST_LISTED)
        run = run_cli(folder, pipeline_env(folder, **source_settings(emu, **SETTINGS)), *CLI_ARGS)
        assert run.returncode == EXIT_SUCCESS, run.stderr[-3000:]
        requests = _requests(emu)
        reachable = _reachable(emu.world)
    # the cap cuts level 2: the first pass chooses which of its users join, the lowest ids
    assert len(reachable) > MAX_USERS > sum(1 for depth in reachable.values() if depth < DEPTH)
    database = folder / "warehouse.duckdb"
    frontier = _frontier(database)
    assert frontier == dict(sorted(reachable.items(), key=lambda member: (member[1], member[0]))[:MAX_USERS])
    sizes = [sum(1 for depth in frontier.values() if depth == level) for level in range(DEPTH + 1)]
    starts = [number for number, endpoint in enumerate(requests, 1) if endpoint == PROFILE]
    assert len(starts) == MAX_USERS  # one profile read per member, as it is read
    bounds = [starts[sum(sizes[:level])] for level in range(DEPTH + 1)] + [len(requests) + 1]
    levels = {level: range(bounds[level], bounds[level + 1]) for level in range(DEPTH + 1)}
    return CleanRun(table_snapshot(database), frontier, requests, levels)


def _differences(case: Case, clean: CleanRun, folder: Path) -> str:
    """What the tables after `case` and the run that finishes its pass hold that the clean
    run's do not ("" for nothing), or how its runs went wrong."""
    folder.mkdir()
    span = clean.levels[case.level]
    n = span[round(case.where * (len(span) - 1))]
    try:
        with _emulator() as emu:
            env = pipeline_env(folder, **source_settings(emu, **SETTINGS))
            stop = _stop_by_budget if case.how == "budget" else _stop_by_signal
            made = stop(case, n, emu, folder, env)
            assert made == clean.requests[:n], f"the first run's {len(made)} requests are not the clean run's first {n}"
            emu.clear_faults()
            emu.reset_rate_limits()
            finish = run_cli(folder, env, *CLI_ARGS)
            assert finish.returncode == EXIT_SUCCESS, (
                f"the next run exited {finish.returncode}:\n{finish.stderr[-3000:]}"
            )
    except AssertionError as error:
        return f"request {n}: {error}"
    database = folder / "warehouse.duckdb"
    frontier = _frontier(database)
    raw = table_snapshot(database)
    if raw == clean.raw:
        return ""
    only_clean = sorted(f"{user} (depth {depth})" for user, depth in clean.frontier.items() if user not in frontier)
    only_here = sorted(f"{user} (depth {depth})" for user, depth in frontier.items() if user not in clean.frontier)
    tables = sorted(table for table in clean.raw.keys() | raw.keys() if raw.get(table) != clean.raw.get(table))
    return (
        f"request {n}: tables {tables} differ; frontier without {only_clean}, with {only_here}"
        if only_clean or only_here
        else f"request {n}: tables {tables} differ, the frontier does not"
    )


def _stop_by_signal(case: Case, n: int, emu: Emulator, folder: Path, env: dict[str, str]) -> list[str]:
    """The first run, sent the case's signal while request `n` is in flight; its requests."""
    signum = signal.Signals[case.how]
    emu.set_faults(replace(EVERY_REQUEST_LISTED, schedule={n: "stall"}, stall_seconds=STALL_SECONDS))
    run = watch_cli(folder, env, *CLI_ARGS)
    try:
        wait_for_signal_handlers(run.process, signal.SIGINT, signal.SIGTERM)
        run.wait_until(lambda: any(fault.kind == "stall" for fault in emu.fired_faults), "its last request")
        run.process.send_signal(signum)
        output = run.finish()
    finally:
        if run.process.poll() is None:  # the test failed before the run ended
            run.process.kill()
            run.finish()
    code = -signum if signum == signal.SIGKILL else EXIT_INTERRUPTED[signum]
    assert run.process.returncode == code, f"the first run exited {run.process.returncode}:\n{output[-3000:]}"
    return _requests(emu)


def _stop_by_budget(case: Case, n: int, emu: Emulator, folder: Path, env: dict[str, str]) -> list[str]:
    """The first run, on a budget of `n` requests; its requests."""
    emu.set_faults(EVERY_REQUEST_LISTED)
    # the run keeps `(1 - share) × limit` of the allowance: a share of n - 1/2 requests makes
    # request n and not n + 1, however the product rounds
    share = str((n - 0.5) / RATE_LIMIT)
    run = run_cli(folder, {**env, "SOURCES__INSTAGRAM__TUNING__BUDGET_SHARE": share}, *CLI_ARGS)
    assert run.returncode == EXIT_PARTIAL, f"the first run exited {run.returncode}:\n{run.stderr[-3000:]}"
    return _requests(emu)


def _emulator() -> Emulator:
    return Emulator(World(WORLD), follows_any_user=True, rate_limit=RATE_LIMIT)


def _requests(emu: Emulator) -> list[str]:
    """The endpoint of each request the emulator answered since its fault plan was installed."""
    fired = sorted(emu.fired_faults, key=lambda fault: fault.number)
    assert [fault.number for fault in fired] == list(range(1, len(fired) + 1))
    return [fault.endpoint for fault in fired]


def _frontier(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "SELECT entity_id, depth FROM instagram_raw.refresh_schedule WHERE kind = 'crawl' AND active"
        ).fetchall()
    return dict(found)


def _reachable(world: World) -> dict[str, int]:
    """The users within `DEPTH` hops of the token user over the lists it may read (a private
    user's only if it follows them), by the world's truth: user id → hops."""
    me = world.default_user_id
    depths, level = {me: 0}, [me]
    for hop in range(1, DEPTH + 1):
        readable = [user for user in level if _lists_readable(world, me, user)]
        found = {other for user in readable for other in (*world.follows(user), *world.followed_by(user))}
        level = sorted(found - depths.keys())
        depths |= dict.fromkeys(level, hop)
    return depths


def _lists_readable(world: World, me: str, user: str) -> bool:
    return user == me or not world.is_private(user) or world.relationship(me, user)["outgoing_status"] == "follows"
