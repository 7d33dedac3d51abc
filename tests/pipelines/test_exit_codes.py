"""Every documented exit code of `python -m pipelines.run`, for each way it can happen, and
never a raw traceback."""

from __future__ import annotations

import http.server
import threading

import duckdb
import pytest

from emulator import Emulator, FaultPlan, World
from pipelines.run import (
    EXIT_CONFIG_ERROR,
    EXIT_ENTITIES_FAILED,
    EXIT_FAILURE,
)
from tests.shared import source_env

from .conftest import pipeline_env, run_cli, source_settings, table_snapshot


def assert_clean_exit(result, code: int, *phrases: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == code, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    for phrase in phrases:
        assert phrase in output, output[-3000:]


CONFIGURATION_ERRORS = {
    "unknown destination": ({}, ["--destination", "nosuchdestination"], "nosuchdestination"),
    "budget share out of range": ({"BUDGET_SHARE": "7"}, [], "budget_share"),
    "unknown resource": ({}, ["--resources", "user_profiles,stories"], "stories"),
    "bad search point": ({"LOCATION_SEARCH_POINTS": "[[1.0, 2.0]]"}, [], "location_search_points"),
    "zero request timeout": ({"REQUEST_TIMEOUT": "0"}, [], "request_timeout"),
    "zero page size": ({"MEDIA_PAGE_SIZE": "0"}, [], "media_page_size"),
    "base url without /v1": ({"BASE_URL": "http://127.0.0.1:9/"}, [], "/v1"),
    "base url not http": ({"BASE_URL": "ftp://127.0.0.1/v1"}, [], "base_url"),
    "empty token": ({"ACCESS_TOKEN": ""}, [], "access token"),
    "user id with a query": ({"USER_IDS": '["self?count=1&x="]'}, [], "not a valid id"),
    "nothing configured for the selection": ({"TAGS": "[]"}, ["--resources", "tag_media"], "nothing was extracted"),
}


@pytest.mark.parametrize("case", sorted(CONFIGURATION_ERRORS))
def test_configuration_errors_exit_2_with_a_clear_message(tmp_path, emulator, case):
    settings, flags, phrase = CONFIGURATION_ERRORS[case]
    env = pipeline_env(tmp_path, **source_settings(emulator))
    env.update(source_env(settings))
    result = run_cli(tmp_path, env, "--no-transforms", *flags)
    assert_clean_exit(result, EXIT_CONFIG_ERROR, "configuration error", phrase)
    if case != "nothing configured for the selection":
        assert emulator.stats.total == 0, "a configuration error is found before any request"


@pytest.mark.parametrize("kind", ["folder", "empty file", "not a database"])
def test_a_duckdb_path_that_is_no_database_exits_2_naming_it(tmp_path, emulator, kind):
    database = tmp_path / "warehouse.duckdb"
    if kind == "folder":
        database.mkdir()
    else:
        database.write_bytes(b"" if kind == "empty file" else b"this is a spreadsheet, not a database" * 100)
    result = run_cli(tmp_path, pipeline_env(tmp_path, **source_settings(emulator)), "--load-wait", "60")
    assert_clean_exit(result, EXIT_CONFIG_ERROR, str(database))
    assert emulator.stats.total == 0


def test_an_unwritable_destination_folder_exits_2(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    result = run_cli(tmp_path, env, "--duckdb", "/proc/instagram-test/warehouse.duckdb")
    assert_clean_exit(result, EXIT_CONFIG_ERROR, "/proc/instagram-test")


@pytest.fixture
def plain_http_server():
    """Any HTTP server that is not the v1 API (`python -m http.server`)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_a_server_that_is_not_v1_fails_the_run(tmp_path, emulator, plain_http_server):
    env = pipeline_env(tmp_path, **source_settings(emulator))
    env["SOURCES__INSTAGRAM__BASE_URL"] = plain_http_server
    result = run_cli(tmp_path, env)
    assert_clean_exit(result, EXIT_FAILURE, "without the v1 envelope")
    assert "everything configured was extracted" not in result.stdout


def test_a_server_down_for_every_request_fails_the_run(tmp_path, emulator):
    env = pipeline_env(tmp_path, **source_settings(emulator, REQUEST_ATTEMPTS="2", RETRY_BACKOFF_SECONDS="0.01"))
    env["SOURCES__INSTAGRAM__BASE_URL"] = "http://127.0.0.1:9/v1"  # nothing listens on port 9
    result = run_cli(tmp_path, env, timeout=60)
    assert_clean_exit(result, EXIT_FAILURE, "unavailable")


def test_one_endpoint_failing_always_costs_only_its_entities(tmp_path, small_world_config):
    world = World(small_world_config)
    plan = FaultPlan.from_dict({"rates": {"http_500": 1.0}, "endpoints": ["GET /media/{id}/comments"]})
    settings = dict(REQUEST_ATTEMPTS="2", RETRY_BACKOFF_SECONDS="0.01", FAILURE_MAX_RUNS="2", CRAWL_DEPTH="0")
    with Emulator(world, follows_any_user=True, faults=plan) as emu:
        env = pipeline_env(tmp_path, **source_settings(emu, **settings))
        first = run_cli(tmp_path, env, "--no-transforms")
        assert_clean_exit(first, EXIT_ENTITIES_FAILED, "Entities failed")
        tables = table_snapshot(tmp_path / "warehouse.duckdb")
        assert tables["media"] and tables["likes"], "everything but the comments is loaded"
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
            failed = con.execute(
                "SELECT count(*), min(attempts), max(failed_runs), bool_or(gave_up) FROM instagram_raw.extraction_errors"
                " WHERE endpoint = 'GET /media/{id}/comments'"
            ).fetchone()
        commented = failed[0]
        assert commented > 0 and failed[1:] == (2, 1, False)
        # the next run retries them (and only them, apart from the media list), then gives up
        second = run_cli(tmp_path, env, "--no-transforms")
        assert_clean_exit(second, EXIT_ENTITIES_FAILED, "gave up")
        third = run_cli(tmp_path, env, "--no-transforms")
    # given up: the later runs no longer read them, and say so (exit 6) until they are read
    assert_clean_exit(third, EXIT_ENTITIES_FAILED, "given up", "comments ")
    assert "everything configured was extracted" not in third.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM instagram_raw.extraction_errors WHERE gave_up AND failed_runs = 2"
        ).fetchone() == (commented,)
