"""docs/tables.md documents every analytics table and column, and its example queries run."""

from __future__ import annotations

import re
from pathlib import Path

from emulator import World, WorldConfig
from tests.transforms.conftest import ANALYTICS, Warehouse
from tests.transforms.test_emulator_worlds import load_world

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tables.md"


def analytics_section() -> str:
    text = DOCS.read_text()
    start = text.index("<!-- BEGIN analytics tables (owned by transforms) -->")
    return text[start:text.index("<!-- END analytics tables -->")]


def test_example_queries_run_as_written(warehouse: Warehouse) -> None:
    load_world(warehouse, World(WorldConfig(seed=5, users=150)), engagement_owners=20)
    warehouse.transform()
    queries = re.findall(r"```sql\n(.*?)```", analytics_section(), re.DOTALL)
    assert len(queries) >= 8
    for query in queries:
        warehouse.query(query)  # raises on any error


def test_every_table_and_column_is_documented(warehouse: Warehouse) -> None:
    warehouse.transform()
    section = analytics_section()
    columns = warehouse.query(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name NOT LIKE 'stg\\_%' ESCAPE '\\'"
        " AND table_name NOT LIKE 'int\\_%' ESCAPE '\\'", ANALYTICS)
    assert columns
    undocumented = sorted({f"{t}.{c}" for t, c in columns
                           if f"`{t}`" not in section or f"`{c}`" not in section})
    assert undocumented == []
