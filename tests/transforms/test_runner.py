"""The runner: idempotent reruns, missing raw tables and columns, model ordering and errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from emulator import World, WorldConfig
from tests.shared import read_only
from tests.transforms.conftest import ANALYTICS, Warehouse, at
from tests.transforms.test_emulator_worlds import load_world
from transforms.raw_tables import RAW_TABLES
from transforms.runner import TransformError, load_models, run_models, run_transforms


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every analytics table's full contents, in a stable order (one connection: opening the
    DuckDB file costs more than reading a table)."""
    with read_only(warehouse.path) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [ANALYTICS]
        ).fetchall()
        return {
            name: con.execute(f"SELECT * FROM {ANALYTICS}.{name} ORDER BY ALL").fetchall() for (name,) in sorted(tables)
        }


def test_rerunning_changes_nothing(warehouse: Warehouse) -> None:
    load_world(warehouse, World(WorldConfig(seed=3, users=200)), engagement_owners=30)
    first_counts = warehouse.transform()
    first = snapshot(warehouse)
    assert warehouse.transform() == {}  # nothing changed: every model is up to date
    assert snapshot(warehouse) == first
    rebuilt_counts = run_transforms(warehouse.pipeline(), full_rebuild=True)
    assert snapshot(warehouse) == first
    assert {m: r["rows"] for m, r in first_counts.items()} == {m: r["rows"] for m, r in rebuilt_counts.items()}
    assert len(first["graph_summary"]) == 1
    # no working tables of the iterative models are left behind
    assert not [t for t in first if "__" in t]


def test_rows_loaded_twice_count_once(tmp_path: Path) -> None:
    # an interrupted load can leave whole-row duplicates in raw tables: every analytics table
    # (staging views included) must read as if each row were there once
    once, twice = Warehouse(tmp_path / "once.duckdb"), Warehouse(tmp_path / "twice.duckdb")
    for warehouse in (once, twice):
        load_world(warehouse, World(WorldConfig(seed=4, users=150)), engagement_owners=20)
        warehouse.write_raw(
            "follow_edges",
            [
                {  # an unfollow: a closed validity interval
                    "edge_key": "follows:u1:u2",
                    "list_key": "follows:u1",
                    "follower_id": "u1",
                    "followed_id": "u2",
                    "valid_from": at(-2),
                    "valid_to": at(-1),
                }
            ],
        )
        warehouse.write_raw(
            "follow_list_reads",
            [  # the reads of follows:u1 around it, and an empty list
                {
                    "list_key": f"{kind}:{user}",
                    "user_id": user,
                    "list_kind": kind,
                    "observed_at": at(day),
                    "member_count": n,
                }
                for kind, user, day, n in (
                    ("follows", "u1", -2, 1),
                    ("follows", "u1", -1, 0),
                    ("followed_by", "u9", -1, 0),
                )
            ],
        )
        warehouse.write_raw(
            "user_counts", [{"user_id": "u1", "observed_at": at(day), "followed_by_count": 10 + day} for day in (-9, 0)]
        )
        media_id = warehouse.query("SELECT min(id) FROM instagram_raw.media")[0][0]
        warehouse.write_raw(
            "media_counts", [{"media_id": media_id, "observed_at": at(day), "likes_count": day} for day in (1, 2)]
        )
        warehouse.write_raw("media_tags", [{"media_id": media_id, "tag": t} for t in ("a", "b")])
        warehouse.write_raw("locations", [{"id": "L1", "name": "Beach"}])
        warehouse.write_raw("users", [{"id": "u1", "username": "one", "observed_at": at(0)}])
        warehouse.write_raw(  # u1 is the configured token user
            "refresh_schedule",
            [
                {"kind": "crawl", "entity_id": "u1", "depth": 0, "active": True},
                {"kind": "profile", "entity_id": "self", "depth": 0, "active": True},
            ],
        )
    with duckdb.connect(str(twice.path)) as con:
        for table in RAW_TABLES:
            con.execute(f"INSERT INTO instagram_raw.{table} SELECT * FROM instagram_raw.{table}")
    once.transform()
    twice.transform()
    assert snapshot(twice) == snapshot(once)


