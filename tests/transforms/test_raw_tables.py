"""transforms/raw_tables.py names exactly what the staging models read, typed by the contract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sources.instagram_contract import SQL_TYPES, TABLES
from transforms.raw_tables import RAW_TABLES, READ_COLUMNS, typed_columns
from transforms.runner import load_models

ROOT = Path(__file__).resolve().parents[2]


def test_every_column_read_is_in_the_contract_with_its_type() -> None:
    assert READ_COLUMNS.keys() <= TABLES.keys()
    for table, columns in RAW_TABLES.items():
        contract = [(name, SQL_TYPES[data_type]) for name, data_type, _ in TABLES[table]["columns"]]
        # the contract's columns and types, in the contract's order, restricted to those read
        assert list(columns.items()) == [(name, sql_type) for name, sql_type in contract if name in columns], table


def test_a_column_missing_from_the_contract_is_reported() -> None:
    with pytest.raises(ValueError, match=r"\['media.no_such_column', 'no_such_table.id'\]"):
        typed_columns({"media": ("id", "no_such_column"), "no_such_table": ("id",)})


def test_every_table_and_column_named_is_read_by_a_staging_model() -> None:
    sql_by_table: dict[str, str] = {}
    for model in load_models():
        for table in model.raw_tables:
            sql_by_table[table] = sql_by_table.get(table, "") + model.sql
    assert sql_by_table.keys() == READ_COLUMNS.keys()
    unread = [
        f"{table}.{column}"
        for table, columns in READ_COLUMNS.items()
        for column in columns
        if not re.search(rf"\b{column}\b", sql_by_table[table])
    ]
    assert unread == []


def test_transforms_do_not_import_the_source_package() -> None:
    code = "import sys, transforms.runner; print(sorted(m for m in sys.modules if m.split('.')[:2] == ['sources', 'instagram']))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert completed.stdout.strip() == "[]"
