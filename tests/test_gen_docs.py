"""The generated regions of the docs are what scripts/gen_docs.py writes, and only they change."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = load_generator()


def test_committed_docs_are_up_to_date() -> None:
    docs = gen_docs.generate()
    assert ROOT / "docs" / "tables.md" in docs
    stale = sorted(str(path.relative_to(ROOT)) for path, (old, new) in docs.items() if old != new)
    assert stale == [], f"{stale} differ from what the generator writes: run `{gen_docs.COMMAND}` and commit the result"


def test_check_command_passes_on_the_committed_docs() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_raw_section_lists_every_table_and_column() -> None:
    from sources.instagram_contract import TABLES

    blocks = {block.split("`", 1)[0]: block for block in gen_docs.raw_tables().split("### `instagram_raw.")[1:]}
    assert list(blocks) == list(TABLES)
    for table, spec in TABLES.items():
        assert spec["description"] in blocks[table]
        rows = [line.split("|")[1].strip(" `") for line in blocks[table].splitlines() if line.startswith("| `")]
        assert rows == [name for name, _, _ in spec["columns"]], table


def test_only_the_regions_are_rewritten() -> None:
    text = (
        "intro\n<!-- BEGIN generated:a (note) -->\nold a\n<!-- END generated:a -->\nmiddle\n"
        "<!-- BEGIN generated:b -->\n<!-- END generated:b -->\n<!-- BEGIN analytics tables -->\nkept\n"
    )
    new, names = gen_docs.regenerate(text, {"a": "new a", "b": "new b\n"})
    assert names == {"a", "b"}
    assert new == (
        "intro\n<!-- BEGIN generated:a (note) -->\nnew a\n<!-- END generated:a -->\nmiddle\n"
        "<!-- BEGIN generated:b -->\nnew b\n<!-- END generated:b -->\n<!-- BEGIN analytics tables -->\nkept\n"
    )
    assert gen_docs.regenerate(new, {"a": "new a", "b": "new b\n"})[0] == new


@pytest.mark.parametrize(
    "text, message",
    [
        ("<!-- BEGIN generated:a -->\nx\n", "not closed"),
        ("<!-- BEGIN generated:a -->\nx\n<!-- END generated:b -->\n", "not closed"),
        ("<!-- BEGIN generated:a -->\n<!-- BEGIN generated:a -->\n<!-- END generated:a -->\n", "not closed"),
        ("x\n<!-- END generated:a -->\n", "without its BEGIN"),
        ("<!-- BEGIN generated:c -->\n<!-- END generated:c -->\n", "no renderer for the region 'c'"),
    ],
)
def test_malformed_regions_are_reported(text: str, message: str) -> None:
    with pytest.raises(gen_docs.RegionError, match=message):
        gen_docs.regenerate(text, {"a": "new a"})


def test_a_renderer_no_doc_uses_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text("<!-- BEGIN generated:a -->\n<!-- END generated:a -->\n")
    assert gen_docs.generate(tmp_path, {"a": lambda: "A"}, files={}) == {
        tmp_path / "docs" / "x.md": (
            "<!-- BEGIN generated:a -->\n<!-- END generated:a -->\n",
            "<!-- BEGIN generated:a -->\nA\n<!-- END generated:a -->\n",
        )
    }
    with pytest.raises(gen_docs.RegionError, match=r"no doc holds the generated regions \['b'\]"):
        gen_docs.generate(tmp_path, {"a": lambda: "A", "b": lambda: "B"}, files={})


def test_analytics_section_lists_every_model_and_column_with_its_tests() -> None:
    contracts = gen_docs.model_contracts()
    blocks = {block.split("`", 1)[0]: block for block in gen_docs.analytics_tables().split("### `")[1:]}
    assert set(blocks) == set(contracts)
    for name, contract in contracts.items():
        assert " ".join(contract.description.split()) in blocks[name]
        rows = [line.split(" | ") for line in blocks[name].splitlines() if line.startswith("| `")]
        assert [row[0].strip("| `") for row in rows] == [column.name for column in contract.columns], name
        for row, column in zip(rows, contract.columns):
            assert row[1] == column.data_type
            assert all(f"`{test.label()}`" in row[3] for test in column.tests), (name, column.name)
