#!/usr/bin/env python3
"""Rewrite the generated regions of the docs from the code that is their source of truth.

A generated region is delimited by two HTML comments (invisible when the Markdown is rendered):

    <!-- BEGIN generated:raw-tables (any note for the reader) -->
    ... written by this script ...
    <!-- END generated:raw-tables -->

Everything outside the regions is left as it is. Each region name has one renderer in
`RENDERERS`, a function returning the region's Markdown. A region with an unknown name,
markers that do not pair up, or a renderer no doc uses is an error. To generate another section
(e.g. the analytics tables from the model contracts), add a renderer and put its markers in
the doc.

    .venv/bin/python scripts/gen_docs.py          # rewrite the docs
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 with a diff when a doc is stale

`tests/test_gen_docs.py` runs the check.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ".venv/bin/python scripts/gen_docs.py"
# the Markdown files that may hold generated regions
DOC_GLOBS = ("README.md", "docs/*.md", "sources/*/README.md", "transforms/*.md")

BEGIN = re.compile(r"<!-- BEGIN generated:([\w-]+)\b[^\n]*?-->\n")
END = re.compile(r"<!-- END generated:([\w-]+) -->")


class RegionError(Exception):
    """A doc's generated regions are malformed or name no known renderer."""


def raw_tables() -> str:
    """The raw section of docs/tables.md: every table of the v1 source's contract, column by column."""
    if str(ROOT) not in sys.path:  # the contract imports nothing, so any Python 3.11 can run this
        sys.path.insert(0, str(ROOT))
    from sources.instagram_contract import FOLLOW_EDGES_DISPOSITION, TABLES

    # the tables written with a disposition of their own (as the source writes them)
    return contract_tables(RAW, TABLES, {"follow_edges": FOLLOW_EDGES_DISPOSITION})


def graph_raw_tables() -> str:
    """The Graph API source's raw section of docs/tables.md, from its contract."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sources.instagram_graph_contract import TABLES

    return contract_tables(GRAPH_RAW, TABLES, {})


def contract_tables(dataset: str, tables: Mapping[str, Any], dispositions: Mapping[str, Mapping]) -> str:
    """Every table of a source's contract (loaded into `dataset`), column by column."""
    from sources.instagram_contract import DUCKDB_TYPES

    def code(names: str | tuple[str, ...]) -> str:
        return f"`{names if isinstance(names, str) else ', '.join(names)}`"

    def disposition(table: str, spec: Mapping) -> str:
        custom = dispositions.get(table)
        if custom:
            valid_from, valid_to = custom["validity_column_names"]
            text = f"{custom['strategy']} (validity `{valid_from}` / `{valid_to}`)"
            if scope := re.match(r"(\w+) IN ", custom.get("destination_scope", "")):
                text += f", retired per `{scope[1]}`"
            return text
        text = f"merge on {code(spec['primary_key'])}"
        if "merge_key" in spec:
            text += f", replaced per {code(spec['merge_key'])}"
        return text

    index = ", ".join(f"[`{table}`](#{dataset}{table})" for table in tables)
    parts = [f"Tables: {index}.\n"]
    for table, spec in tables.items():
        rows = "".join(
            f"| `{name}` | {DUCKDB_TYPES[data_type].lower()} | {cell(description)} |\n"
            for name, data_type, description in spec["columns"]
        )
        parts.append(
            f"### `{dataset}.{table}`\n\n"
            f"{spec['description']} Disposition: {disposition(table, spec)}.\n\n"
            "| column | type | description |\n| --- | --- | --- |\n" + rows
        )
    return "\n".join(parts)


