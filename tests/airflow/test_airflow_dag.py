"""The Airflow DAG, parsed by a real DagBag and run by `dag.test()` against the emulator.

Each run loads into a DuckDB file in tmp_path, with the secrets in Airflow's metadata database
(a connection and a variable) and the source settings in `<dags>/.dlt/config.toml`, the way
docs/airflow.md deploys it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow
pytest.importorskip("airflow", reason="the airflow extra is not installed (scripts/test-airflow)")

import duckdb  # noqa: E402
from airflow.models import Connection, Variable  # noqa: E402
from airflow.utils.session import create_session  # noqa: E402
from airflow.utils.state import DagRunState, TaskInstanceState  # noqa: E402
from dlt.pipeline.state_sync import decompress_state  # noqa: E402

from emulator import Emulator, World, WorldConfig  # noqa: E402
from tests.warehouses import assert_project_duckdb, pipelines_built  # noqa: E402

try:  # Airflow 3
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2
    from airflow.models import DagBag

DAG_ID = "instagram"
CONNECTION_ID = "instagram_api"
GRAPH_CONNECTION_ID = "instagram_graph_api"
DUCKDB_PATH_VARIABLE = "instagram_duckdb_path"
WORLD = WorldConfig(seed=7, users=200)
GRAPH_WORLD = WorldConfig(seed=3, users=150, media_per_user=6)
CLIENT_SECRET = "test-client-secret-3f9a"
# for tests that build the DAG but make no request: a loopback port nothing listens on
UNUSED_BASE_URL = "http://127.0.0.1:9/v1"


@pytest.fixture
def world() -> World:
    return World(WORLD)


@pytest.fixture
def emulator(world: World) -> Iterator[Emulator]:
    """The API with signed requests enforced: a run only works if the client secret got through."""
    with Emulator(world, follows_any_user=True, enforce_signature=True, client_secret=CLIENT_SECRET) as emu:
        yield emu


@pytest.fixture
def airflow_settings(airflow_db: None) -> Iterator[None]:
    """Leave no connection or variable behind for the next test."""
    yield
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.in_([CONNECTION_ID, GRAPH_CONNECTION_ID])).delete()
        session.query(Variable).filter(Variable.key == DUCKDB_PATH_VARIABLE).delete()


def store_connection(
    access_token: str, client_secret: str, conn_id: str = CONNECTION_ID, extra_key: str = "client_secret"
) -> None:
    """The connection in Airflow's metadata database, as `airflow connections add` makes it."""
    with create_session() as session:
        session.add(
            Connection(
                conn_id=conn_id,
                conn_type="http",
                password=access_token,
                extra=json.dumps({extra_key: client_secret}),
            )
        )


def write_dlt_config(dags_folder: Path, base_url: str) -> None:
    """Non-secret source settings go in `<dags>/.dlt/config.toml`, as docs/airflow.md says."""
    (dags_folder / ".dlt" / "config.toml").write_text(
        f'[runtime]\ndlthub_telemetry = false\n\n[sources.instagram]\nbase_url = "{base_url}"\n'
    )


def parse_dag(dags_folder: Path):
    """The DAG as the scheduler sees it, after checking the folder parsed without errors."""
    bag = DagBag(dag_folder=str(dags_folder))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def test_dag_parses_without_secrets_data_or_requests(
    dags_folder: Path, emulator: Emulator, airflow_settings: None
) -> None:
    write_dlt_config(dags_folder, emulator.base_url)
    emulator.stats.reset()

    dag = parse_dag(dags_folder)

    assert emulator.stats.total == 0, "parsing the DAG must not call the API"
    assert not Path(os.environ["DLT_DATA_DIR"]).exists(), "parsing left a dlt working folder"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    # the load, then the transforms, each running the recipe (pipelines.recipe)
    assert [task.task_id for task in dag.topological_sort()] == ["load", "transforms"]
    assert dag.get_task("transforms").upstream_task_ids == {"load"}


