"""`python -m pipelines.run` as users run it: a subprocess against a real emulator and DuckDB."""

from __future__ import annotations

import fcntl
import re
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from pipelines.run import (
    EXIT_ALREADY_RUNNING,
    EXIT_AUTH_ERROR,
    EXIT_CONFIG_ERROR,
    EXIT_FAILURE,
    EXIT_PARTIAL,
    EXIT_SUCCESS,
)
from tests.pipelines.conftest import (
    DEMO_ARGS,
    REPO_ROOT,
    answers_held,
    clean_run,
    copy_of_run,
    demo_env,
    pipeline_env,
    run_cli,
    run_once,
    source_settings,
    table_snapshot,
    watch_cli,
)
from tests.process_output import ProcessOutput

SCHEMAS = ("instagram_raw", "instagram_graph_raw", "instagram_analytics")


def test_help_documents_flags_and_exit_codes(tmp_path):
    result = run_cli(tmp_path, pipeline_env(tmp_path), "--help")
    assert result.returncode == 0
    for text in ("--demo", "--duckdb", "--full-refresh", "--crawl-depth", "exit codes", "already running"):
        assert text in result.stdout
    assert "--access-token" not in result.stdout


def test_configured_run_loads_transforms_and_summarises(tmp_path, emulator, first_run):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    stdout, stderr = first_run  # it exited 0
    assert "Loaded in this run:" in stdout
    assert "API requests:" in stdout
    assert "Work remains: no" in stdout
    # a first run reads every media it holds: all within the policy, per kind of list
    assert re.search(r"^Media counters within the refresh policy: .*user 100\.0 % of \d", stdout, re.M)

    database = tmp_path / "warehouse.duckdb"
    world = emulator.world
    with duckdb.connect(str(database), read_only=True) as con:
        loaded_self_media = con.execute(
            "SELECT count(*) FROM instagram_raw.media WHERE user_id = ?", [world.default_user_id]
        ).fetchone()[0]
        analytics_tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'instagram_analytics'"
        ).fetchone()[0]
    assert loaded_self_media == len(world.media_ids_of_user(world.default_user_id))
    assert analytics_tables > 0
    for line in (stdout + stderr).splitlines():
        assert emulator.access_token not in line

    # a second run with nothing new in the world changes nothing
    before = table_snapshot(database)
    again = run_cli(tmp_path, env)
    assert again.returncode == EXIT_SUCCESS, again.stderr[-3000:]
    assert table_snapshot(database) == before


def test_a_broken_contract_fails_the_transforms_with_a_clear_message(tmp_path, emulator, first_run):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:  # a media whose like counter is negative
        con.execute(
            "INSERT INTO instagram_raw.media (id, user_id, likes_count, comments_count, observed_at)"
            " VALUES ('broken_media', 'u1', -5, 0, now())"
        )
    before = table_snapshot(database, "instagram_analytics")
    result = run_cli(tmp_path, env)
    assert result.returncode == EXIT_FAILURE, result.stderr[-3000:]
    failure = [line for line in result.stderr.splitlines() if "contract test failed" in line]
    assert failure, result.stderr[-3000:]
    # the first model whose contract bounds the like counter names the test and the row
    for part in ("likes", "accepted_range", "media_id='broken_media'", "-5"):
        assert part in failure[0], failure[0]
    assert "Traceback" not in result.stderr
    # the model that broke its contract, and every model after it, keep their previous contents
    assert table_snapshot(database, "instagram_analytics")["media_engagement"] == before["media_engagement"]


def test_a_debug_run_leaves_the_token_nowhere(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    result = run_cli(tmp_path, env, "--log-level", "DEBUG")
    assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]
    assert "urllib3" in result.stderr  # DEBUG really logged the requests
    token = emulator.access_token.encode()
    assert token not in (result.stdout + result.stderr).encode()
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix == ".duckdb" for path in files)
    assert [path for path in files if token in path.read_bytes()] == []


def test_a_deleted_duckdb_file_is_extracted_again_in_full(tmp_path, tmp_path_factory, small_world_config, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    database = tmp_path / "warehouse.duckdb"
    copy_of_run(run_once(tmp_path_factory, small_world_config, "--no-transforms"), tmp_path)
    expected = table_snapshot(database)
    database.unlink()  # someone starts the warehouse over; dlt's working folder stays

    result = run_cli(tmp_path, env, "--no-transforms")
    assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]
    assert "discarding the stale local pipeline state" in result.stderr
    assert table_snapshot(database) == expected


def test_missing_token_is_a_configuration_error(tmp_path, emulator):
    settings = source_settings(emulator)
    del settings["SOURCES__INSTAGRAM__ACCESS_TOKEN"]
    result = run_cli(tmp_path, pipeline_env(tmp_path, **settings))
    assert result.returncode == EXIT_CONFIG_ERROR
    assert "access_token" in result.stderr


