"""The Graph API source killed with SIGKILL at moments through a first read and through a later
run, then rerun, ends with the tables of clean runs (v1's tests/source/test_kill.py, for this
source, on its machinery: `tests.source.pipeline_process`).

The moments: while a request halfway through a run is in flight (the emulator stalls it), so
that what the run read is lost with its media pass half way down the list; inside dlt's commit
of an extracted package (its schema and state not saved); inside the load, once `media` is
staged and before dlt records the job done (the package is loaded again); and as the load of a
later run starts. Each lands in a run that first recovers what the one before left.
"""

from __future__ import annotations

import io
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from emulator import Emulator, FaultPlan, World
from tests.process_output import ProcessOutput
from tests.shared import source_env
from tests.source.pipeline_process import start

from .conftest import GRAPH_SOURCE_WORLD, PAGE_SIZE, GraphLoader

GRAPH = "graph"
HASHTAGS = ["love"]  # the source state's hashtag bookkeeping goes through the kills too
# between the first read and the later run: media reach their next ages, comments come, stories
# expire and others are posted
LATER_SECONDS = 4 * 86400
STALL_SECONDS = 600.0  # far longer than the kill takes to land; the emulator's stop ends it


@dataclass(frozen=True)
class Kill:
    """`how` (`request`: while the request `where` of the way through the clean run's is in
    flight; `inside`: a moment of `tests.pipelines.crashing_cli`; `staging`: once that table
    is staged; `step`: as dlt's progress names that step) and where."""

    how: str
    where: str | float


FIRST_READ = (Kill("request", 0.5), Kill("inside", "extract_commit"), Kill("staging", "media"))
LATER_RUN = (Kill("request", 0.5), Kill("step", "Load instagram_graph"))


def emulator() -> Emulator:
    return Emulator(World(GRAPH_SOURCE_WORLD), api="graph", rate_limit=10**6)


def test_sigkill_through_a_first_read_and_a_later_run_then_rerun_equals_clean_runs(tmp_path: Path) -> None:
    clean = GraphLoader(tmp_path / "clean")
    requests = []
    with emulator() as served:
        for moment in range(2):
            if moment:
                served.advance(LATER_SECONDS)
            served.stats.reset()
            clean.run(served, hashtags=HASHTAGS)
            requests.append(served.stats.total)

    killed = GraphLoader(tmp_path / "killed")
    killed.root.mkdir()
    with emulator() as served:
        env = {
            **os.environ,
            **source_env(
                {
                    "BASE_URL": served.base_url,
                    "ACCESS_TOKEN": served.access_token,
                    "HASHTAGS": json.dumps(HASHTAGS),
                    "MEDIA_PAGE_SIZE": str(PAGE_SIZE),  # as `GraphLoader.run`
                },
                "SOURCES__INSTAGRAM_GRAPH",
                "instagram_graph",
            ),
        }
        for moment, (kills, made) in enumerate(zip((FIRST_READ, LATER_RUN), requests, strict=True)):
            if moment:
                served.advance(LATER_SECONDS)
            for kill in kills:
                kill_a_run(served, killed, env, kill, made)
            rerun = start(killed.root, env, killed.warehouse, GRAPH)
            _, stderr = rerun.communicate(timeout=120)
            assert rerun.returncode == 0, stderr.decode()[-3000:]

    tables = killed.tables()
    assert tables == clean.tables()
    for table, key in (("media", "id"), ("comments", "id"), ("media_counts", "snapshot_key")):
        assert killed.rows(f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == [(0,)]
    assert tables["media_insights"] and tables["stories"] and tables["hashtag_media"]


def kill_a_run(served: Emulator, loader: GraphLoader, env: dict[str, str], kill: Kill, requests: int) -> None:
    """Start a run and have it killed as `kill` says (`requests`: the clean run's)."""
    marker = loader.root / f"staged.{kill.where}"
    crash = {
        "inside": {"CRASH_INSIDE": str(kill.where)},
        "staging": {"CRASH_AFTER_STAGING": str(kill.where), "CRASH_AFTER_STAGING_MARKER": str(marker)},
    }.get(kill.how, {})
    if kill.how == "request":
        number = max(1, round(requests * float(kill.where)))
        served.set_faults(FaultPlan(schedule={number: "stall"}, stall_seconds=STALL_SECONDS))
    process = start(loader.root, {**env, **crash}, loader.warehouse, GRAPH)
    output = ProcessOutput(process, io.TextIOWrapper(process.stderr))
    try:
        if kill.how == "request":
            output.wait_until(lambda: bool(served.fired_faults), f"request {number}")
            process.send_signal(signal.SIGKILL)
        elif kill.how == "step":
            assert output.wait_for(str(kill.where)), output.finish()[-3000:]
            process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=120) == -signal.SIGKILL, output.finish()[-3000:]
    finally:
        served.clear_faults()
        if process.poll() is None:
            process.kill()
        output.finish()
