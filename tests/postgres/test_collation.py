"""What a PostgreSQL database without the C collation changes (docs/destinations.md): only the
ties the models break by a tag name or a media id. User ids are digits, and digit strings sort
alike in every collation, so what follows `user_id` order (node indexes, community names, top
fans' ties, the crawl's admission order) does not change.

One hand-built world, written into DuckDB, a database with the server's default collation
(en_US.UTF-8, tests/postgres_server.py) and a C-collation one; the transforms run on each. Its
ties: two media of equal engagement in one tag and one location, whose ids differ in length
(media numbers grew a digit over the years); two tags co-occurring equally often with a third,
one accented (`café`, `cafes`); and users `9`, `10`, `100`, `1000` in one follow graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.postgres.hand_built import built_in_duckdb, built_in_postgres
from tests.postgres.test_same_as_duckdb import table_differences
from tests.postgres_server import PostgresServer
from tests.transforms.conftest import at

pytestmark = pytest.mark.postgres

USERS = ("9", "10", "100", "1000")
# media ids of media numbers 19 and 18 digits long: C puts the first first, en_US the second
MEDIA = ("1056943951304458491_9", "105694395130445849_10")
FOLLOWS = [("9", "10"), ("10", "9"), ("100", "9"), ("1000", "100"), ("9", "1000"), ("10", "100")]


def raw_rows() -> dict[str, list[dict[str, Any]]]:
    media = [
        {
            "id": media_id,
            "user_id": owner,
            "type": "image",
            "created_time": at(day),
            "likes_count": 5,
            "comments_count": 1,
            "location_id": "L1",
            "observed_at": at(3),
        }
        for media_id, owner, day in ((MEDIA[0], "9", 1), (MEDIA[1], "10", 2))
    ]
    return {
        "users": [{"id": user, "username": f"user_{user}", "observed_at": at(0)} for user in USERS],
        "media": media,
        "media_counts": [
            {
                "snapshot_key": f"{row['id']}:3",
                "media_id": row["id"],
                "observed_at": at(3),
                "likes_count": 5,
                "comments_count": 1,
            }
            for row in media
        ],
        "media_tags": [
            {"media_id": media_id, "tag": tag}
            for media_id, tag in ((MEDIA[0], "sun"), (MEDIA[0], "café"), (MEDIA[1], "sun"), (MEDIA[1], "cafes"))
        ],
        "locations": [{"id": "L1", "name": "Beach", "latitude": 1.0, "longitude": 2.0}],
        "follow_edges": [
            {
                "edge_key": f"follows:{follower}:{followed}",
                "list_key": f"follows:{follower}",
                "follower_id": follower,
                "followed_id": followed,
                "valid_from": at(0),
                "valid_to": None,
            }
            for follower, followed in FOLLOWS
        ],
    }


def without(rows: list[tuple], kept: list[int]) -> list[tuple]:
    return sorted((tuple(row[i] for i in kept) for row in rows), key=repr)


def test_without_the_c_collation_only_ties_by_tag_or_media_id_fall_differently(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    in_duckdb = built_in_duckdb(tmp_path / "duckdb", raw_rows())
    in_postgres = {
        name: built_in_postgres(postgres, f"collation_{name}", tmp_path / name, raw_rows(), collation)
        for name, collation in (("default", None), ("c", "C"))
    }

    assert table_differences(in_duckdb, in_postgres["c"]) == {}
    differing = table_differences(in_duckdb, in_postgres["default"])
    assert set(differing) == {
        "instagram_analytics.int_media_group_tags",
        "instagram_analytics.int_media_group_engagement",
        "instagram_analytics.tag_engagement",
        "instagram_analytics.location_engagement",
    }, differing
    # in those, only the tie-broken columns: the top co-occurring tag and the top media
    tie_broken = {"top_cooccurring_tag", "top_media_id"}
    for table in differing:
        columns = in_duckdb[table][0]
        kept = [i for i, name in enumerate(columns) if name not in tie_broken]
        assert len(kept) < len(columns), table
        assert without(in_duckdb[table][1], kept) == without(in_postgres["default"][table][1], kept), table
    # the graph, keyed by user ids of 1 to 4 digits, is the same
    for table in ("int_graph_nodes", "int_communities", "user_graph_metrics"):
        assert in_duckdb[f"instagram_analytics.{table}"][1], table