def test_invalid_token_is_an_authentication_error(tmp_path, emulator):
    bad_token = "1234.abcdef0.0123456789abcdef0123456789abcdef"
    result = run_cli(tmp_path, pipeline_env(tmp_path, **source_settings(emulator, token=bad_token)))
    assert result.returncode == EXIT_AUTH_ERROR
    assert "access_token" in result.stderr.lower() or "token" in result.stderr.lower()
    assert bad_token not in result.stdout + result.stderr
    assert emulator.stats.total <= 3  # fails at the first request, not after a crawl


def test_second_run_while_one_holds_the_lock_exits_at_once(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    lock_path = tmp_path / "warehouse.duckdb.lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        result = run_cli(tmp_path, env)
        elapsed = time.monotonic() - started
    assert result.returncode == EXIT_ALREADY_RUNNING
    assert "another run" in result.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()
    assert emulator.stats.total == 0
    assert elapsed < 30


def self_media_rows(database, world) -> tuple[int, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT count(*), count(DISTINCT id) FROM instagram_raw.media WHERE user_id = ?",
            [world.default_user_id],
        ).fetchone()


def test_duckdb_held_throughout_fails_clearly_and_the_next_run_finishes(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    database = tmp_path / "warehouse.duckdb"
    analyst = duckdb.connect(str(database))  # an analyst's session holding the file
    try:
        # the wait from dlt's configuration ([pipelines] load_wait_seconds), as --load-wait would
        started = time.monotonic()
        result = run_cli(tmp_path, {**env, "PIPELINES__LOAD_WAIT_SECONDS": "3"})
        assert time.monotonic() - started < 3 + 60  # not the default 120 s
    finally:
        analyst.close()
    assert result.returncode == EXIT_FAILURE
    assert "destination busy" in result.stderr and "lock" in result.stderr.lower()

    rerun = run_cli(tmp_path, env)
    assert rerun.returncode == EXIT_SUCCESS, rerun.stderr[-3000:]
    expected = len(emulator.world.media_ids_of_user(emulator.world.default_user_id))
    assert self_media_rows(database, emulator.world) == (expected, expected)


def test_duckdb_released_within_the_wait_lets_the_run_succeed(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    database = tmp_path / "warehouse.duckdb"
    analyst = duckdb.connect(str(database))
    try:
        cli = watch_cli(tmp_path, env, "--load-wait", "60")
        # released once the run has found the file held, and so is waiting for it
        assert cli.wait_for("destination busy"), cli.text[-3000:]
    finally:
        analyst.close()
    output = cli.finish()
    assert cli.process.returncode == EXIT_SUCCESS, output[-3000:]
    expected = len(emulator.world.media_ids_of_user(emulator.world.default_user_id))
    assert self_media_rows(database, emulator.world) == (expected, expected)


def test_duckdb_taken_during_extraction_keeps_the_extracted_package(tmp_path, small_world_config):
    from emulator import Emulator, World

    with Emulator(World(small_world_config), follows_any_user=True) as emu:
        env = pipeline_env(tmp_path, **source_settings(emu))
        database = tmp_path / "warehouse.duckdb"
        with answers_held(emu):
            cli = watch_cli(tmp_path, env, "--load-wait", "2", "--no-transforms")
            # dlt has synced its state (and let go of the file); extraction waits for answers
            assert cli.wait_for("Extract instagram"), cli.text[-3000:]
            analyst = duckdb.connect(str(database))
        try:
            output = cli.finish()
        finally:
            analyst.close()
        assert cli.process.returncode == EXIT_FAILURE, output[-3000:]
        assert "step load failed" in output
        assert "what it extracted is kept for the next run" in output

        media_pages = emu.stats.by_endpoint["GET /users/{id}/media/recent"]
        rerun = run_cli(tmp_path, env, "--no-transforms")
        assert rerun.returncode == EXIT_SUCCESS, rerun.stderr[-3000:]
        assert "loading packages left pending" in rerun.stderr
        expected = len(emu.world.media_ids_of_user(emu.world.default_user_id))
        assert self_media_rows(database, emu.world) == (expected, expected)
        # the pending package was loaded as it was, not wiped and extracted again: the rerun
        # read the media list incrementally (one page)
        rerun_media_pages = emu.stats.by_endpoint["GET /users/{id}/media/recent"] - media_pages
        assert rerun_media_pages == 1


def test_run_spent_budget_is_partial_and_next_runs_finish(tmp_path, tmp_path_factory, small_world_config):
    from emulator import Emulator, World

    expected = table_snapshot(clean_run(tmp_path_factory, small_world_config, CRAWL_DEPTH="2"))

    (tmp_path / "paced").mkdir()
    # an hourly window the runs cannot outlast, however slow: each run gets the same allowance,
    # its share (0.8) of 120, under a third of the crawl's 321 requests, so three runs stop
    # part-way (a limit of 60 made it seven, each a whole CLI start-up, and proved no more)
    with Emulator(World(small_world_config), follows_any_user=True, rate_limit=120) as paced:
        env = pipeline_env(tmp_path / "paced", **source_settings(paced, CRAWL_DEPTH="2"))
        codes = []
        for _ in range(40):
            result = run_cli(tmp_path / "paced", env, "--no-transforms")
            codes.append(result.returncode)
            if result.returncode != EXIT_PARTIAL:
                break
            assert "Work remains: the rate budget ran out" in result.stdout
            paced.reset_rate_limits()  # the next hour
    assert codes[0] == EXIT_PARTIAL
    assert codes[-1] == EXIT_SUCCESS, codes
    assert table_snapshot(tmp_path / "paced" / "warehouse.duckdb") == expected


KILL_PHASES = ("Extract instagram", "Normalize instagram", "Load instagram")


def kill_when_logged(cli: ProcessOutput, phase: str) -> None:
    """SIGKILL the run as soon as it logs the start of `phase` (dlt's progress lines)."""
    assert cli.wait_for(phase), f"the run ended before {phase!r}:\n{cli.text[-3000:]}"
    cli.process.send_signal(signal.SIGKILL)
    # every phase is followed by others, so the kill lands before the run could end
    assert cli.process.wait(60) == -signal.SIGKILL, cli.finish()[-3000:]
    cli.finish()


def test_killed_runs_recover_to_the_same_tables(tmp_path, tmp_path_factory, small_world_config):
    from emulator import Emulator, World

    expected = table_snapshot(clean_run(tmp_path_factory, small_world_config, CRAWL_DEPTH="2"))
    (tmp_path / "killed").mkdir()
    with Emulator(World(small_world_config), follows_any_user=True) as emu:
        env = pipeline_env(tmp_path / "killed", **source_settings(emu, CRAWL_DEPTH="2"))
        # each kill lands in a phase named by the run's own log, however loaded the machine:
        # while extracting, while normalizing a finished extraction, and while loading the
        # package that kill left pending
        for phase in KILL_PHASES:
            kill_when_logged(watch_cli(tmp_path / "killed", env, "--no-transforms"), phase)
        final = run_cli(tmp_path / "killed", env, "--no-transforms")
    assert final.returncode == EXIT_SUCCESS, final.stderr[-3000:]
    assert table_snapshot(tmp_path / "killed" / "warehouse.duckdb") == expected


@pytest.mark.parametrize("moment", ["extract_commit", "normalize_commit", "schema_save"])
def test_a_run_killed_inside_a_dlt_commit_is_finished_by_the_next(
    tmp_path, tmp_path_factory, small_world_config, emulator, moment
):
    """dlt left alone trips over each of these for ever: the next runs exit 2 (nothing to
    extract: the package is never normalized), 1 (normalizing again finds the package in
    place) or 1 (the half-saved schema is an invalid schema name)."""
    (tmp_path / "killed").mkdir()
    env = pipeline_env(tmp_path / "killed", **source_settings(emulator))
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.pipelines.crashing_cli", "--no-transforms"],
        cwd=tmp_path / "killed",
        env={**env, "CRASH_INSIDE": moment},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    for _ in range(2):  # the second run proves the first left nothing behind to trip over
        rerun = run_cli(tmp_path / "killed", env, "--no-transforms")
        assert rerun.returncode == EXIT_SUCCESS, rerun.stderr[-3000:]
    assert table_snapshot(tmp_path / "killed" / "warehouse.duckdb") == table_snapshot(
        clean_run(tmp_path_factory, small_world_config)
    )


def test_demo_is_deterministic_and_a_killed_demo_finishes_the_same(tmp_path, demo):
    # the demo run again on a copy of its folder, and a killed demo finished in another, end
    # with the tables of the first run: the killed demo started afresh in its own folder too, so
    # it also shows that two demos started apart agree (a third fresh demo would show nothing more)
    again = tmp_path / "again"
    output, _ = copy_of_run(demo, again)
    assert "The warehouse is ready" in output
    # the closing lines open the published read copy, with what the project installs
    assert "duckdb.connect('instagram_read.duckdb', read_only=True)" in output
    assert "instagram_analytics.user_graph_metrics" in output
    # the Graph API's run comes first, into the same file, and the analytics read both
    assert output.index("through the Graph API") < output.index("through the v1 API")
    first = {schema: table_snapshot(demo / "instagram.duckdb", schema) for schema in SCHEMAS}
    assert first["instagram_graph_raw"]["media_insights"] and "instagram_graph_raw.media_insights" in output

    result = run_cli(again, demo_env(again), *DEMO_ARGS)
    assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]

    killed = tmp_path / "killed"
    shutil.copytree(REPO_ROOT / ".dlt", killed / ".dlt")  # as scripts/demo runs it
    # one kill in each source's run: as the Graph API's extracts, as v1's loads
    for phase in ("Extract instagram_graph", "Load instagram in"):
        kill_when_logged(watch_cli(killed, demo_env(killed), *DEMO_ARGS), phase)
    finished = run_cli(killed, demo_env(killed), *DEMO_ARGS)
    assert finished.returncode == EXIT_SUCCESS, finished.stderr[-3000:]

    for schema in SCHEMAS:
        assert first[schema]
        assert table_snapshot(again / "instagram.duckdb", schema) == first[schema]
        assert table_snapshot(killed / "instagram.duckdb", schema) == first[schema]
