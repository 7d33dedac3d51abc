"""The raw tables and columns the transforms read, typed by the source's contract.

The contract of the raw tables (every column in order, its type and description, the keys) is
declared once, in `sources/instagram_contract.py`. This module only names the part of it that
the SQL in `transforms/sql/staging/` reads; the SQL types come from the contract, so no type
is written twice. A column named here that the contract lacks fails at import.

Why the contract is not read from `sources.instagram.settings`: importing any module of that
package runs `sources/instagram/__init__.py` (the dlt resources, the HTTP client, pyarrow), and
the transforms must build from the warehouse without depending on the extraction code. The
contract module sits beside the package and imports nothing.

Why a subset: a run that loaded only some resources leaves tables (or columns: dlt creates a
column only once it has seen a value) missing; the runner then reads a typed empty stand-in with
exactly these columns, so every analytics table is still built with the right columns, and a
loaded table is read as it is as long as it has the columns named here. The tests check that
every table and column named here is in the contract and read by a staging model, and every
model builds over the stand-ins alone (so a model reading a column not named here fails).
"""

from __future__ import annotations

from collections.abc import Mapping

from sources.instagram_contract import SQL_TYPES, TABLES

# table -> the columns the staging models read (in contract order)
READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "username", "full_name", "profile_picture", "bio", "website", "is_business", "observed_at"),
    "user_counts": ("user_id", "observed_at", "media_count", "follows_count", "followed_by_count"),
    "media": (
        "id",
        "user_id",
        "type",
        "created_time",
        "link",
        "shortcode",
        "filter",
        "caption_text",
        "location_id",
        "likes_count",
        "comments_count",
        "image_url",
        "observed_at",
    ),
    "media_counts": ("media_id", "observed_at", "likes_count", "comments_count"),
    "media_tags": ("media_id", "tag"),
    "comments": ("id", "media_id", "from_user_id", "text", "created_time", "observed_at"),
    "likes": ("media_id", "user_id", "observed_at"),
    "follow_edges": ("edge_key", "list_key", "follower_id", "followed_id", "valid_from", "valid_to", "shard"),
    "follow_list_reads": ("list_key", "user_id", "list_kind", "observed_at", "member_count", "shard"),
    "locations": ("id", "name", "latitude", "longitude"),
    "refresh_schedule": ("kind", "entity_id", "depth", "active"),
}


def typed_columns(read: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    """table -> {column: SQL type} for the columns named in `read`, typed by the contract."""
    typed: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    for table, columns in read.items():
        contract = {name: data_type for name, data_type, _ in TABLES.get(table, {}).get("columns", ())}
        missing += [f"{table}.{column}" for column in columns if column not in contract]
        typed[table] = {column: SQL_TYPES[contract[column]] for column in columns if column in contract}
    if missing:
        raise ValueError(
            f"transforms/raw_tables.py reads raw columns that sources/instagram_contract.py does not declare: {missing}"
        )
    return typed


RAW_TABLES: dict[str, dict[str, str]] = typed_columns(READ_COLUMNS)
