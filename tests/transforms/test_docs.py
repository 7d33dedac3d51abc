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
    return text[start : text.index("<!-- END analytics tables -->")]


def table_blocks() -> dict[str, str]:
    """Each `### ` block of the analytics section, under every table its heading names."""
    blocks: dict[str, str] = {}
    for block in re.split(r"^(?=### )", analytics_section(), flags=re.MULTILINE)[1:]:
        heading = block.splitlines()[0]
        for table in re.findall(r"`(\w+)`", heading):
            blocks[table] = blocks.get(table, "") + block
    return blocks


def test_example_queries_run_as_written(warehouse: Warehouse) -> None:
    load_world(warehouse, World(WorldConfig(seed=5, users=150)), engagement_owners=20)
    warehouse.transform()
    section = analytics_section()
    queries = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    assert len(queries) >= 8
    assert section.count("```") == 2 * len(queries), "every example must be a ```sql block"
    for query in queries:
        warehouse.query(query)  # raises on any error


def test_every_table_and_column_is_documented(warehouse: Warehouse) -> None:
    warehouse.transform()
    blocks = table_blocks()
    columns = warehouse.query(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name NOT LIKE 'stg\\_%' ESCAPE '\\'"
        " AND table_name NOT LIKE 'int\\_%' ESCAPE '\\'",
        ANALYTICS,
    )
    assert columns
    # each column is named in the block (### heading) of its own table
    undocumented = sorted(f"{t}.{c}" for t, c in columns if f"`{c}`" not in blocks.get(t, ""))
    assert undocumented == []
