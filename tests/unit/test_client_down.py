"""`InstagramClient.get` after retries: when failed reads mean the server is down (the run
stops) and when they concern their entities only."""

from __future__ import annotations

import json

import pytest
import requests

from sources.common.errors import InstagramRetriesExhausted, InstagramUnavailable, RunStopped
from sources.common.http_client import FAILURES_IN_A_ROW_MEAN_DOWN
from sources.instagram.helpers.client import InstagramClient

TOKEN = "down-test-token-0123456789"
OK = (200, json.dumps({"meta": {"code": 200}, "data": {"id": "1"}}).encode())
BAD_GATEWAY = (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
REFUSED = requests.ConnectionError("connection refused")


class Response:
    def __init__(self, status: int, body: bytes):
        self.status_code = status
        self.content = body
        self.headers = {"Date": "Tue, 01 Mar 2016 12:30:00 GMT"}


class ScriptedSession:
    """Answers each path with its scripted `(status, body)`, or raises its exception."""

    def __init__(self, answers: dict[str, tuple[int, bytes] | Exception]):
        self.answers = answers
        self.headers: dict[str, str] = {}

    def get(self, url: str, params=None, timeout=None) -> Response:
        answer = self.answers[url.split("/v1", 1)[1]]
        if isinstance(answer, Exception):
            raise answer
        return Response(*answer)

    def close(self) -> None:
        pass


def client_of(**answers: tuple[int, bytes] | Exception) -> InstagramClient:
    client = InstagramClient("http://127.0.0.1:9/v1", TOKEN, attempts=2, backoff_seconds=0.0)
    client._local.session = ScriptedSession({f"/{path}": answer for path, answer in answers.items()})
    return client


def read(client: InstagramClient, path: str) -> None:
    client.get(f"/{path}", endpoint=f"GET /{path}")


@pytest.mark.parametrize("failure", [BAD_GATEWAY, REFUSED], ids=["502 page", "connection refused"])
def test_the_first_endpoint_read_failing_always_concerns_its_entities_only(failure) -> None:
    client = client_of(profile=failure, media=OK)
    for _ in range(FAILURES_IN_A_ROW_MEAN_DOWN - 1):
        with pytest.raises(InstagramRetriesExhausted):
            read(client, "profile")
    read(client, "media")
    for _ in range(2 * FAILURES_IN_A_ROW_MEAN_DOWN):
        with pytest.raises(InstagramRetriesExhausted):
            read(client, "profile")
    assert client.status.stopped_by is None
    assert client.status.entities_failed == 3 * FAILURES_IN_A_ROW_MEAN_DOWN - 1


@pytest.mark.parametrize("failure", [BAD_GATEWAY, REFUSED], ids=["502 page", "connection refused"])
def test_a_server_failing_two_endpoints_before_any_v1_answer_is_down(failure) -> None:
    client = client_of(profile=failure, media=failure)
    with pytest.raises(InstagramRetriesExhausted):
        read(client, "profile")
    with pytest.raises(RunStopped):
        read(client, "media")
    assert isinstance(client.status.stopped_by, InstagramUnavailable)
    assert "no v1 answer yet" in str(client.status.stopped_by)
    with pytest.raises(RunStopped):
        read(client, "profile")  # the run has stopped: no more requests
    assert client.requests_made == 4


def test_a_server_failing_many_reads_of_one_endpoint_before_any_v1_answer_is_down() -> None:
    client = client_of(profile=REFUSED)
    for _ in range(FAILURES_IN_A_ROW_MEAN_DOWN - 1):
        with pytest.raises(InstagramRetriesExhausted):
            read(client, "profile")
    with pytest.raises(RunStopped):
        read(client, "profile")
    assert isinstance(client.status.stopped_by, InstagramUnavailable)


def test_after_v1_answers_reads_failing_in_a_row_on_two_endpoints_mean_down() -> None:
    client = client_of(profile=OK, media=BAD_GATEWAY, likes=BAD_GATEWAY)
    read(client, "profile")
    for _ in range(FAILURES_IN_A_ROW_MEAN_DOWN - 1):
        with pytest.raises(InstagramRetriesExhausted):
            read(client, "media")
    with pytest.raises(RunStopped):
        read(client, "likes")
    assert "reads in a row failed" in str(client.status.stopped_by)
