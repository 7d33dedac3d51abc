"""transforms/raw_tables.py names exactly what the staging models read, typed by the contract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sources.instagram_contract import SQL_TYPES
from sources.instagram_contract import TABLES as V1_TABLES
from sources.instagram_graph_contract import TABLES as GRAPH_TABLES
from transforms.raw_tables import GRAPH_READ_COLUMNS, RAW_DATASETS, READ_COLUMNS, typed_columns
from transforms.runner import load_models

ROOT = Path(__file__).resolve().parents[2]
# placeholder -> (the columns named, the source's contract)
SOURCES = {"raw": (READ_COLUMNS, V1_TABLES), "graph_raw": (GRAPH_READ_COLUMNS, GRAPH_TABLES)}


def test_both_sources_raw_datasets_are_named() -> None:
    assert SOURCES.keys() == RAW_DATASETS.keys()
    assert [raw.dataset for raw in RAW_DATASETS.values()] == ["instagram_raw", "instagram_graph_raw"]


@pytest.mark.parametrize("placeholder", SOURCES)
def test_every_column_read_is_in_the_contract_with_its_type(placeholder: str) -> None:
    read, tables = SOURCES[placeholder]
    assert read.keys() <= tables.keys()
    for table, columns in RAW_DATASETS[placeholder].tables.items():
        contract = [(name, SQL_TYPES[data_type]) for name, data_type, _ in tables[table]["columns"]]
        # the contract's columns and types, in the contract's order, restricted to those read
        assert list(columns.items()) == [(name, sql_type) for name, sql_type in contract if name in columns], table


def test_a_column_missing_from_the_contract_is_reported() -> None:
    with pytest.raises(ValueError, match=r"\['media.no_such_column', 'no_such_table.id'\]"):
        typed_columns({"media": ("id", "no_such_column"), "no_such_table": ("id",)})


@pytest.mark.parametrize("placeholder", SOURCES)
def test_every_table_and_column_named_is_read_by_a_staging_model(placeholder: str) -> None:
    read, _ = SOURCES[placeholder]
    sql_by_table: dict[str, str] = {}
    for model in load_models():
        for source, table in model.raw_tables:
            if source == placeholder:
                sql_by_table[table] = sql_by_table.get(table, "") + model.sql
    assert sql_by_table.keys() == read.keys()
    unread = [
        f"{table}.{column}"
        for table, columns in read.items()
        for column in columns
        if not re.search(rf"\b{column}\b", sql_by_table[table])
    ]
    assert unread == []


def test_transforms_do_not_import_the_source_packages() -> None:
    code = (
        "import sys, transforms.runner; print(sorted(m for m in sys.modules"
        " if m.split('.')[:2] in (['sources', 'instagram'], ['sources', 'instagram_graph'])))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert completed.stdout.strip() == "[]"
