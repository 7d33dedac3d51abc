"""Sharded extraction through the CLI: two shards, each its own pipeline with its own token,
into one DuckDB file, then `python -m transforms` once; against a single run over the union of
their configurations, and the follow history when two shards read one list.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from emulator import Emulator, World
from tests.pipelines.conftest import pipeline_env, run_cli, table_snapshot
from tests.shared import source_env

# Raw tables that differ by design between a sharded warehouse and a single pipeline's: each
# shard keeps its own follow history and list reads (marked with the shard) and its own refresh
# schedule. What analysts read, the analytics tables, must not differ.
PER_PIPELINE_RAW_TABLES = {"follow_edges", "follow_list_reads", "refresh_schedule"}
SHARD_TOKENS = {"north": "north-token-5c1e", "south": "south-token-9b7d"}


def seeds(world: World) -> tuple[str, str]:
    """Two public users, the first following the second: the crawl from either reads the
    first one's `follows` list, so both shards observe the edge between them."""
    for follower in world.user_ids():
        if world.is_private(follower):
            continue
        for followed in world.follows(follower):
            if not world.is_private(followed) and followed != follower:
                return follower, followed
    raise AssertionError("no public follow edge in the world")


@pytest.fixture
def emulator(small_world_config):
    with Emulator(World(small_world_config), follows_any_user=True) as emu:
        for token in SHARD_TOKENS.values():
            emu.add_token(token)
        yield emu


def sharded_env(tmp_path: Path, emu: Emulator, north: dict[str, str], south: dict[str, str]) -> dict[str, str]:
    """Shared settings in `[sources.instagram]`, each shard's own in its pipeline's section
    (`[instagram_<shard>.sources.instagram]`), the way the README configures shards, with a
    token per shard and no shared token."""
    env = pipeline_env(
        tmp_path,
        SOURCES__INSTAGRAM__BASE_URL=emu.base_url,
        SOURCES__INSTAGRAM__CRAWL_DEPTH="1",
        SOURCES__INSTAGRAM__SHARDS='["north", "south"]',
    )
    for shard, settings in (("north", north), ("south", south)):
        env[f"INSTAGRAM_{shard.upper()}__SOURCES__INSTAGRAM__ACCESS_TOKEN"] = SHARD_TOKENS[shard]
        env.update(source_env(settings, f"INSTAGRAM_{shard.upper()}__SOURCES__INSTAGRAM"))
    return env


def run_transforms(tmp_path: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "transforms"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]


def run_shard(tmp_path: Path, env: dict[str, str], shard: str) -> None:
    result = run_cli(tmp_path, env, "--shard", shard)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "left for `python -m transforms`" in result.stdout


def rounded(snapshot: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Floats to 9 decimals: the graph models' sums may round differently in another order."""
    return {
        table: [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]
        for table, rows in snapshot.items()
    }


def test_two_shards_in_parallel_equal_one_run_over_their_union(tmp_path, emulator):
    world = emulator.world
    first, second = seeds(world)
    tag = world.tag_names()[0]
    location = world.location_ids()[0]
    sharded, single = tmp_path / "sharded", tmp_path / "single"
    sharded.mkdir()
    single.mkdir()
    env = sharded_env(
        sharded,
        emulator,
        {"USER_IDS": f'["{first}"]', "TAGS": f'["{tag}"]'},
        {"USER_IDS": f'["{second}"]', "LOCATION_IDS": f'["{location}"]'},
    )

    # started side by side on one DuckDB file: the shards take turns (run_lock)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pipelines.run", "--shard", shard],
            cwd=sharded,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for shard in SHARD_TOKENS
    ]
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
    run_transforms(sharded, env)

    union = pipeline_env(
        single,
        SOURCES__INSTAGRAM__BASE_URL=emulator.base_url,
        SOURCES__INSTAGRAM__CRAWL_DEPTH="1",
        SOURCES__INSTAGRAM__ACCESS_TOKEN=emulator.access_token,
        SOURCES__INSTAGRAM__USER_IDS=f'["{first}", "{second}"]',
        SOURCES__INSTAGRAM__TAGS=f'["{tag}"]',
        SOURCES__INSTAGRAM__LOCATION_IDS=f'["{location}"]',
    )
    result = run_cli(single, union)
    assert result.returncode == 0, result.stderr[-3000:]

    sharded_db, single_db = sharded / "warehouse.duckdb", single / "warehouse.duckdb"
    analytics = rounded(table_snapshot(sharded_db, "instagram_analytics"))
    assert analytics == rounded(table_snapshot(single_db, "instagram_analytics"))
    assert analytics["follow_edges"] and analytics["media_engagement"] and analytics["user_graph_metrics"]
    # `python -m transforms` published the analysts' copy of what it built, as a run does
    assert rounded(table_snapshot(sharded / "warehouse_read.duckdb", "instagram_analytics")) == analytics
    raw = table_snapshot(sharded_db)
    single_raw = table_snapshot(single_db)
    for table in sorted((set(raw) | set(single_raw)) - PER_PIPELINE_RAW_TABLES):
        assert raw.get(table) == single_raw.get(table), table

    with duckdb.connect(str(sharded_db), read_only=True) as db:
        # each shard kept its own state and history; both read the first seed's follows list
        states = db.execute("SELECT DISTINCT pipeline_name FROM instagram_raw._dlt_pipeline_state").fetchall()
        assert sorted(states) == [("instagram_north",), ("instagram_south",)]
        readers = db.execute(
            "SELECT DISTINCT shard FROM instagram_raw.follow_list_reads WHERE list_key = ? ORDER BY shard",
            [f"follows:{first}"],
        ).fetchall()
        assert readers == [("north",), ("south",)]
        for token in SHARD_TOKENS.values():
            assert token not in sharded_db.read_bytes().decode("latin-1")


def periods(database: Path, follower: str, followed: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as db:
        return db.execute(
            "SELECT started_at, ended_at FROM instagram_analytics.int_follow_edge_periods"
            " WHERE follower_id = ? AND followed_id = ? ORDER BY period_number",
            [follower, followed],
        ).fetchall()


def test_an_edge_one_shard_saw_removed_ends_there_though_the_other_never_saw_it_go(tmp_path, emulator):
    world = emulator.world
    first, second = seeds(world)
    env = sharded_env(tmp_path, emulator, {"USER_IDS": f'["{first}"]'}, {"USER_IDS": f'["{second}"]'})
    database = tmp_path / "warehouse.duckdb"

    run_shard(tmp_path, env, "north")
    run_shard(tmp_path, env, "south")
    both_read_at = world.now
    emulator.advance(25 * 3600)  # every crawled user is due again
    world.unfollow(first, second)
    run_shard(tmp_path, env, "south")  # only south sees the unfollow
    removed_at = world.now
    emulator.advance(25 * 3600)
    world.follow(first, second)
    run_shard(tmp_path, env, "north")  # north never saw the edge gone: to it, it held throughout
    back_at = world.now
    run_transforms(tmp_path, env)

    with duckdb.connect(str(database), read_only=True) as db:
        north_history = db.execute(
            "SELECT valid_from, valid_to FROM instagram_raw.follow_edges WHERE shard = 'north' AND edge_key = ?",
            [f"follows:{first}:{second}"],
        ).fetchall()
    # north's own history: one interval, still open
    assert [(start.timestamp(), end) for start, end in north_history] == [(both_read_at, None)]
    # merged: the newest read decides, whichever shard made it
    found = [(start.timestamp(), end and end.timestamp()) for start, end in periods(database, first, second)]
    assert found == [(both_read_at, removed_at), (back_at, None)]
