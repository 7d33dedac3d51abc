"""`python -m emulator` and determinism: the same seed gives the same bytes."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from emulator import Emulator, World

from .helpers import SMALL_WORLD, Client


@contextmanager
def running_cli(*flags: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start the CLI; yield (base URL from its first stdout line, process); SIGTERM at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1"), process.stderr.read()
        yield base_url, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_cli_serves_with_the_given_token_and_options() -> None:
    with running_cli(
        "--users", "200", "--seed", "5", "--access-token", "TOKEN123", "--rate-limit", "50", "--fault", "http_502@2"
    ) as (base_url, process):
        first = requests.get(base_url + "/users/self", params={"access_token": "TOKEN123"}, timeout=5)
        assert first.status_code == 200 and first.headers["X-Ratelimit-Limit"] == "50"
        assert requests.get(base_url + "/users/self", params={"access_token": "TOKEN123"}, timeout=5).status_code == 502
        about = requests.get(base_url.removesuffix("/v1") + "/_emulator/world", timeout=5).json()
        assert first.json()["data"]["id"] == about["default_user_id"]
        assert about["config"]["users"] == 200 and about["config"]["seed"] == 5
    assert process.returncode == 0
    assert "TOKEN123" not in process.stderr.read(), "tokens never reach a log"


def test_cli_refuses_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--fault", "gremlins:0.5"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "unknown fault kind" in result.stderr


def _replay(emulator: Emulator) -> list[bytes]:
    """A fixed set of requests, answers normalised for the port (next_urls contain it)."""
    client = Client(emulator)
    world = emulator.world
    tag = world.tag_names()[1]
    paths = [
        "/users/self",
        "/users/self/feed",
        "/users/self/followed-by",
        f"/tags/{tag}/media/recent",
        "/media/popular",
        "/users/search?q=ma",
    ]
    answers = []
    for path in paths:
        path, _, query = path.partition("?")
        response = client.get(path, **dict([query.split("=")]) if query else {})
        answers.append(
            response.headers["Date"].encode() + response.content.replace(emulator.root_url.encode(), b"HOST")
        )
    return answers


def test_same_seed_same_bytes(serve) -> None:
    first, second = serve(World(SMALL_WORLD)), serve(World(SMALL_WORLD))
    assert _replay(first) == _replay(second)
    for emulator in (first, second):
        emulator.advance(86400)
    assert _replay(first) == _replay(second), "the same advance keeps them identical"
