"""A full profile beats a short one on every destination, whatever the NULL order of the engine
and the order of the rows: in the load (the `users` table's dedup sort, on `is_full_profile`)
and in `stg_users`. Each test runs on DuckDB and on PostgreSQL (a database with the server's
default collation).

PostgreSQL sorts NULL first in a descending sort, DuckDB last: while the load sorted on `bio`
(NULL in a short profile), PostgreSQL kept the short profile of every user read both in a list
and in full in one load, when the list's rows reached dlt first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import pytest

from sources.instagram.helpers.items import FullProfiles, column_hints, to_arrow
from tests.postgres.hand_built import built_in_duckdb, built_in_postgres
from tests.warehouses import DESTINATIONS, Warehouses

T0 = datetime(2017, 6, 1, tzinfo=UTC)


def short(user_id: str, observed_at: datetime = T0, username: str | None = None) -> dict[str, Any]:
    """A `users` row from a list, as `shaping.user_row` makes it: no bio, website or business flag."""
    return {
        "id": user_id,
        "username": username or f"user_{user_id}",
        "full_name": "Someone",
        "profile_picture": None,
        "bio": None,
        "website": None,
        "is_business": None,
        "observed_at": observed_at,
    }


def full(user_id: str, observed_at: datetime = T0, username: str | None = None) -> dict[str, Any]:
    """A `users` row from GET /users/{id}: an empty bio and website, as most profiles have."""
    return {**short(user_id, observed_at, username), "bio": "", "website": "", "is_business": False}


class NoProfilesYet:
    """The schedule of a warehouse that has no `user_counts` row."""

    def query(self, sql: str) -> list[tuple]:
        return []


@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)
def test_one_load_keeps_the_full_profile_whatever_reached_dlt_first(tmp_path: Path, warehouses: Warehouses) -> None:
    profiles = FullProfiles(NoProfilesYet())
    counts = [{"snapshot_key": f"{u}:0", "user_id": u, "observed_at": T0} for u in ("full_later", "full_first")]
    batches = [
        # as the source hands them over: a list's short profiles flushed before the full ones
        profiles.filter({"users": [short("full_later"), short("only_short")]})["users"],
        profiles.filter({"users": [full("full_later"), full("full_first")], "user_counts": counts})["users"],
        # a short profile after the full one: the source drops it ...
        profiles.filter({"users": [short("full_first")]})["users"],
        # ... and were it loaded, the dedup sort still keeps the full one
        [{**full("both_orders"), "is_full_profile": True}],
        [{**short("both_orders"), "is_full_profile": False}],
    ]
    assert batches[2] == []

    @dlt.resource(name="users", write_disposition="merge", primary_key="id", columns=column_hints("users"))
    def users() -> Any:
        for rows in batches:
            if rows:
                yield to_arrow("users", rows)

    warehouse = warehouses.new(tmp_path)
    pipeline = dlt.pipeline(
        "full_profiles", destination=warehouse.destination(), dataset_name="instagram_raw", pipelines_dir=str(tmp_path)
    )
    pipeline.run(users())
    with pipeline.sql_client() as client:
        loaded = client.execute_sql("SELECT id, bio, website, is_business FROM instagram_raw.users ORDER BY id")
        assert [tuple(row) for row in loaded] == [
            ("both_orders", "", "", False),
            ("full_first", "", "", False),
            ("full_later", "", "", False),
            ("only_short", None, None, None),
        ]
        flags = client.execute_sql("SELECT id, is_full_profile FROM instagram_raw.users ORDER BY id")
        assert [tuple(row) for row in flags] == [
            ("both_orders", True),
            ("full_first", True),
            ("full_later", True),
            ("only_short", False),
        ]


@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)
def test_stg_users_takes_a_full_profile_then_the_latest_then_byte_order(tmp_path: Path, warehouses: Warehouses) -> None:
    """`users` rows of one id twice (a file loaded twice, or loads from before the dedup sort
    on `is_full_profile`), in the order written here."""
    later = T0 + timedelta(days=1)
    users = [
        full("full_then_newer_short"),
        short("full_then_newer_short", later),
        short("newer_short_then_full", later),
        full("newer_short_then_full"),
        short("two_short", T0, "old_name"),
        short("two_short", later, "new_name"),
        # a tie on both: byte order decides, whatever the database's collation ('B' < 'b')
        full("tie", T0, "b_name"),
        full("tie", T0, "B_name"),
    ]
    if warehouses.server is None:
        tables = built_in_duckdb(tmp_path / "duckdb", {"users": users})
    else:
        tables = built_in_postgres(warehouses.server, f"stg_users_{tmp_path.name[-20:]}", tmp_path, {"users": users})
    columns, rows = tables["instagram_analytics.stg_users"]
    picked = {row[0]: dict(zip(columns, row)) for row in rows}
    assert len(picked) == len(rows) == 4
    assert picked["full_then_newer_short"]["bio"] == picked["newer_short_then_full"]["bio"] == ""
    assert picked["full_then_newer_short"]["observed_at"] == picked["newer_short_then_full"]["observed_at"] == T0
    assert picked["two_short"]["username"] == "new_name"
    assert picked["tie"]["username"] == "B_name"


@pytest.mark.parametrize("warehouses", DESTINATIONS, indirect=True)
def test_a_pipeline_that_sorted_on_bio_loads_with_the_new_sort_column(tmp_path: Path, warehouses: Warehouses) -> None:
    """dlt keeps the hints it stored: the new sort column must replace the old one, not join it
    (dlt refuses a table with two), and later loads leave the stored schema as it is."""
    # the hints of the version before: no `is_full_profile`, and `bio` the sort column
    before = [
        {
            **{k: v for k, v in column.items() if k != "dedup_sort"},
            **({"dedup_sort": "desc"} if column["name"] == "bio" else {}),
        }
        for column in column_hints("users")
        if column["name"] != "is_full_profile"
    ]
    warehouse = warehouses.new(tmp_path)
    pipeline = dlt.pipeline(
        "full_profiles", destination=warehouse.destination(), dataset_name="instagram_raw", pipelines_dir=str(tmp_path)
    )

    def load(columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        resource = dlt.resource(
            [to_arrow("users", rows).select([column["name"] for column in columns])],
            name="users",
            write_disposition="merge",
            primary_key="id",
            columns=columns,
        )
        pipeline.run(resource)

    load(before, [full("a"), short("a")])
    assert [
        name
        for name, column in pipeline.default_schema.get_table("users")["columns"].items()
        if column.get("dedup_sort")
    ] == ["bio"]
    for _ in range(2):
        load(column_hints("users"), [{**short("a"), "is_full_profile": False}, {**full("a"), "is_full_profile": True}])
    table = pipeline.default_schema.get_table("users")
    assert [name for name, column in table["columns"].items() if column.get("dedup_sort")] == ["is_full_profile"]
    assert pipeline.default_schema.version == 3  # the first load, and the new column once
    with pipeline.sql_client() as client:
        assert [tuple(r) for r in client.execute_sql("SELECT bio, is_full_profile FROM instagram_raw.users")] == [
            ("", True)
        ]
