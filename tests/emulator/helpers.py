"""Helpers shared by the emulator tests: an HTTP client, id extraction, world lookups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests

from emulator import Emulator, World, WorldConfig

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_WORLD = WorldConfig(seed=11, users=300)


class Client:
    """`requests` against one emulator, with a token (or none) added to every call."""

    def __init__(self, emulator: Emulator, token: str | None = None):
        self.emulator = emulator
        self.token = emulator.access_token if token is None else token
        self.session = requests.Session()

    def _params(self, params: dict) -> dict:
        return {"access_token": self.token, **params} if self.token else params

    def get(self, path: str, **params: object) -> requests.Response:
        """GET `base_url + path` with the token and `params` in the query."""
        return self.session.get(self.emulator.base_url + path, params=self._params(params), timeout=10)

    def post(self, path: str, **form: object) -> requests.Response:
        """POST the token and `form` as a urlencoded body."""
        return self.session.post(self.emulator.base_url + path, data=self._params(form), timeout=10)

    def delete(self, path: str, **params: object) -> requests.Response:
        return self.session.delete(self.emulator.base_url + path, params=self._params(params), timeout=10)

    def ok(self, path: str, **params: object) -> dict:
        """GET and return the body, which must be a 200 envelope."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["meta"] == {"code": 200}
        return body

    def pages(self, path: str, **params: object) -> list[dict]:
        """Every page of a list, following `pagination.next_url` verbatim to the end."""
        pages = [self.ok(path, **params)]
        while pages[-1]["pagination"].get("next_url"):
            assert len(pages) < 500, "paging does not end"
            response = self.session.get(pages[-1]["pagination"]["next_url"], timeout=10)
            assert response.status_code == 200, response.text
            pages.append(response.json())
        return pages


def ids(items: list[dict]) -> list[str]:
    """The `id` of each object."""
    return [item["id"] for item in items]


def all_ids(pages: list[dict]) -> list[str]:
    """The ids of every item of every page, in order."""
    return [item["id"] for page in pages for item in page["data"]]


def assert_error(response: requests.Response, status: int, error_type: str, message: str | None = None) -> None:
    """The response is an enveloped API error (meta only, no data)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"meta"}
    assert body["meta"]["code"] == status
    assert body["meta"]["error_type"] == error_type
    if message is not None:
        assert body["meta"]["error_message"] == message


def private_stranger(world: World) -> str:
    """A private user the default user neither follows nor is followed by."""
    me = world.default_user_id
    for uid in world.user_ids():
        if uid != me and world.is_private(uid) and world.media_ids_of_user(uid):
            relation = world.relationship(me, uid)
            if relation["outgoing_status"] == "none" and relation["incoming_status"] == "none":
                return uid
    raise AssertionError("the test world has no private stranger")


def public_stranger(world: World) -> str:
    """A public user with media that the default user does not follow."""
    me = world.default_user_id
    followed = set(world.follows(me))
    for uid in world.user_ids():
        if uid != me and uid not in followed and not world.is_private(uid) and world.media_ids_of_user(uid):
            return uid
    raise AssertionError("the test world has no public stranger")


def busiest(keys: list[str], items: Callable[[str], list]) -> str:
    """The key with the most items (the best list to page through)."""
    return max(keys, key=lambda key: len(items(key)))
