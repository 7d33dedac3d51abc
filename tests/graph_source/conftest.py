"""Fixtures for the Graph API source's tests: a small Graph mode emulator on loopback (one per
module where the tests only read), real dlt pipelines into a DuckDB file, and the world's truth
to compare with (`emulator.graph.model`), never the source's own output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
import requests

from emulator import Emulator, World, WorldConfig
from emulator.graph.errors import GraphError
from emulator.graph.insight_edges import media_insights, user_insights
from emulator.graph.model import GraphModel
from emulator.graph.nodes import Ctx
from sources.instagram_graph import instagram_graph
from tests.pipelines.conftest import pipeline_env
from tests.shared import source_arguments, source_env
from tests.source.conftest import Loader
from tests.warehouses import Warehouse
from transforms import ANALYTICS_DATASET

# The token user's account here has 26 media (4 albums, 2 reels) with 38 comments, 7 of them
# replies, and 54 followers.
GRAPH_SOURCE_WORLD = WorldConfig(seed=3, users=300, media_per_user=15)
PAGE_SIZE = 5  # several pages of media and comments
# The same world with more follows: the token user's account has 108 followers, past the 100 from
# which the API gives its audience, online followers and new followers per day (§2).
GRAPH_AUDIENCE_WORLD = WorldConfig(seed=3, users=300, media_per_user=15, follows_per_user=25)
NOT_ENOUGH_VIEWERS = 10
DEMOGRAPHIC_BREAKDOWNS = ("age", "gender", "city", "country")


@pytest.fixture(scope="module")
def graph_emulator() -> Iterator[Emulator]:
    """A Graph mode emulator shared by a module's tests, which must not change its world."""
    with Emulator(World(GRAPH_SOURCE_WORLD), api="graph", rate_limit=10**6) as emulator:
        yield emulator


@pytest.fixture
def serve_graph() -> Iterator[Any]:
    """`serve_graph(**options)`: a fresh Graph mode emulator (tests may change its world), over
    `GRAPH_SOURCE_WORLD` or the world `config` names."""
    running: list[Emulator] = []

    def start(config: WorldConfig = GRAPH_SOURCE_WORLD, **options: Any) -> Emulator:
        options.setdefault("rate_limit", 10**6)
        emulator = Emulator(World(config), api="graph", **options).start()
        running.append(emulator)
        return emulator

    yield start
    for emulator in running:
        emulator.stop()


class GraphLoader(Loader):
    """Runs the Graph source into one warehouse (by default the DuckDB file
    `<root>/instagram_graph.duckdb`), with one pipeline working dir, like cron would."""

    dataset = "instagram_graph_raw"

    def __init__(self, root: Path, warehouse: Warehouse | None = None):
        super().__init__(root, "instagram_graph", warehouse)

    def run(self, emulator: Emulator, *resources: str, **config: Any) -> dlt.Pipeline:  # type: ignore[override]
        """One run of the source against `emulator` (of `resources` only, if named)."""
        config.setdefault("access_token", emulator.access_token)
        config.setdefault("media_page_size", PAGE_SIZE)
        source = instagram_graph(base_url=emulator.base_url, **source_arguments(config, "instagram_graph"))
        pipeline = self.pipeline()
        pipeline.run(source.with_resources(*resources) if resources else source)
        return pipeline

    def source_state(self) -> dict:
        return self.pipeline().state["sources"]["instagram_graph"]


def analytics(database: Path, sql: str) -> list[tuple[Any, ...]]:
    """`sql` on the analytics dataset of the DuckDB file `database`."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"USE {ANALYTICS_DATASET}")
        return con.execute(sql).fetchall()


def publish(emulator: Emulator, caption: str) -> str:
    """The token user's account posts a media now, through the API's writes; its id."""
    base, token = f"{emulator.base_url}/v24.0", emulator.access_token
    account = emulator.graph.model.user_id(emulator.graph.model.owner)
    form = {"access_token": token, "image_url": "https://example.com/new.jpg", "caption": caption}
    container = requests.post(f"{base}/{account}/media", data=form, timeout=10).json()["id"]
    publish = {"access_token": token, "creation_id": container}
    return requests.post(f"{base}/{account}/media_publish", data=publish, timeout=10).json()["id"]


def reply(emulator: Emulator, comment_id: str, message: str) -> str:
    """The token user's account replies to a comment now, through the API's writes; the reply's id."""
    form = {"access_token": emulator.access_token, "message": message}
    return requests.post(f"{emulator.base_url}/v24.0/{comment_id}/replies", data=form, timeout=10).json()["id"]