def model_contracts() -> dict:
    """The analytics models' contracts (transforms/sql/<layer>/<model>.yml), marts first."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from transforms.contracts import load_contracts

    return load_contracts(ROOT / "transforms" / "sql", ("marts", "staging", "intermediate"))


def cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def analytics_tables() -> str:
    """The analytics section of docs/tables.md: per model its description, freshness, model-level
    tests and a table of its columns, from the models' contracts."""
    parts = []
    for contract in model_contracts().values():
        if contract.layer == "staging" and not any(part.startswith("### `stg_") for part in parts):
            parts.append(
                "### Staging and intermediate models\n\nThe views (`stg_*`) and helper tables (`int_*`) the"
                " marts above are built from. They are rebuilt with the marts and hold the same facts"
                " less conveniently; build on the marts.\n"
            )
        lines = [f"### `{contract.name}`\n", " ".join(contract.description.split())]
        if contract.fresh:
            lines.append(f"\n**Fresh:** {' '.join(contract.fresh.split())}")
        if contract.model_tests:
            lines.append("\n**Tests:** " + ", ".join(f"`{test.label()}`" for test in contract.model_tests) + ".")
        lines.append("\n| column | type | description | tests |\n| --- | --- | --- | --- |")
        lines += [
            f"| `{column.name}` | {column.data_type} | {cell(column.description)} |"
            f" {', '.join(f'`{test.label()}`' for test in column.tests)} |"
            for column in contract.columns
        ]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def dbt_sources() -> str:
    """dbt/models/sources.yml: both datasets as dbt sources, so that a dbt project can
    `source()` every table, with the descriptions and types of their contracts and the column
    tests dbt itself knows (unique, not_null, accepted_values, relationships)."""
    import yaml

    contracts = model_contracts()  # (also puts the repository on sys.path)
    from sources.instagram_contract import DUCKDB_TYPES, TABLES

    raw = [
        {
            "name": table,
            "description": spec["description"],
            "columns": [
                {"name": name, "description": description, "data_type": DUCKDB_TYPES[data_type].lower()}
                for name, data_type, description in spec["columns"]
            ],
        }
        for table, spec in TABLES.items()
    ]

    def dbt_test(test: Any) -> Any:
        if test.kind in ("unique", "not_null"):
            return test.kind
        if test.kind == "accepted_values":
            return {"accepted_values": {"arguments": {"values": test.arguments["values"]}}}
        to = f"source('{ANALYTICS}', '{test.arguments['to']}')"
        return {"relationships": {"arguments": {"to": to, "field": test.arguments["field"]}}}

    def dbt_column(column: Any) -> dict[str, Any]:
        entry = {
            "name": column.name,
            "description": " ".join(column.description.split()),
            "data_type": column.data_type,
        }
        if tests := [dbt_test(test) for test in column.tests if test.kind in DBT_CORE_TESTS]:
            entry["data_tests"] = tests
        return entry

    analytics = [
        {
            "name": contract.name,
            "description": " ".join(contract.description.split()),
            "columns": [dbt_column(column) for column in contract.columns],
        }
        for contract in contracts.values()
    ]
    document = {
        "version": 2,
        "sources": [
            {"name": RAW, "schema": RAW, "description": "What the dlt source loads from the API.", "tables": raw},
            {
                "name": ANALYTICS,
                "schema": ANALYTICS,
                "description": "The graph and engagement tables built by transforms/ (docs/tables.md).",
                "tables": analytics,
            },
        ],
    }
    header = f"# Generated from sources/instagram_contract.py and transforms/sql/*/*.yml by `{COMMAND}`: do not edit.\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


RAW, GRAPH_RAW, ANALYTICS = "instagram_raw", "instagram_graph_raw", "instagram_analytics"
# the contract tests dbt runs without packages (accepted_range and unique_combination_of_columns are dbt_utils')
DBT_CORE_TESTS = ("unique", "not_null", "accepted_values", "relationships")
# files this script writes whole, by path from the repository root
GENERATED_FILES: dict[str, Callable[[], str]] = {"dbt/models/sources.yml": dbt_sources}

RENDERERS: dict[str, Callable[[], str]] = {
    "raw-tables": raw_tables,
    "graph-raw-tables": graph_raw_tables,
    "analytics-tables": analytics_tables,
}


def regenerate(text: str, rendered: Mapping[str, str], where: str = "<text>") -> tuple[str, set[str]]:
    """`text` with the body of every generated region replaced by its rendering, and the names
    of the regions it holds."""
    out: list[str] = []
    names: set[str] = set()
    position = 0
    while begin := BEGIN.search(text, position):
        name = begin[1]
        end = END.search(text, begin.end())
        if not end or end[1] != name or BEGIN.search(text, begin.end(), end.start()):
            raise RegionError(
                f"{where}: `<!-- BEGIN generated:{name}` is not closed by `<!-- END generated:{name} -->`"
            )
        if name not in rendered:
            raise RegionError(f"{where}: no renderer for the region {name!r} (known: {sorted(rendered)})")
        body = rendered[name]
        out += [text[position : begin.end()], body if body.endswith("\n") else body + "\n", end[0]]
        names.add(name)
        position = end.end()
    if END.search(text, position):
        raise RegionError(f"{where}: `<!-- END generated:` without its BEGIN")
    out.append(text[position:])
    return "".join(out), names


def generate(
    root: Path = ROOT,
    renderers: Mapping[str, Callable[[], str]] = RENDERERS,
    files: Mapping[str, Callable[[], str]] = GENERATED_FILES,
) -> dict[Path, tuple[str, str]]:
    """Every doc holding generated regions, and every generated file: its current text ("" when
    missing) and the text it should have."""
    rendered = {name: render() for name, render in renderers.items()}
    docs: dict[Path, tuple[str, str]] = {}
    used: set[str] = set()
    for path in sorted({path for pattern in DOC_GLOBS for path in root.glob(pattern)}):
        text = path.read_text()
        new, names = regenerate(text, rendered, where=str(path.relative_to(root)))
        if names:
            docs[path] = (text, new)
            used |= names
    if unused := sorted(rendered.keys() - used):
        raise RegionError(f"no doc holds the generated regions {unused}")
    for relative, render in files.items():
        path = root / relative
        docs[path] = (path.read_text() if path.exists() else "", render())
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a doc is stale")
    args = parser.parse_args(argv)
    stale = {path: texts for path, texts in generate().items() if texts[0] != texts[1]}
    for path, (old, new) in stale.items():
        relative = str(path.relative_to(ROOT))
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), relative, relative))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new)
            print(f"rewrote {relative}")
    if args.check and stale:
        print(f"\nthese docs are stale: run `{COMMAND}` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
