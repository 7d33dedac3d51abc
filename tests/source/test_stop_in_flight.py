"""A stop request cuts the requests in flight: Ctrl-C during an answer the server stalls ends the
read at once, not after the request timeout. Before, closing the sessions closed only their
idle connections, and a SIGINT during a stalled request exited 130 after the whole 30 s timeout
(measured through the CLI: 32–34 s)."""

from __future__ import annotations

import threading
import time

import pytest

from emulator import Emulator, FaultPlan, World, WorldConfig
from sources.common import http_client as client_module
from sources.common.errors import RunStopped
from sources.common.http_client import request_stop
from sources.instagram.helpers.client import InstagramClient

TIMEOUT = 30.0  # the client's request timeout, as by default


@pytest.mark.parametrize("workers", [1, 4])
def test_a_stop_cuts_a_stalled_request_at_once(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    # a stop is for the whole process: this test's stop must not stop the other tests' clients
    monkeypatch.setattr(client_module, "_STOP_REQUESTED", threading.Event())
    world = World(WorldConfig(seed=3, users=20))
    stalled = FaultPlan(schedule={number: "stall" for number in range(1, workers + 1)}, stall_seconds=TIMEOUT + 30)
    with Emulator(world, faults=stalled) as emulator:
        client = InstagramClient(emulator.base_url, emulator.access_token, timeout=TIMEOUT, workers=workers)
        outcomes: list[BaseException | None] = [None] * workers

        def read(index: int) -> None:
            try:
                client.get("/users/self", endpoint="GET /users/{id}")
            except BaseException as error:  # noqa: BLE001 - what the read ended with is the result
                outcomes[index] = error

        readers = [threading.Thread(target=read, args=(index,)) for index in range(workers)]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + 10
        while not emulator.fired_faults and time.monotonic() < deadline:
            time.sleep(0.02)  # a request is in flight, its answer stalled (the others wait their turn)
        time.sleep(0.2)
        assert emulator.fired_faults

        stopped = time.monotonic()
        request_stop()
        for reader in readers:
            reader.join(timeout=TIMEOUT)
        seconds = time.monotonic() - stopped

    assert not any(reader.is_alive() for reader in readers)
    assert all(isinstance(outcome, RunStopped) for outcome in outcomes), outcomes
    assert seconds < 5, f"the stalled reads ended {seconds:.1f} s after the stop"