def test_scheduled_runs_load_the_world_then_its_changes(
    dags_folder: Path,
    emulator: Emulator,
    world: World,
    airflow_settings: None,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = tmp_path / "warehouse" / "instagram.duckdb"
    database.parent.mkdir()
    write_dlt_config(dags_folder, emulator.base_url)
    store_connection(emulator.access_token, CLIENT_SECRET)
    Variable.set(DUCKDB_PATH_VARIABLE, str(database))
    me = world.user(world.default_user_id)

    with pipelines_built() as built:
        assert_succeeded(parse_dag(dags_folder).test())
    # both tasks load through the project's destination and settings, as every entry point
    # (tests/pipelines/test_one_destination.py): once, dlt's stock DuckDB destination
    assert [pipeline.pipeline_name for pipeline in built] == ["instagram", "instagram"]
    for pipeline in built:
        assert_project_duckdb(pipeline, database)

    with duckdb.connect(str(database), read_only=True) as db:
        loaded_user = db.execute(
            "SELECT username, full_name FROM instagram_raw.users WHERE id = ?", [me["id"]]
        ).fetchone()
        assert loaded_user == (me["username"], me["full_name"])
        my_media = set(world.media_ids_of_user(me["id"]))
        loaded_media = column(db, "SELECT id FROM instagram_raw.media WHERE user_id = ?", me["id"])
        assert set(loaded_media) == my_media
        # the transforms task ran on what the load tasks loaded
        likes_by_media = dict(
            db.execute(
                "SELECT media_id, likes FROM instagram_analytics.media_engagement WHERE owner_id = ?",
                [me["id"]],
            ).fetchall()
        )
        assert likes_by_media == {mid: world.media(mid)["likes"]["count"] for mid in my_media}
        assert sorted(current_follows(db, me["id"])) == sorted(world.follows(me["id"]))

    # a day later the user has unfollowed someone and followed someone new
    world.advance(86400)
    unfollowed = world.follows(me["id"])[0]
    newly_followed = next(
        uid
        for uid in world.user_ids()
        if uid != me["id"] and uid not in world.follows(me["id"]) and not world.is_private(uid)
    )
    world.unfollow(me["id"], unfollowed)
    world.follow(me["id"], newly_followed)

    # parsed again, as Airflow does for every task it runs: dlt's helper wipes the working
    # folder of the parsed pipeline after each task, so one parse serves one run only
    assert_succeeded(parse_dag(dags_folder).test())

    with duckdb.connect(str(database), read_only=True) as db:
        # the second run saw the change: the follow list as it is now, the unfollow retired
        assert sorted(current_follows(db, me["id"])) == sorted(world.follows(me["id"]))
        retired = column(
            db,
            "SELECT valid_to FROM instagram_raw.follow_edges WHERE edge_key = ?",
            f"follows:{me['id']}:{unfollowed}",
        )
        assert len(retired) == 1 and retired[0] is not None, "the unfollow was not recorded"
        media_ids = column(db, "SELECT id FROM instagram_raw.media")
        assert len(media_ids) == len(set(media_ids))
        output = capfd.readouterr()
        logged = output.out + output.err + caplog.text
        for secret in (emulator.access_token, CLIENT_SECRET):
            assert_secret_absent(db, secret)
            assert secret not in database.read_bytes().decode("latin-1")
            assert secret not in logged

    # the transforms task published the analysts' read copy of that state (docs/analysts.md)
    with duckdb.connect(str(database.with_name("instagram_read.duckdb")), read_only=True) as copy:
        assert sorted(column(copy, "SELECT id FROM instagram_raw.media")) == sorted(media_ids)
        assert sorted(current_follows(copy, me["id"])) == sorted(world.follows(me["id"]))


def test_with_the_graph_api_chosen_the_load_reads_it(
    dags_folder: Path, airflow_settings: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """`[pipelines] api = "graph"`: the load task reads the Graph API's source into
    `instagram_graph_raw` (its token and app secret from its own connection), then the transforms
    task publishes the read copy."""
    database = tmp_path / "instagram.duckdb"
    world = World(GRAPH_WORLD)
    with Emulator(world, api="graph", enforce_signature=True, client_secret=CLIENT_SECRET) as emulator:
        (dags_folder / ".dlt" / "config.toml").write_text(
            '[runtime]\ndlthub_telemetry = false\n\n[pipelines]\napi = "graph"\n\n'
            f'[sources.instagram_graph]\nbase_url = "{emulator.base_url}"\n'
        )
        store_connection(emulator.access_token, CLIENT_SECRET, GRAPH_CONNECTION_ID, "app_secret")
        Variable.set(DUCKDB_PATH_VARIABLE, str(database))
        dag = parse_dag(dags_folder)
        assert [task.task_id for task in dag.topological_sort()] == ["load_graph", "transforms"]
        assert_succeeded(dag.test())
        model = emulator.graph.model
        account_media = {model.media_id(index) for index in model.media_of(model.owner)}
        token = emulator.access_token
    with duckdb.connect(str(database), read_only=True) as db:
        assert set(column(db, "SELECT id FROM instagram_graph_raw.media")) == account_media
        assert column(db, "SELECT id FROM instagram_graph_raw.accounts") == [model.user_id(model.owner)]
        for secret in (token, CLIENT_SECRET):
            assert_secret_absent(db, secret, "instagram_graph_raw")
    output = capfd.readouterr()
    assert token not in output.out + output.err
    with duckdb.connect(str(database.with_name("instagram_read.duckdb")), read_only=True) as copy:
        assert set(column(copy, "SELECT id FROM instagram_graph_raw.media")) == account_media


def test_a_run_without_the_connection_fails_clearly_and_touches_nothing(
    dags_folder: Path,
    emulator: Emulator,
    airflow_settings: None,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = tmp_path / "instagram.duckdb"
    write_dlt_config(dags_folder, emulator.base_url)
    Variable.set(DUCKDB_PATH_VARIABLE, str(database))
    emulator.stats.reset()

    run = parse_dag(dags_folder).test()

    assert run.state == DagRunState.FAILED
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    # every load task ran (and failed); the transforms did not run on incomplete data
    assert states.pop("transforms") == TaskInstanceState.UPSTREAM_FAILED
    assert set(states.values()) == {TaskInstanceState.FAILED}
    output = capfd.readouterr()
    # Airflow 2 logs tasks through `logging`, Airflow 3 prints them
    logged = output.out + output.err + caplog.text
    assert logged.count("Airflow connection 'instagram_api' is missing") >= len(states)
    assert emulator.stats.total == 0
    assert not database.exists()


def assert_succeeded(run) -> None:
    assert run.state == DagRunState.SUCCESS
    assert {ti.state for ti in run.get_task_instances()} == {TaskInstanceState.SUCCESS}


def column(db: duckdb.DuckDBPyConnection, sql: str, *params: str) -> list:
    return [row[0] for row in db.execute(sql, list(params)).fetchall()]


def current_follows(db: duckdb.DuckDBPyConnection, user_id: str) -> list[str]:
    """Whom the user follows now, by the latest complete read of its follow list."""
    return column(
        db,
        "SELECT followed_id FROM instagram_raw.follow_edges WHERE list_key = 'follows:' || ? AND valid_to IS NULL",
        user_id,
    )


def assert_secret_absent(db: duckdb.DuckDBPyConnection, secret: str, raw_dataset: str = "instagram_raw") -> None:
    """No text column of any table, nor the pipeline state stored in `raw_dataset`, holds the secret."""
    text_columns = db.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ).fetchall()
    for schema, table, name in text_columns:
        hits = db.execute(
            f'SELECT count(*) FROM "{schema}"."{table}" WHERE contains("{name}", ?)', [secret]
        ).fetchone()[0]
        assert hits == 0, f"a secret is in {schema}.{table}.{name}"
    for compressed in column(db, f"SELECT state FROM {raw_dataset}._dlt_pipeline_state"):
        assert secret not in json.dumps(decompress_state(compressed))


# Outside a task, Airflow 3 reads variables and connections only from secrets backends, so these
# tests set them the environment-variable way (AIRFLOW_VAR_..., AIRFLOW_CONN_...), which
# docs/airflow.md also offers.


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "is missing"),
        ("instagram.duckdb", "relative path"),
        ("/no/such/folder/instagram.duckdb", "does not exist"),
    ],
)
def test_duckdb_path_variable_must_name_an_absolute_path_in_an_existing_folder(
    value: str | None, message: str, dags_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dlt_config(dags_folder, UNUSED_BASE_URL)
    from pipelines.airflow_dag import ConfigurationError, duckdb_path

    if value is not None:
        monkeypatch.setenv("AIRFLOW_VAR_INSTAGRAM_DUCKDB_PATH", value)
    with pytest.raises(ConfigurationError, match=message):
        duckdb_path()


def test_connection_must_hold_the_token(dags_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dlt_config(dags_folder, UNUSED_BASE_URL)
    from pipelines.airflow_dag import ConfigurationError, instagram_secrets

    def set_connection(**fields: object) -> None:
        connection = json.dumps({"conn_type": "http", **fields})
        monkeypatch.setenv("AIRFLOW_CONN_INSTAGRAM_API", connection)

    with pytest.raises(ConfigurationError, match="is missing"):
        instagram_secrets()
    set_connection(password="")
    with pytest.raises(ConfigurationError, match="no password"):
        instagram_secrets()
    set_connection(password="a-token")
    assert instagram_secrets() == {"access_token": "a-token"}
    set_connection(password="a-token", extra={"client_secret": "a-secret"})
    assert instagram_secrets() == {"access_token": "a-token", "client_secret": "a-secret"}
