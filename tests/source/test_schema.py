"""The loaded tables are exactly the contract of sources/instagram_contract.py: columns in order, typed."""

from __future__ import annotations

from emulator import Emulator, World
from sources.instagram_contract import DUCKDB_TYPES, TABLES

from .conftest import Loader


def test_tables_and_columns_match_the_contract(world: World, emulator: Emulator, loader: Loader) -> None:
    loader.run(
        emulator,
        crawl_depth=0,
        tags=world.tag_names()[:1],
        location_ids=world.location_ids()[:1],
        geography_ids=world.geography_ids()[:1],
        user_search_queries=["a"],
    )
    contract = {
        table: [(name, DUCKDB_TYPES[data_type]) for name, data_type, _ in spec["columns"]]
        for table, spec in TABLES.items()
    }
    rows = loader.rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'instagram_raw' AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY ordinal_position"
    )
    loaded: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if not column.startswith("_dlt"):
            loaded.setdefault(table, []).append((column, "TEXT" if data_type == "VARCHAR" else data_type))
    assert loaded == contract
