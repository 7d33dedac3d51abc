"""SIGINT and SIGTERM at random moments of a run: each process stops within 10 s (or, on a
loaded machine, what a whole clean run took there) with its documented exit code, and the next
run ends equal to a clean run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from emulator import Emulator, World
from pipelines.run import EXIT_INTERRUPTED, EXIT_SUCCESS

from .conftest import (
    pipeline_env,
    run_cli,
    source_settings,
    start_cli,
    table_snapshot,
    wait_for_signal_handlers,
)

# One moment in each tenth of the span from dlt's import to the transforms of a run that has
# little left, at random within it: SIGINT and SIGTERM in turn along the span, so that each
# lands early and late; the moments in a random order, so that early and late ones land both in
# runs with much left to do and in runs with little. (The twenty moments drawn uniformly from
# the whole span before took twice as long and, with this seed, all fell before 4.5 s.)
MOMENTS = 10
SPAN_SECONDS = (0.3, 6.0)
# a fast machine stops a run this quickly; a loaded one is allowed what a whole run took on it
STOP_WITHIN_SECONDS = 10


def test_signals_at_random_moments_stop_fast_and_the_next_run_finishes_the_job(tmp_path, small_world_config):
    (tmp_path / "clean").mkdir()
    (tmp_path / "signalled").mkdir()
    # a dozen runs read more than the hourly allowance of one token; the budget is not under test here
    with Emulator(World(small_world_config), follows_any_user=True, latency=0.01, rate_limit=1_000_000) as emu:
        # a frontier capped below what depth 2 reaches: which users a first pass chooses must not
        # depend on where the signals stopped it
        settings = source_settings(emu, CRAWL_DEPTH="2", CRAWL_MAX_USERS="60")
        started = time.monotonic()
        clean = run_cli(tmp_path / "clean", pipeline_env(tmp_path / "clean", **settings))
        stop_within = max(STOP_WITHIN_SECONDS, time.monotonic() - started)
        assert clean.returncode == EXIT_SUCCESS, clean.stderr[-3000:]
        expected = table_snapshot(tmp_path / "clean" / "warehouse.duckdb")
        expected_analytics = table_snapshot(tmp_path / "clean" / "warehouse.duckdb", "instagram_analytics")

        env = pipeline_env(tmp_path / "signalled", **settings)
        chooser = random.Random(20261202)
        earliest, latest = SPAN_SECONDS
        width = (latest - earliest) / MOMENTS
        moments = [
            (earliest + chooser.uniform(tenth * width, (tenth + 1) * width), (signal.SIGINT, signal.SIGTERM)[tenth % 2])
            for tenth in range(MOMENTS)
        ]
        chooser.shuffle(moments)
        codes = []
        for delay, signum in moments:
            process = start_cli(tmp_path / "signalled", env)
            wait_for_signal_handlers(process, signal.SIGINT, signal.SIGTERM)
            time.sleep(delay)
            process.send_signal(signum)
            sent = time.monotonic()
            try:
                output, _ = process.communicate(timeout=stop_within)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
                raise AssertionError(
                    f"still running {stop_within:.0f} s after {signum.name}:\n{output[-3000:]}"
                ) from None
            assert time.monotonic() - sent < stop_within
            assert "Traceback" not in output, output[-3000:]
            # a run that finished before the signal landed exits 0
            assert process.returncode in (EXIT_INTERRUPTED[signum], EXIT_SUCCESS), output[-3000:]
            codes.append(process.returncode)
        final = run_cli(tmp_path / "signalled", env)
    assert final.returncode == EXIT_SUCCESS, final.stderr[-3000:]
    assert any(code != EXIT_SUCCESS for code in codes), "no signal landed while a run was working"
    assert table_snapshot(tmp_path / "signalled" / "warehouse.duckdb") == expected
    assert table_snapshot(tmp_path / "signalled" / "warehouse.duckdb", "instagram_analytics") == expected_analytics


def test_a_signal_inside_duckdb_import_exits_quietly_with_its_code(tmp_path, small_world_config):
    # a signal that landed while duckdb's C extension initialised once surfaced as an
    # ImportError traceback (and a segfault); the helper delivers it at exactly that moment
    with Emulator(World(small_world_config), latency=0.01) as emu:
        process = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("signal_inside_duckdb_import.py"))],
            cwd=tmp_path,
            env=pipeline_env(tmp_path, **source_settings(emu)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        assert emu.stats.total == 0
    assert "Traceback" not in process.stdout, process.stdout[-3000:]
    assert "SIGINT received before the run started" in process.stdout
    assert process.returncode == EXIT_INTERRUPTED[signal.SIGINT], process.stdout[-3000:]
    assert not (tmp_path / "warehouse.duckdb").exists()
