"""The DAG with shards: one mapped load task per shard, each with its own token (an Airflow
connection), run side by side by `dag.test()` against one emulator world, then the transforms
once; compared with the DAG run unsharded over the union of the shards' settings.

The analytics tables are what is compared: they are what analysts read, and they must not
depend on how the extraction was split. The raw follow history, list reads and refresh
schedule differ by design (one per shard, marked with the shard); tests/pipelines/test_shards.py
checks that every other raw table is equal too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow
pytest.importorskip("airflow", reason="the airflow extra is not installed (scripts/test-airflow)")

from airflow.models import Connection, Variable  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402
from airflow.utils.state import DagRunState, TaskInstanceState  # noqa: E402

from emulator import Emulator, World, WorldConfig  # noqa: E402
from tests.airflow.test_airflow_dag import CLIENT_SECRET, DUCKDB_PATH_VARIABLE, parse_dag  # noqa: E402
from tests.pipelines.conftest import table_snapshot  # noqa: E402
from tests.pipelines.test_shards import rounded, seeds  # noqa: E402
from tests.warehouses import assert_project_duckdb, pipelines_built  # noqa: E402

SHARD_TOKENS = {"north": "north-token-5c1e", "south": "south-token-9b7d", "west": "west-token-2a8f"}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    world = World(WorldConfig(seed=7, users=200))
    with Emulator(world, follows_any_user=True, enforce_signature=True, client_secret=CLIENT_SECRET) as emu:
        for token in SHARD_TOKENS.values():
            emu.add_token(token)
        yield emu


@pytest.fixture
def connections(airflow_db: None) -> Iterator[None]:
    yield
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.like("instagram_api%")).delete(synchronize_session=False)
        session.query(Variable).filter(Variable.key == DUCKDB_PATH_VARIABLE).delete()


def store_connection(conn_id: str, token: str) -> None:
    with create_session() as session:
        session.add(
            Connection(
                conn_id=conn_id, conn_type="http", password=token, extra=json.dumps({"client_secret": CLIENT_SECRET})
            )
        )


def toml_list(values: list[str]) -> str:
    return json.dumps(values)


def test_shards_run_as_parallel_mapped_tasks_and_equal_one_run_over_their_union(
    dags_folder: Path,
    emulator: Emulator,
    connections: None,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = emulator.world
    first, second = seeds(world)
    tag, location = world.tag_names()[0], world.location_ids()[0]
    shard_settings = {
        "north": {"user_ids": [first], "tags": [tag]},
        "south": {"user_ids": [second]},
        "west": {"user_ids": [], "location_ids": [location]},
    }
    common = f'[runtime]\ndlthub_telemetry = false\n\n[sources.instagram]\nbase_url = "{emulator.base_url}"\ncrawl_depth = 1\n'
    config = dags_folder / ".dlt" / "config.toml"
    config.write_text(
        common
        + f"shards = {toml_list(list(shard_settings))}\n"
        + "".join(
            f"\n[instagram_{shard}.sources.instagram]\n"
            + "".join(f"{key} = {toml_list(value)}\n" for key, value in settings.items())
            for shard, settings in shard_settings.items()
        )
    )
    for shard, token in SHARD_TOKENS.items():
        store_connection(f"instagram_api_{shard}", token)
    sharded = tmp_path / "sharded" / "instagram.duckdb"
    sharded.parent.mkdir()
    Variable.set(DUCKDB_PATH_VARIABLE, str(sharded))

    started = time.monotonic()
    dag = parse_dag(dags_folder)
    assert dag.get_task("transforms").upstream_task_ids == {"load_shard"}
    with pipelines_built() as built:
        run = dag.test()
    sharded_seconds = time.monotonic() - started
    # every shard's load and the transforms through the project's destination and settings
    assert sorted(pipeline.pipeline_name for pipeline in built) == sorted(
        ["instagram", *(f"instagram_{shard}" for shard in SHARD_TOKENS)]
    )
    for pipeline in built:
        assert_project_duckdb(pipeline, sharded)

    assert run.state == DagRunState.SUCCESS
    instances = run.get_task_instances()
    loads = sorted(ti.map_index for ti in instances if ti.task_id == "load_shard")
    assert loads == [0, 1, 2]
    assert {ti.state for ti in instances} == {TaskInstanceState.SUCCESS}

    # the same world, unsharded, over the union of the shards' settings, with one token
    config.write_text(
        common
        + f"user_ids = {toml_list([first, second])}\ntags = {toml_list([tag])}\n"
        + f"location_ids = {toml_list([location])}\n"
    )
    store_connection("instagram_api", emulator.access_token)
    single = tmp_path / "single" / "instagram.duckdb"
    single.parent.mkdir()
    Variable.set(DUCKDB_PATH_VARIABLE, str(single))
    started = time.monotonic()
    assert parse_dag(dags_folder).test().state == DagRunState.SUCCESS
    single_seconds = time.monotonic() - started

    analytics = rounded(table_snapshot(sharded, "instagram_analytics"))
    assert analytics == rounded(table_snapshot(single, "instagram_analytics"))
    assert analytics["follow_edges"] and analytics["media_engagement"] and analytics["location_engagement"]
    output = capfd.readouterr()
    logged = output.out + output.err + caplog.text
    for token in [*SHARD_TOKENS.values(), CLIENT_SECRET]:
        assert token not in logged
        assert token not in sharded.read_bytes().decode("latin-1")
    # for the run time in docs/airflow.md (shown with `pytest -s`)
    print(f"dag.test(): 3 shards {sharded_seconds:.1f} s, unsharded over their union {single_seconds:.1f} s")
