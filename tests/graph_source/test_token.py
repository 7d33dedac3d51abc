"""An Instagram Login token refreshed while it is valid (instagram-graph/API.md §6), by
`python -m pipelines.run --api graph` against the Graph emulator: kept in `token_file` for the
next runs, which read with it after the configured token died; a newly configured token takes
over from the kept one; a refreshed token reaches no log, state, trace or table."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from emulator import FaultPlan
from tests.pipelines.conftest import run_cli
from tests.source.leaks import places_holding, readable_texts

from .conftest import GraphLoader, graph_env

DAY = 86400


def test_an_instagram_login_token_is_refreshed_kept_and_replaced_by_a_new_one(tmp_path: Path, serve_graph) -> None:
    emulator = serve_graph()
    configured = emulator.issue_token({"kind": "ig_long"})["access_token"]  # 60 days
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    token_file = secrets / "instagram_graph_token.json"
    run = tmp_path / "run"
    run.mkdir()

    def read(token: str) -> str:
        result = run_cli(run, graph_env(run, emulator, token, TOKEN_FILE=str(token_file)), "--resources", "accounts")
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(result.stdout + result.stderr)
        return result.stderr

    outputs: list[str] = []
    assert "refreshed" not in read(configured)  # a young token: nothing to refresh yet
    assert not token_file.exists()

    emulator.advance(31 * DAY)  # 29 days left
    assert "the access token was refreshed" in read(configured)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    refreshed = json.loads(token_file.read_text())["access_token"]
    assert refreshed != configured

    emulator.advance(40 * DAY)  # the configured token died 11 days ago; the kept one has 20 days left
    assert "the access token was refreshed" in read(configured)
    kept = json.loads(token_file.read_text())["access_token"]
    assert kept not in (configured, refreshed)

    emulator.advance(70 * DAY)  # every token so far is dead: the user configures a new one
    new = emulator.issue_token({"kind": "ig_long"})["access_token"]
    assert "refreshed" not in read(new)
    assert json.loads(token_file.read_text())["access_token"] == kept  # until the new one is refreshed

    texts = {**readable_texts(run), **{f"output {number}": text for number, text in enumerate(outputs)}}
    for token in (configured, refreshed, kept, new):
        assert not places_holding(token, texts)


def test_without_debug_token_the_login_is_told_by_the_token_and_the_expiry_by_the_file(
    tmp_path: Path, serve_graph
) -> None:
    """On a host without `debug_token` (graph.instagram.com), an Instagram Login token (`IG…`)
    whose expiry no one told is refreshed at once; once kept, the file tells its expiry, and it
    is not refreshed again before it is due."""
    emulator = serve_graph()
    emulator.set_faults(FaultPlan(rates={"http_500": 1.0}, endpoints=frozenset({"GET /debug_token"})))
    configured = emulator.issue_token({"kind": "ig_long"})["access_token"]
    emulator.advance(2 * DAY)  # old enough to be refreshed
    token_file = tmp_path / "token.json"
    loader = GraphLoader(tmp_path)
    settings = {"access_token": configured, "token_file": str(token_file), "request_attempts": 1}
    loader.run(emulator, "accounts", **settings)
    kept = json.loads(token_file.read_text())
    assert kept["access_token"] != configured and loader.rows("SELECT count(*) FROM accounts") == [(1,)]

    emulator.advance(DAY)
    loader.run(emulator, "accounts", **settings)
    assert json.loads(token_file.read_text()) == kept
    assert emulator.stats.by_endpoint.get("GET /refresh_access_token") == 1
