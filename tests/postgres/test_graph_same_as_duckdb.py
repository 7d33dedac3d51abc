"""The Graph API source's world into DuckDB and into PostgreSQL (both collations), two runs a day
apart: every analytics table and view holds the same rows, so the Graph-only marts
(tests/graph_source/test_graph_marts.py) hold on PostgreSQL too, with real content in each."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import pytest

from emulator import Emulator, World
from emulator.generate import DAY
from tests.graph_source.conftest import GRAPH_AUDIENCE_WORLD, GraphLoader, Truth
from tests.postgres.test_same_as_duckdb import COLLATIONS, Tables, read_tables, table_differences
from tests.postgres_server import PostgresServer
from tests.warehouses import Warehouse
from transforms import run_transforms

pytestmark = pytest.mark.postgres

COMPETITORS = 3
GRAPH_MARTS = (
    "media_insights",
    "insight_metrics",
    "account_insights_daily",
    "audience",
    "story_performance",
    "best_posting_times",
    "format_mix",
    "competitor_benchmark",
    "conversation_edges",
    "conversation_graph_metrics",
)


def load(folder: Path, warehouse: Warehouse) -> None:
    """Two runs of the Graph API source a world day apart into `warehouse`, then the transforms."""
    with Emulator(World(GRAPH_AUDIENCE_WORLD), api="graph", rate_limit=10**6) as emulator:
        loader = GraphLoader(folder, warehouse)
        competitors = Truth(emulator).competitors(COMPETITORS)
        loader.run(emulator, competitors=competitors)
        emulator.advance(DAY)
        run_transforms(loader.run(emulator, competitors=competitors))


@pytest.fixture(scope="module")
def graph_tables(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> dict[str, Tables]:
    """Every raw and analytics table, per warehouse ('duckdb', or the collation's name)."""
    root = tmp_path_factory.mktemp("graph_same_as_duckdb")
    database = root / "duckdb" / "instagram.duckdb"
    database.parent.mkdir()
    load(root / "duckdb", Warehouse("duckdb", str(database)))
    with contextlib.closing(duckdb.connect(str(database), read_only=True)) as connection:
        tables = {"duckdb": read_tables(connection)}
    for name, collation in COLLATIONS.items():
        load(root / name, Warehouse("postgres", postgres.create_database(f"graph_same_as_duckdb_{name}", collation)))
        with contextlib.closing(postgres.connect(f"graph_same_as_duckdb_{name}")) as connection:
            tables[name] = read_tables(connection)
    return tables


@pytest.mark.parametrize("collation", COLLATIONS)
def test_every_analytics_table_is_the_same_in_duckdb_and_postgres(
    graph_tables: dict[str, Tables], collation: str
) -> None:
    found = table_differences(graph_tables["duckdb"], graph_tables[collation])
    assert not found, "\n".join(f"{table}: {what}" for table, what in found.items())


def test_every_graph_mart_has_content(graph_tables: dict[str, Tables]) -> None:
    empty = [mart for mart in GRAPH_MARTS if not graph_tables["duckdb"][f"instagram_analytics.{mart}"][1]]
    assert empty == []
