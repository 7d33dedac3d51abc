"""The loaded tables are exactly the contract of docs/architecture.md, typed, documented."""

from __future__ import annotations

import re
from pathlib import Path

from emulator import Emulator, World

from .conftest import Loader

DOCS = Path(__file__).resolve().parents[2] / "docs"


def contract_columns() -> dict[str, list[str]]:
    """Table → columns, parsed from the "Columns" table of docs/architecture.md."""
    text = (DOCS / "architecture.md").read_text()
    section = text[text.index("| table | columns |") :]
    contract = {}
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        table, columns = [cell.strip() for cell in line.strip("|").split("|")]
        without_notes = re.sub(r"\([^()]*\)", "", columns)  # "(`users`, `tags`, ...)" explains values
        contract[table.strip("`")] = re.findall(r"`([a-z_]+)`", without_notes)
    return contract


def test_tables_and_columns_match_the_contract(world: World, emulator: Emulator, loader: Loader) -> None:
    loader.run(
        emulator,
        crawl_depth=0,
        tags=world.tag_names()[:1],
        location_ids=world.location_ids()[:1],
        geography_ids=world.geography_ids()[:1],
        user_search_queries=["a"],
    )
    contract = contract_columns()
    assert len(contract) == 18
    rows = loader.rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'instagram_raw' AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY ordinal_position"
    )
    loaded: dict[str, list[str]] = {}
    for table, column, data_type in rows:
        if not column.startswith("_dlt"):
            loaded.setdefault(table, []).append(column)
            if column.endswith("_id") or column in ("id", "edge_key", "list_key"):
                assert data_type == "VARCHAR", (table, column)
            if column in ("observed_at", "created_time", "valid_from", "valid_to"):
                assert data_type == "TIMESTAMP WITH TIME ZONE", (table, column)
    assert loaded == contract
    documented = (DOCS / "tables.md").read_text()
    for table, columns in contract.items():
        assert f"`instagram_raw.{table}`" in documented
        assert all(f"| `{c}` |" in documented for c in columns)