def test_every_table_exists_when_no_raw_table_was_loaded(warehouse: Warehouse) -> None:
    results = warehouse.transform()
    models = {model.name for model in load_models()}
    assert set(results) == models
    assert set(snapshot(warehouse)) == models
    assert all(run["rows"] == 0 for run in results.values())
    columns = warehouse.query(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = 'media_engagement' ORDER BY ordinal_position",
        ANALYTICS,
    )
    assert ("engagement_rate_by_followers",) in columns


def test_missing_raw_columns_read_as_null(warehouse: Warehouse) -> None:
    # dlt creates a column only once it sees a value: a load without locations has no location_id
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute("CREATE SCHEMA instagram_raw")
        con.execute(
            "CREATE TABLE instagram_raw.media (id TEXT, user_id TEXT,"
            " created_time TIMESTAMPTZ, likes_count BIGINT, comments_count BIGINT)"
        )
        con.execute("INSERT INTO instagram_raw.media VALUES ('m1', 'u1', ?, 5, 1)", [at(0)])
    warehouse.transform()
    (media,) = warehouse.rows("media_engagement")
    assert (media["media_id"], media["engagement"], media["location_id"]) == ("m1", 6, None)
    assert warehouse.rows("location_engagement") == []


def test_a_failing_model_leaves_the_previous_tables(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.write_follow_edges([("a", "b")], at(0))
    warehouse.transform()
    sql_dir = tmp_path / "sql"
    (sql_dir / "staging").mkdir(parents=True)
    (sql_dir / "staging" / "stg_follow_edges.sql").write_text(
        "SELECT follower_id FROM {raw}.follow_edges AS raw_follow_edges"
    )
    (sql_dir / "marts").mkdir()
    (sql_dir / "marts" / "follow_edges.sql").write_text("SELECT no_such_column FROM {analytics}.stg_follow_edges")
    with warehouse.pipeline().sql_client() as client:
        with pytest.raises(TransformError, match="follow_edges"):
            run_models(client, models=load_models(sql_dir))
    assert [(r["follower_id"], r["followed_id"]) for r in warehouse.rows("follow_edges")] == [("a", "b")]


def write_models(sql_dir: Path, models: dict[str, str]) -> Path:
    for relative, sql in models.items():
        path = sql_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    return sql_dir


def test_models_run_after_what_they_reference(tmp_path: Path) -> None:
    sql_dir = write_models(
        tmp_path,
        {
            "marts/b_summary.sql": "SELECT * FROM {analytics}.a_detail",
            "marts/a_detail.sql": "SELECT * FROM {analytics}.int_z",
            "intermediate/int_z.sql": "SELECT * FROM {analytics}.stg_y",
            "staging/stg_y.sql": "SELECT * FROM {raw}.users AS raw_users",
        },
    )
    assert [m.name for m in load_models(sql_dir)] == ["stg_y", "int_z", "a_detail", "b_summary"]
    assert [m.materialized for m in load_models(sql_dir)] == ["view", "table", "table", "table"]


@pytest.mark.parametrize(
    "models, message",
    [
        ({"marts/a.sql": "SELECT * FROM {analytics}.b", "marts/b.sql": "SELECT * FROM {analytics}.a"}, "cycle"),
        ({"marts/a.sql": "SELECT * FROM {analytics}.nowhere"}, "unknown models"),
        ({"marts/a.sql": "SELECT * FROM {raw}.users AS u"}, "only staging models read raw"),
        ({"staging/a.sql": "SELECT * FROM {raw}.not_in_contract AS n"}, "not in transforms/raw_tables"),
        ({"marts/a.sql": "-- materialized: incremental\nSELECT 1 AS k"}, "unique_key"),
        ({"marts/a.sql": "-- materialized: iterative\n-- @init\nSELECT 1"}, "sections"),
        ({"marts/a.sql": "-- materialized: partitioned\n-- @select\nSELECT 1"}, "sections"),
    ],
)
def test_malformed_models_are_reported(tmp_path: Path, models: dict[str, str], message: str) -> None:
    sql_dir = write_models(tmp_path, models)
    with pytest.raises(TransformError, match=message):
        for model in load_models(sql_dir):
            if model.materialized in ("iterative", "partitioned"):
                model.sections()


def test_runs_on_tables_loaded_by_dlt(warehouse: Warehouse) -> None:
    # dlt creates no column for a field that is always None: valid_to is missing here
    pipeline = warehouse.pipeline()
    pipeline.run(
        [
            {
                "edge_key": f"follows:{a}:{b}",
                "list_key": f"follows:{a}",
                "follower_id": a,
                "followed_id": b,
                "valid_from": at(0),
                "valid_to": None,
            }
            for a, b in (("a", "b"), ("b", "a"), ("b", "c"))
        ],
        table_name="follow_edges",
    )
    results = warehouse.transform()
    assert results["follow_edges"]["rows"] == 3
    metrics = warehouse.by_key("user_graph_metrics", "user_id")
    assert {u: (m["followers"], m["following"]) for u, m in metrics.items()} == {"a": (1, 1), "b": (1, 2), "c": (1, 0)}


def test_command_line_builds_the_tables(warehouse: Warehouse) -> None:
    warehouse.write_follow_edges([("a", "b"), ("b", "a")], at(0))
    completed = subprocess.run(
        [sys.executable, "-m", "transforms", "--duckdb", str(warehouse.path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr
    assert "instagram_analytics.user_graph_metrics" in completed.stdout
    assert warehouse.query(f"SELECT count(*) FROM {ANALYTICS}.follow_edges") == [(2,)]


def test_a_model_may_change_materialization_and_gain_columns(warehouse: Warehouse, tmp_path: Path) -> None:
    # a later version turns the view `summary` into an incremental table, then adds a column:
    # the old view is replaced, and the rows kept so far keep NULL in the new column
    warehouse.write_follow_edges([("a", "b")], at(0))
    versions = [
        {"staging/summary.sql": "SELECT count(*) AS edges FROM {raw}.follow_edges AS e"},
        {"marts/summary.sql": "-- materialized: incremental\n-- unique_key: as_of\nSELECT 1 AS as_of, 10 AS edges"},
        {
            "marts/summary.sql": "-- materialized: incremental\n-- unique_key: as_of\n"
            "SELECT 2 AS as_of, 20 AS edges, 0.5 AS reciprocity"
        },
    ]
    for number, version in enumerate(versions):
        sql_dir = write_models(tmp_path / f"v{number}", version)
        with warehouse.pipeline().sql_client() as client:
            run_models(client, models=load_models(sql_dir))
    assert warehouse.query(f"SELECT * FROM {ANALYTICS}.summary ORDER BY as_of") == [(1, 10, None), (2, 20, 0.5)]


def test_a_partitioned_model_is_built_part_by_part(warehouse: Warehouse, tmp_path: Path) -> None:
    # as many parts as @partitions says, each from its own statement, together the whole model
    warehouse.write_follow_edges([(f"u{n}", "hub") for n in range(10)], at(0))
    sql_dir = write_models(
        tmp_path,
        {
            "staging/stg_e.sql": "SELECT follower_id FROM {raw}.follow_edges AS e WHERE follower_id IS NOT NULL",
            "marts/parts.sql": "-- materialized: partitioned\n"
            "-- @partitions\nSELECT CAST(ceil(count(*) / 4) AS INTEGER) FROM {analytics}.stg_e\n"
            "-- @select\nSELECT follower_id, {partition} AS part, {partitions} AS parts FROM {analytics}.stg_e"
            " WHERE CAST(substr(follower_id, 2) AS INTEGER) % {partitions} = {partition}",
        },
    )
    with warehouse.pipeline().sql_client() as client:
        results = run_models(client, models=load_models(sql_dir))
    assert results["parts"]["partitions"] == 3
    assert results["parts"]["rows"] == 10
    rows = warehouse.query(f"SELECT follower_id, part, parts FROM {ANALYTICS}.parts ORDER BY follower_id")
    assert sorted(rows) == sorted((f"u{n}", n % 3, 3) for n in range(10))
