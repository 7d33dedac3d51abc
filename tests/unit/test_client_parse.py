"""`InstagramClient._parse`: an answer's status, headers and body → `Answer` or the right error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sources.common.errors import (
    InstagramAuthError,
    InstagramBadRequest,
    InstagramEntityError,
    InstagramError,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramNotV1Error,
    InstagramPermissionError,
    InstagramRateLimited,
    InstagramTransientError,
)
from sources.common.http_client import Answer
from sources.instagram.helpers.client import InstagramClient

TOKEN = "parse-test-token-0123456789"
DATE = {"Date": "Tue, 01 Mar 2016 12:30:00 GMT"}
AT = datetime(2016, 3, 1, 12, 30, tzinfo=UTC)
SAFE, ENDPOINT = "GET /users/{id} (/users/42)", "GET /users/{id}"


@pytest.fixture
def client() -> InstagramClient:
    return InstagramClient("http://127.0.0.1:9/v1", TOKEN)


def parse(client: InstagramClient, status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client._parse(status, DATE if headers is None else headers, raw, SAFE, ENDPOINT)


def error(client: InstagramClient, status: int, body: Any, headers: dict[str, str] | None = None) -> InstagramError:
    with pytest.raises(InstagramError) as caught:
        parse(client, status, body, headers)
    return caught.value


def meta(code: int, error_type: str, message: str = "a message") -> dict[str, Any]:
    return {"meta": {"code": code, "error_type": error_type, "error_message": message}}


def test_meta_envelope_200_is_an_answer(client: InstagramClient) -> None:
    body = {"meta": {"code": 200}, "data": [{"id": "1"}], "pagination": {"next_max_id": "1"}}
    answer = parse(client, 200, body)
    assert answer == Answer([{"id": "1"}], {"next_max_id": "1"}, AT)
    assert client.first_observed_at == AT


def test_answer_without_pagination_or_data(client: InstagramClient) -> None:
    assert parse(client, 200, {"meta": {"code": 200}, "pagination": "junk"}) == Answer(None, {}, AT)
    assert parse(client, 200, {"meta": {"code": "200"}, "data": {}}) == Answer({}, {}, AT)


def test_without_a_date_header_the_local_clock_is_used_and_first_observed_stays_unset(client: InstagramClient) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    answer = parse(client, 200, {"meta": {"code": 200}, "data": []}, headers={"Date": "not a date"})
    assert before <= answer.observed_at <= datetime.now(UTC)
    assert client.first_observed_at is None
    parse(client, 200, {"meta": {"code": 200}, "data": []})
    assert client.first_observed_at == AT
    parse(client, 200, {"meta": {"code": 200}, "data": []}, headers={"Date": "Wed, 02 Mar 2016 00:00:00 GMT"})
    assert client.first_observed_at == AT  # the run's first answer only


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (400, "OAuthAccessTokenException", InstagramAuthError),
        (400, "OAuthParameterException", InstagramAuthError),
        (400, "OAuthClientException", InstagramAuthError),
        (403, "OAuthForbiddenException", InstagramAuthError),
        (400, "OAuthException", InstagramAuthError),
        (400, "APINotFoundError", InstagramNotFound),
        (404, "APINotFoundError", InstagramNotFound),
        (400, "APINotAllowedError", InstagramNotAllowed),
        (400, "OAuthPermissionsException", InstagramPermissionError),
        (400, "APIInvalidParametersError", InstagramBadRequest),
        (400, "SomethingNew", InstagramBadRequest),
        (429, "OAuthRateLimitException", InstagramRateLimited),
        (400, "OAuthRateLimitException", InstagramRateLimited),
        (500, "APIError", InstagramTransientError),
        (503, "ServiceUnavailable", InstagramTransientError),
    ],
)
@pytest.mark.parametrize("envelope", ["meta", "bare"])
def test_error_bodies_with_and_without_meta(
    client: InstagramClient, status: int, error_type: str, expected: type[InstagramError], envelope: str
) -> None:
    body = meta(status, error_type, "the API says no")
    if envelope == "bare":  # the 2012 shape: the fields at the top level
        body = body["meta"]
    raised = error(client, status, body)
    assert type(raised) is expected
    assert (raised.endpoint, raised.error_type, raised.api_message) == (ENDPOINT, error_type, "the API says no")
    assert raised.observed_at == AT
    assert SAFE in str(raised) and f"HTTP {status} {error_type}" in str(raised)


def test_entity_errors_are_entity_errors_and_auth_is_not(client: InstagramClient) -> None:
    assert isinstance(error(client, 400, meta(400, "APINotAllowedError")), InstagramEntityError)
    assert not isinstance(error(client, 400, meta(400, "OAuthAccessTokenException")), InstagramEntityError)
    assert not isinstance(error(client, 500, meta(500, "APIError")), InstagramEntityError)


@pytest.mark.parametrize(("status", "code"), [(429, 429), (200, 429), (400, 420), (420, 420), (200, 420)])
def test_rate_limits_by_status_or_meta_code(client: InstagramClient, status: int, code: int) -> None:
    assert type(error(client, status, meta(code, "Whatever"))) is InstagramRateLimited


def test_rate_limited_is_transient(client: InstagramClient) -> None:
    assert isinstance(error(client, 429, meta(429, "OAuthRateLimitException")), InstagramTransientError)


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"id": "1"}]},  # 200 without an envelope
        meta(400, "APINotFoundError"),  # 200 whose envelope says error: a damaged answer
        {"meta": {"code": 500}},
    ],
)
def test_a_200_that_is_not_a_meta_200_is_transient(client: InstagramClient, body: dict[str, Any]) -> None:
    assert type(error(client, 200, body)) is InstagramTransientError


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Bad Gateway</body></html>",
        b'{"meta": {"code": 200}, "data": [',  # cut off
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",  # JSON, not an object
        b'"just a string"',
        b"null",
    ],
)
@pytest.mark.parametrize("status", [200, 500, 502])
def test_bodies_without_the_v1_envelope_from_200_or_5xx_are_transient(
    client: InstagramClient, body: bytes, status: int
) -> None:
    raised = error(client, status, body)
    assert type(raised) is InstagramTransientError
    assert f"HTTP {status} with a body that is not a v1 answer" in str(raised)


def after_a_v1_answer(client: InstagramClient) -> InstagramClient:
    parse(client, 200, {"meta": {"code": 200}, "data": {}})
    return client


@pytest.mark.parametrize("status", [400, 404])
def test_a_first_answer_without_the_v1_envelope_means_the_server_is_not_v1(
    client: InstagramClient, status: int
) -> None:
    raised = error(client, status, b"<!DOCTYPE html><html><title>Page Not Found</title></html>")
    assert type(raised) is InstagramNotV1Error
    assert "/v1" in str(raised)


def test_html_404_after_a_v1_answer_is_not_found(client: InstagramClient) -> None:
    raised = error(after_a_v1_answer(client), 404, b"<!DOCTYPE html><html><title>Page Not Found</title></html>")
    assert type(raised) is InstagramNotFound
    assert (raised.error_type, raised.endpoint, raised.observed_at) == ("HTTP404", ENDPOINT, AT)


def test_html_400_after_a_v1_answer_is_transient(client: InstagramClient) -> None:
    assert type(error(after_a_v1_answer(client), 400, b"<html>Bad Request</html>")) is InstagramTransientError


def test_a_uri_too_long_concerns_its_entity(client: InstagramClient) -> None:
    assert type(error(client, 414, b"<html>Request-URI Too Long</html>")) is InstagramBadRequest


def test_error_without_type_falls_back_to_the_status(client: InstagramClient) -> None:
    raised = error(client, 400, {"meta": {"code": 400}})
    assert type(raised) is InstagramBadRequest and raised.error_type == "HTTP400"
    raised = error(client, 404, {"meta": {"code": 404}})
    assert type(raised) is InstagramBadRequest and raised.error_type == "HTTP404"


def test_unreadable_meta_code_falls_back_to_the_status(client: InstagramClient) -> None:
    assert type(error(client, 429, {"meta": {"code": "soon", "error_type": "X"}})) is InstagramRateLimited
    assert parse(client, 200, {"meta": {"code": None}, "data": 1}).data == 1


def test_api_messages_never_carry_the_token(client: InstagramClient) -> None:
    body = meta(400, "OAuthAccessTokenException", f"The access_token provided is invalid: {TOKEN}")
    raised = error(client, 400, body)
    assert TOKEN not in str(raised) and TOKEN not in raised.api_message
    assert "***" in raised.api_message
    raised = error(client, 400, meta(400, "APIInvalidParametersError", "bad url /x?access_token=elsewhere&sig=ff"))
    assert "elsewhere" not in str(raised) and "sig=***" in raised.api_message
