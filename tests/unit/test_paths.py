"""Request paths are built from checked, percent-encoded segments (issue 21, item 4): an id from
an answer never moves a request outside `/v1`, and one of the wrong shape is never requested."""

from __future__ import annotations

import pytest

from sources.common.errors import INVALID_ID, InstagramEntityError, InstagramInvalidId
from sources.common.validation import InstagramConfigError
from sources.instagram.helpers.client import InstagramClient
from sources.instagram.helpers.paths import api_path, checked_path, request_path
from sources.instagram.helpers.validation import ID_PATTERNS, ID_SHAPES, check_ids

HOSTILE = "../../users/self/1'; DROP TABLE media; --"


@pytest.mark.parametrize(
    ("template", "ids", "expected"),
    [
        (
            "/media/{media}/comments",
            {"media": "1477919811501485796_25025320"},
            "/media/1477919811501485796_25025320/comments",
        ),
        ("/media/{media}", {"media": "3382522"}, "/media/3382522"),
        ("/users/{user}/follows", {"user": "self"}, "/users/self/follows"),
        ("/tags/{tag}/media/recent", {"tag": "café/../x?y"}, "/tags/caf%C3%A9%2F..%2Fx%3Fy/media/recent"),
        ("/media/shortcode/{shortcode}", {"shortcode": "BAb-_9"}, "/media/shortcode/BAb-_9"),
        ("/locations/{location}", {"location": 213385402}, "/locations/213385402"),
    ],
)
def test_valid_ids_are_encoded_as_one_segment(template: str, ids: dict, expected: str) -> None:
    path = api_path(template, **ids)
    assert path == expected and path.invalid is None
    assert request_path(path, "GET x") == expected


@pytest.mark.parametrize(
    ("template", "kind", "value"),
    [
        ("/media/{media}/comments", "media", HOSTILE),
        ("/media/{media}/likes", "media", "12_1/likes?count=1"),
        ("/media/{media}", "media", "12_"),
        ("/users/{user}", "user", "selfish"),
        ("/users/{user}/relationship", "user", "1\n2"),
        ("/locations/{location}", "location", "-1"),
        ("/geographies/{geography}/media/recent", "geography", ""),
        ("/media/shortcode/{shortcode}", "shortcode", "a.b"),
        ("/tags/{tag}", "tag", ".."),
        ("/tags/{tag}", "tag", "."),
    ],
)
def test_an_id_of_the_wrong_shape_is_an_entity_error(template: str, kind: str, value: str) -> None:
    path = api_path(template, **{kind: value})
    assert "/v1" not in path and path.count("/") == template.count("/")  # still one segment
    with pytest.raises(InstagramInvalidId) as raised:
        request_path(path, "GET /x/{id}")
    assert isinstance(raised.value, InstagramEntityError) and raised.value.error_type == INVALID_ID
    assert raised.value.endpoint == "GET /x/{id}" and f"not a valid {kind} id" in str(raised.value)


@pytest.mark.parametrize(
    "path", ["/media/../users/self", "/users/./self", "/a b", "/a?b=1", "/a#b", "users/self", "/media//likes", "/%zz"]
)
def test_a_path_not_made_of_safe_segments_is_refused(path: str) -> None:
    with pytest.raises(InstagramInvalidId):
        checked_path(path)


def test_the_client_requests_nothing_for_an_invalid_id() -> None:
    """The refusal comes before any request (the port is closed: a request would fail otherwise)."""
    client = InstagramClient("http://127.0.0.1:9/v1", "token-for-paths", attempts=1)
    for path in (api_path("/media/{media}/likes", media=HOSTILE), "/media/../../users/self"):
        with pytest.raises(InstagramInvalidId):
            client.get(path, endpoint="GET /media/{id}/likes")
        with pytest.raises(InstagramInvalidId):
            next(client.pages(path, "cursor", endpoint="GET /media/{id}/likes"))
    assert client.requests_made == 0 and client.status.entities_failed == 0


def test_configured_ids_use_the_same_shapes() -> None:
    assert ID_PATTERNS["media_ids"] is ID_SHAPES["media"] and ID_PATTERNS["user_ids"] is ID_SHAPES["user"]
    check_ids({"media_ids": ["1_2", "3"], "user_ids": ["self", "7"]})
    with pytest.raises(InstagramConfigError):
        check_ids({"media_ids": [HOSTILE]})


def test_a_placeholder_without_its_id_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        api_path("/media/{media}/likes", user="1")
    with pytest.raises(ValueError):
        api_path("/media/{nothing}", nothing="1")
