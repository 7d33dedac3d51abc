"""The raw tables and columns the transforms read, typed by the sources' contracts.

Two sources load raw datasets into the same warehouse, and the staging models read both: v1's
`instagram_raw` (`{raw}.<table>` in the SQL) and the Graph API's `instagram_graph_raw`
(`{graph_raw}.<table>`). The contract of each source's raw tables (every column in order, its
type and description, the keys) is declared once, in `sources/instagram_contract.py` and
`sources/instagram_graph_contract.py`. This module only names the part of them that the SQL in
`transforms/sql/staging/` reads; the SQL types come from the contracts, so no type is written
twice. A column named here that its contract lacks fails at import.

Why the contracts are not read from the source packages: importing any module of a package
runs its `__init__.py` (the dlt resources, the HTTP client, pyarrow), and the transforms must
build from the warehouse without depending on the extraction code. The contract modules sit
beside the packages and import nothing.

Why a subset: a run that loaded only some resources leaves tables (or columns: dlt creates a
column only once it has seen a value) missing; the runner then reads a typed empty stand-in with
exactly these columns, so every analytics table is still built with the right columns, and a
loaded table is read as it is as long as it has the columns named here. The tests check that
every table and column named here is in the contract and read by a staging model, and every
model builds over the stand-ins alone (so a model reading a column not named here fails).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sources.instagram_contract import SQL_TYPES
from sources.instagram_contract import TABLES as V1_TABLES
from sources.instagram_graph_contract import TABLES as GRAPH_TABLES

# v1: table -> the columns the staging models read (in contract order)
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


# the Graph API: table -> the columns the staging models read (in contract order)
GRAPH_READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("id", "username", "name", "biography", "website", "profile_picture_url", "login", "observed_at"),
    "account_counts": ("account_id", "observed_at", "followers_count", "follows_count", "media_count"),
    "media": (
        "id",
        "account_id",
        "media_type",
        "media_product_type",
        "created_time",
        "caption",
        "permalink",
        "shortcode",
        "media_url",
        "thumbnail_url",
        "like_count",
        "comments_count",
        "observed_at",
    ),
    "media_counts": ("media_id", "observed_at", "like_count", "comments_count"),
    "comments": ("id", "media_id", "parent_id", "text", "created_time", "username", "from_id", "observed_at"),
    "media_insights": ("media_id", "metric", "value", "media_product_type", "observed_at", "api_version"),
    "account_insights": ("account_id", "metric", "end_time", "value", "observed_at"),
    "audience": ("account_id", "metric", "breakdown", "dimension_value", "value", "observed_at"),
    "online_followers": ("account_id", "end_time", "hour", "value", "observed_at"),
    "stories": ("id", "account_id", "media_type", "created_time", "permalink", "observed_at"),
    "competitor_counts": (
        "username",
        "account_id",
        "observed_at",
        "followers_count",
        "follows_count",
        "media_count",
    ),
    "competitor_media": ("media_id", "username", "created_time", "like_count", "comments_count", "observed_at"),
}


def typed_columns(
    read: Mapping[str, tuple[str, ...]],
    tables: Mapping[str, Any] = V1_TABLES,
    contract_module: str = "sources/instagram_contract.py",
) -> dict[str, dict[str, str]]:
    """table -> {column: SQL type} for the columns named in `read`, typed by the contract."""
    typed: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    for table, columns in read.items():
        contract = {name: data_type for name, data_type, _ in tables.get(table, {}).get("columns", ())}
        missing += [f"{table}.{column}" for column in columns if column not in contract]
        typed[table] = {column: SQL_TYPES[contract[column]] for column in columns if column in contract}
    if missing:
        raise ValueError(
            f"transforms/raw_tables.py reads raw columns that {contract_module} does not declare: {missing}"
        )
    return typed


@dataclass(frozen=True)
class RawDataset:
    """A source's raw dataset as the staging SQL names it (`{placeholder}.<table>`)."""

    placeholder: str
    dataset: str
    tables: dict[str, dict[str, str]]  # table -> {column: SQL type}, what the staging models read


RAW_TABLES: dict[str, dict[str, str]] = typed_columns(READ_COLUMNS)
GRAPH_RAW_TABLES: dict[str, dict[str, str]] = typed_columns(
    GRAPH_READ_COLUMNS, GRAPH_TABLES, "sources/instagram_graph_contract.py"
)
RAW_DATASET = RawDataset("raw", "instagram_raw", RAW_TABLES)
GRAPH_RAW_DATASET = RawDataset("graph_raw", "instagram_graph_raw", GRAPH_RAW_TABLES)
RAW_DATASETS: dict[str, RawDataset] = {raw.placeholder: raw for raw in (RAW_DATASET, GRAPH_RAW_DATASET)}
