"""Fixtures for the Graph mode tests: one read-only emulator per module, fresh ones for writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from emulator import Emulator, World, WorldConfig

# The token user's account here has 60 media and 172 followers (enough to page and to have
# follower_count, which needs 100).
GRAPH_WORLD = WorldConfig(seed=11, users=1000, media_per_user=30)
VERSION = "v24.0"


class Graph:
    """`requests` against one Graph mode emulator with a token (long-lived, Facebook Login)."""

    def __init__(self, emulator: Emulator, token: str | None = None):
        self.emulator = emulator
        self.token = token or emulator.access_token
        self.session = requests.Session()
        self.me = emulator.graph.model.user_id(emulator.graph.model.owner)

    def url(self, path: str, version: str | None = VERSION) -> str:
        return f"{self.emulator.base_url}/{version}/{path}" if version else f"{self.emulator.base_url}/{path}"

    def get(self, path: str, version: str | None = VERSION, **params: object) -> requests.Response:
        return self.session.get(self.url(path, version), params={"access_token": self.token, **params}, timeout=10)

    def post(self, path: str, **form: object) -> requests.Response:
        return self.session.post(self.url(path), data={"access_token": self.token, **form}, timeout=10)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url(path), params={"access_token": self.token}, timeout=10)

    def ok(self, path: str, **params: object) -> dict:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def error(self, response: requests.Response) -> dict:
        assert response.status_code >= 400, response.text
        return response.json()["error"]

    def walk(self, path: str, **params: object) -> list[dict]:
        """Every page of a list, following `next` verbatim to the end."""
        pages = [self.ok(path, **params)]
        while pages[-1].get("paging", {}).get("next"):
            assert len(pages) < 1000, "paging does not end"
            response = self.session.get(pages[-1]["paging"]["next"], timeout=10)
            assert response.status_code == 200, response.text
            pages.append(response.json())
        return pages


@pytest.fixture(scope="module")
def graph_emulator() -> Iterator[Emulator]:
    """A Graph mode emulator shared by a module's read-only tests."""
    with Emulator(World(GRAPH_WORLD), api="graph", rate_limit=10**6) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def graph(graph_emulator: Emulator) -> Graph:
    return Graph(graph_emulator)


@pytest.fixture
def serve_graph() -> Iterator[Callable[..., Emulator]]:
    """`serve_graph(**options)`: a fresh Graph mode emulator (tests may change its world)."""
    running: list[Emulator] = []

    def start(**options: object) -> Emulator:
        options.setdefault("rate_limit", 10**6)
        emulator = Emulator(World(GRAPH_WORLD), api="graph", **options).start()
        running.append(emulator)
        return emulator

    yield start
    for emulator in running:
        emulator.stop()