class Truth:
    """What the emulator's world holds for the token user's account, in Graph ids."""

    def __init__(self, emulator: Emulator):
        self.model: GraphModel = emulator.graph.model
        self.owner = self.model.owner
        self.account_id = self.model.user_id(self.owner)

    def media_indices(self) -> list[int]:
        return self.model.media_of(self.owner)

    def media_ids(self) -> list[str]:
        return [self.model.media_id(index) for index in self.media_indices()]

    def comments(self) -> dict[str, tuple[str, str | None]]:
        """Comment id → (media id, parent comment id) of every live comment and reply."""
        found: dict[str, tuple[str, str | None]] = {}
        for index in self.media_indices():
            top, replies = self.model.threads(index)
            for comment in top:
                found[self.model.comment_id(comment)] = (self.model.media_id(index), None)
                for reply in replies.get(comment, []):
                    found[self.model.comment_id(reply)] = (self.model.media_id(index), self.model.comment_id(comment))
        return found

    def insights(self, kind: str, n: int, **params: object) -> list[dict[str, Any]] | None:
        """What the emulator answers now to the insights of node `n` of `kind` ('user', 'media',
        'story') with `params` (its handler, called directly): the `data` list, or None for
        media seen by too few accounts (code 10)."""
        ctx = Ctx(self.model, None, "", "v24.0", "", {key: str(value) for key, value in params.items()}, self.owner)
        try:
            return (user_insights if kind == "user" else media_insights)(ctx, kind, n)["data"]
        except GraphError as error:
            if error.code == NOT_ENOUGH_VIEWERS:
                return None
            raise

    def demographics(self) -> set[tuple[str, str, int]]:
        """(breakdown, group, followers) of the account's followers, as the API answers them now."""
        found = set()
        for breakdown in DEMOGRAPHIC_BREAKDOWNS:
            data = self.insights(
                "user",
                self.owner,
                metric="follower_demographics",
                period="lifetime",
                metric_type="total_value",
                breakdown=breakdown,
            )
            for result in (data or [{}])[0]["total_value"]["breakdowns"][0]["results"]:
                found.add((breakdown, result["dimension_values"][0], result["value"]))
        return found

    def online_followers(self) -> dict[tuple[str, int], int]:
        """(end time as the API writes it, hour) -> the account's followers online, as the API
        answers them now (yesterday and today)."""
        [metric] = self.insights("user", self.owner, metric="online_followers", period="lifetime") or []
        return {(day["end_time"], int(hour)): value for day in metric["values"] for hour, value in day["value"].items()}

    def competitors(self, count: int) -> list[str]:
        """The user names of the `count` most followed other professional accounts that business
        discovery serves and that posted."""
        model = self.model
        served = [
            i
            for i in range(model.world.user_count())
            if i != self.owner and model.is_professional(i) and not model.age_gated(i) and model.media_of(i)
        ]
        return [
            model.user(i)["username"]
            for i in sorted(served, key=lambda i: (-model.user(i)["followers_count"], i))[:count]
        ]


def graph_env(tmp_path: Path, emulator: Emulator, token: str | None = None, **settings: str) -> dict[str, str]:
    """A pipeline process's environment, reading `emulator` with the Graph API source."""
    env = pipeline_env(
        tmp_path,
        SOURCES__INSTAGRAM_GRAPH__BASE_URL=emulator.base_url,
        SOURCES__INSTAGRAM_GRAPH__ACCESS_TOKEN=token or emulator.access_token,
        SOURCES__INSTAGRAM_GRAPH__TUNING__MEDIA_PAGE_SIZE=str(PAGE_SIZE),
        PIPELINES__API="graph",
    )
    env.update(source_env(settings, "SOURCES__INSTAGRAM_GRAPH", "instagram_graph"))
    return env


def loaded(tmp_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(f"SET schema = 'instagram_graph_raw'; {sql}").fetchall()
