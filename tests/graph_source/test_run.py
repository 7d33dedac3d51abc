"""`python -m pipelines.run --api graph` against the Graph emulator: the shared exit codes
(throttling stops cleanly with 4 and the next run continues without duplicates or gaps; a dead
token or a wrong app secret stops with 3, saying what to do), and no secret anywhere: outputs
and logs at DEBUG, errors, state, trace, load packages, warehouse."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import dlt

from emulator import Emulator, FaultPlan
from pipelines.warehouse import GRAPH_PIPELINE_NAME, GRAPH_RAW_DATASET, duckdb_destination
from sources.instagram_graph.helpers.client import appsecret_proof
from tests.pipelines.conftest import run_cli
from tests.source.leaks import places_holding, readable_texts

from .conftest import Truth, graph_env, loaded

EXIT_SUCCESS, EXIT_CONFIG_ERROR, EXIT_AUTH_ERROR, EXIT_PARTIAL = 0, 2, 3, 4
APP_SECRET = "graph-app-secret-0123456789abcdef"
WRONG_APP_SECRET = "graph-app-secret-wrong-77aa"
DLT = str(Path(sys.executable).with_name("dlt"))  # dlt's command line, installed with it


def test_throttling_stops_cleanly_and_the_next_run_continues(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph()
    emulator.set_faults(FaultPlan(schedule={30: "rate_limit"}))  # code 80002, in the middle of the media
    env = graph_env(tmp_path, emulator)
    stopped = run_cli(tmp_path, env)
    assert stopped.returncode == EXIT_PARTIAL, stopped.stderr
    assert "estimated_time_to_regain_access: 1 minutes" in stopped.stderr
    assert "the rate budget ran out; the next run continues" in stopped.stdout
    first = len(loaded(tmp_path, "SELECT id FROM media"))
    assert 0 < first < len(Truth(emulator).media_ids())

    emulator.clear_faults()
    finished = run_cli(tmp_path, env, "--api", "graph")
    assert finished.returncode == EXIT_SUCCESS, finished.stderr
    assert re.search(r"rate budget left: \d+ % of the usage limit", finished.stdout), finished.stdout
    truth = Truth(emulator)
    assert [
        row[0] for row in loaded(tmp_path, "SELECT id FROM media ORDER BY created_time DESC, id")
    ] == truth.media_ids()
    assert {row[0] for row in loaded(tmp_path, "SELECT id FROM comments")} == set(truth.comments())
    for table, key in (("media", "id"), ("comments", "id"), ("media_counts", "snapshot_key")):
        assert loaded(tmp_path, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == [(0,)]


def test_a_dead_token_stops_the_run_as_an_authentication_error(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph()
    token = emulator.issue_token({"kind": "fb_long"})["access_token"]  # 60 days
    emulator.advance(55 * 86400)
    expiring = run_cli(tmp_path, graph_env(tmp_path, emulator, token), "--resources", "accounts")
    assert expiring.returncode == EXIT_SUCCESS, expiring.stderr
    assert "the access token expires at" in expiring.stderr and "in 5.0 days" in expiring.stderr

    emulator.advance(6 * 86400)
    dead = run_cli(tmp_path, graph_env(tmp_path, emulator, token))
    assert dead.returncode == EXIT_AUTH_ERROR, dead.stderr
    assert "set sources.instagram_graph.access_token" in dead.stderr


def test_no_secret_anywhere(tmp_path: Path, serve_graph) -> None:
    """The token, the app secret and `appsecret_proof` after runs at DEBUG that retried passing
    faults, were refused a wrong app secret (exit 3) and a dead token (exit 3): in no output,
    file (dlt's state, trace, load packages), warehouse table (the trace loaded there too) or
    dlt's own view of the pipeline's state and trace."""
    emulator = serve_graph(enforce_signature=True, client_secret=APP_SECRET)  # appsecret_proof required
    token = emulator.access_token  # a Facebook Login token, 60 days
    emulator.set_faults(FaultPlan(seed=5, rates={"http_502": 0.05, "reset": 0.05, "truncated": 0.05}))
    env = graph_env(tmp_path, emulator, token, APP_SECRET=APP_SECRET, RETRY_BACKOFF_SECONDS="0.01")
    outputs = {}
    result = run_cli(tmp_path, env, "--log-level", "DEBUG")
    assert result.returncode == EXIT_SUCCESS, result.stderr[-3000:]
    assert loaded(tmp_path, "SELECT count(*) FROM media") == [(len(Truth(emulator).media_ids()),)]
    assert "GET /v24.0/" in result.stderr  # urllib3's DEBUG lines are there, masked
    assert len(emulator.fired_faults) > 5 and "retrying after" in result.stderr, result.stderr[-3000:]
    outputs["run"] = result.stdout + result.stderr

    emulator.clear_faults()
    wrong = run_cli(tmp_path, graph_env(tmp_path, emulator, token, APP_SECRET=WRONG_APP_SECRET), "--log-level", "DEBUG")
    assert wrong.returncode == EXIT_AUTH_ERROR and "Set sources.instagram_graph.app_secret" in wrong.stderr
    emulator.advance(61 * 86400)
    dead = run_cli(tmp_path, env, "--log-level", "DEBUG")
    assert dead.returncode == EXIT_AUTH_ERROR and "no longer valid" in dead.stderr, dead.stderr[-3000:]
    outputs |= {"wrong app secret": wrong.stdout + wrong.stderr, "dead token": dead.stdout + dead.stderr}

    pipelines_dir = tmp_path / "dlt_data" / "pipelines"
    for command in ("trace", "info"):
        shown = subprocess.run(
            [DLT, "pipeline", "--pipelines-dir", str(pipelines_dir), GRAPH_PIPELINE_NAME, command, "-vv"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=True,
        )
        outputs[f"dlt pipeline {command}"] = shown.stdout + shown.stderr
    # the resolved secrets, and the state with the dead token's run's reason
    assert "`sources.instagram_graph.app_secret` = <secret>" in outputs["dlt pipeline trace"]
    assert "no longer valid" in outputs["dlt pipeline info"]
    pipeline = dlt.pipeline(
        GRAPH_PIPELINE_NAME,
        destination=duckdb_destination(tmp_path / "warehouse.duckdb"),
        dataset_name=GRAPH_RAW_DATASET,
        pipelines_dir=str(pipelines_dir),
    )
    pipeline.run([pipeline.last_trace], table_name="_trace")

    texts = {**readable_texts(tmp_path), **outputs}
    assert any("_trace" in text for place, text in texts.items() if place.endswith("#rows"))
    for secret in (token, APP_SECRET, WRONG_APP_SECRET, appsecret_proof(token, APP_SECRET)):
        assert not places_holding(secret, texts), secret[:4]
    assert not places_holding(appsecret_proof(token, WRONG_APP_SECRET), texts)


def test_v1_only_flags_are_refused_before_any_request(tmp_path: Path, graph_emulator: Emulator) -> None:
    graph_emulator.stats.reset()
    refused = run_cli(tmp_path, graph_env(tmp_path, graph_emulator), "--tags", "sunset", "--report")
    assert refused.returncode == EXIT_CONFIG_ERROR, refused.stderr
    assert "--tags, --report: for the v1 API only, not with --api graph" in refused.stderr
    assert graph_emulator.stats.total == 0
