"""A run killed with SIGKILL at random points, then rerun, ends with the tables of a clean run."""

from __future__ import annotations

import io
import json
import os
import random
import signal
from pathlib import Path

import pytest

from emulator import Emulator, World
from tests.process_output import ProcessOutput
from tests.shared import source_env
from tests.warehouses import DESTINATIONS, Warehouses

from .conftest import SMALL_WORLD, Loader
from .pipeline_process import finish, start


def _environment(emu: Emulator, world: World) -> dict[str, str]:
    config = {
        "BASE_URL": emu.base_url,
        "ACCESS_TOKEN": emu.access_token,
        "USER_IDS": json.dumps(["self", *world.follows(world.default_user_id)[:3]]),
        "TAGS": json.dumps(sorted(world.tag_names(), key=lambda t: -len(world.tag_media(t)))[:2]),
        "GEOGRAPHY_IDS": json.dumps(world.geography_ids()[:2]),
        "CRAWL_DEPTH": "1",
        "CRAWL_MAX_USERS": "10",
        "MEDIA_PAGE_SIZE": "4",
        "FOLLOW_PAGE_SIZE": "5",
        "RESOURCES": json.dumps(
            ["user_profiles", "user_media", "feed", "tag_media", "geography_media", "follow_graph"]
        ),
    }
    return {**os.environ, **source_env(config)}


# the steps a kill may land in, named as dlt's progress names them at their start
STEPS = ("Extract instagram", "Normalize instagram", "Load instagram")


@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)
def test_sigkill_at_random_points_then_rerun_equals_a_clean_run(tmp_path: Path, warehouses: Warehouses) -> None:
    clean_dir, killed_dir = tmp_path / "clean", tmp_path / "killed"
    clean_dir.mkdir(), killed_dir.mkdir()
    clean, killed = warehouses.new(clean_dir), warehouses.new(killed_dir)
    with Emulator(World(SMALL_WORLD), follows_any_user=True) as emu:
        assert finish(start(clean_dir, _environment(emu, emu.world), clean)) == 0

    rng = random.Random(11)
    with Emulator(World(SMALL_WORLD), follows_any_user=True, latency=0.002) as emu:
        env = _environment(emu, emu.world)
        kills = 0
        # every step in a random order, one twice; each kill lands as its step starts, so where
        # it lands does not depend on how loaded the machine is (a run after a kill may first
        # normalize and load what that one left)
        plan = [*STEPS, rng.choice(STEPS)]
        rng.shuffle(plan)
        for step in plan:
            process = start(killed_dir, env, killed)
            output = ProcessOutput(process, io.TextIOWrapper(process.stderr))
            if output.wait_for(step):
                process.send_signal(signal.SIGKILL)
            if process.wait(timeout=60) == -signal.SIGKILL:
                kills += 1
            else:
                assert process.returncode == 0, output.finish()[-2000:]
            output.finish()
        assert kills >= 2
        for _ in range(2):  # the first rerun may only load a package a kill left behind
            finished = start(killed_dir, env, killed)
            _, stderr = finished.communicate(timeout=120)
            assert finished.returncode == 0, stderr.decode()[-2000:]

    assert Loader(killed_dir, warehouse=killed).tables() == Loader(clean_dir, warehouse=clean).tables()


@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)
def test_a_crash_after_follow_edges_reached_staging_leaves_no_duplicates(
    tmp_path: Path, warehouses: Warehouses
) -> None:
    """dlt resumes the package by loading that file into staging again; the scd2 merge would
    insert every edge twice, and the repair after the load removes the copies."""
    clean_dir, crashed_dir = tmp_path / "clean", tmp_path / "crashed"
    clean_dir.mkdir(), crashed_dir.mkdir()
    clean, crashed = warehouses.new(clean_dir), warehouses.new(crashed_dir)
    with Emulator(World(SMALL_WORLD), follows_any_user=True) as emu:
        assert finish(start(clean_dir, _environment(emu, emu.world), clean)) == 0

        crash = {
            **_environment(emu, emu.world),
            "CRASH_AFTER_STAGING": "follow_edges",
            "CRASH_AFTER_STAGING_MARKER": str(tmp_path / "crashed.marker"),
        }
        assert finish(start(crashed_dir, crash, crashed)) == -signal.SIGKILL
        rerun = start(crashed_dir, crash, crashed)
        _, stderr = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, stderr.decode()[-2000:]
        assert "follow_edges rows that an interrupted load had inserted twice" in stderr.decode()

    crashed_loader = Loader(crashed_dir, warehouse=crashed)
    assert crashed_loader.tables() == Loader(clean_dir, warehouse=clean).tables()
    assert crashed_loader.rows("SELECT count(*), count(DISTINCT edge_key) FROM follow_edges") == [
        (len(crashed_loader.tables()["follow_edges"]),) * 2
    ]
