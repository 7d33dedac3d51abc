"""dlt hints and Arrow schema of a raw table, from its entry in a source's contract (`TABLES`
of `sources/instagram_contract.py` or `sources/instagram_graph_contract.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def key_columns(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """Primary key columns of a raw table (never NULL)."""
    keys = spec.get("primary_key") or ()
    return (keys,) if isinstance(keys, str) else tuple(keys)


def column_hints(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """dlt column hints of a raw table: types, descriptions, nullability, merge keys, and its
    dedup sort column. In a table with one, every other column says it is not: dlt merges
    hints into the schema it stored, and a sort column of an earlier version (`users` sorted on
    `bio`) would otherwise stay beside the new one, which dlt refuses to load."""
    columns = []
    for name, data_type, description in spec["columns"]:
        column: dict[str, Any] = {
            "name": name,
            "data_type": data_type,
            "description": description,
            "nullable": name not in key_columns(spec),
        }
        if name == spec.get("merge_key"):
            column["merge_key"] = True
        if "dedup_sort" in spec:
            column["dedup_sort"] = spec["dedup_sort"][1] if spec["dedup_sort"][0] == name else None
        columns.append(column)
    return columns


def arrow_schema(spec: Mapping[str, Any]) -> pa.Schema:
    """The Arrow schema of a raw table: its declared types and nullability."""
    return pa.schema(
        [pa.field(c["name"], _ARROW_TYPES[c["data_type"]], nullable=c["nullable"]) for c in column_hints(spec)]
    )
