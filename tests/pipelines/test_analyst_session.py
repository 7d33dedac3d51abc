"""Analysts read the published copy while runs load: a real analyst process, a real run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import duckdb

from pipelines.run import EXIT_SUCCESS
from pipelines.warehouse import PUBLISHING_SUFFIX
from tests.pipelines.analyst_session import state
from tests.pipelines.conftest import REPO_ROOT, pipeline_env, run_cli, source_settings


def published_state(path) -> list:
    with duckdb.connect(str(path), read_only=True) as connection:
        return state(connection)


class Analyst:
    """`python -m tests.pipelines.analyst_session hold`: one read-only session, kept open."""

    def __init__(self, path, env):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.pipelines.analyst_session", "hold", str(path)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def ask(self, command: str):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(30) == 0


def test_an_open_analyst_session_keeps_its_state_and_never_blocks_the_run(tmp_path, emulator, first_run):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    read_copy = tmp_path / "warehouse_read.duckdb"
    before = published_state(read_copy)
    assert before == published_state(tmp_path / "warehouse.duckdb")

    emulator.advance(86400)  # a day of new media, likes and follows for the next run to load
    analyst = Analyst(read_copy, env)
    stop = tmp_path / "stop_polling"
    poller = subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.analyst_session", "poll", str(read_copy), str(stop)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.ask("state") == before
        second = run_cli(tmp_path, env, "--load-wait", "0")  # an analyst must not make it wait
        assert second.returncode == EXIT_SUCCESS, second.stderr[-3000:]
        after = published_state(tmp_path / "warehouse.duckdb")
        assert after != before and after[1] > before[1]  # the run loaded new media
        assert published_state(read_copy) == after
        # the open session still reads the state it opened, whole
        assert analyst.ask("state") == before
        assert analyst.ask("reopen") == {"reopened": True}
        assert analyst.ask("state") == after
    finally:
        stop.touch()
        seen = json.loads(poller.communicate(timeout=60)[0])
        analyst.close()
    # every copy opened during the run was one whole run's state, never a half-loaded one
    assert seen[0] == before
    assert all(observed in (before, after) for observed in seen), seen


def test_a_kill_mid_publish_leaves_the_previous_copy_and_the_next_run_publishes(tmp_path, emulator, first_run):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    read_copy = tmp_path / "warehouse_read.duckdb"
    before = published_state(read_copy)

    emulator.advance(86400)
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.pipelines.crashing_cli"],
        cwd=tmp_path,
        env={**env, "CRASH_INSIDE": "publish"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    temporary = read_copy.with_name(read_copy.name + PUBLISHING_SUFFIX)
    assert temporary.exists()  # killed after the copy was written, before the rename
    assert published_state(read_copy) == before
    loaded = published_state(tmp_path / "warehouse.duckdb")
    assert loaded != before  # the killed run had loaded and transformed the new day

    rerun = run_cli(tmp_path, env)
    assert rerun.returncode == EXIT_SUCCESS, rerun.stderr[-3000:]
    assert not temporary.exists()
    assert published_state(read_copy) == published_state(tmp_path / "warehouse.duckdb")
    assert published_state(read_copy)[1:] == loaded[1:]  # the same data; the rerun's own load is newer


def test_no_read_copy_without_transforms_or_with_no_publish(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    for flag in ("--no-transforms", "--no-publish"):
        result = run_cli(tmp_path, env, flag)
        assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]
        assert (tmp_path / "warehouse.duckdb").exists()
        assert not (tmp_path / "warehouse_read.duckdb").exists(), flag
