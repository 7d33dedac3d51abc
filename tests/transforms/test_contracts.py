"""The models' contracts: every model has one, the built tables match them, and their tests fail
on hand-broken tables with a message naming the model, the column, the test and the values."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from emulator import World, WorldConfig
from tests.transforms.conftest import ANALYTICS, Warehouse, at
from tests.transforms.test_emulator_worlds import load_world
from transforms.contracts import ContractError, check_columns, contract_path, load_contracts
from transforms.runner import LAYERS, SQL_DIR, Runner, TransformError, load_models, run_models


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """An emulator world's warehouse, transformed (every contract test passed while building)."""
    warehouse = Warehouse(tmp_path_factory.mktemp("contracts") / "instagram.duckdb")
    load_world(warehouse, World(WorldConfig(seed=3, users=80)), engagement_owners=8)
    warehouse.write_raw(
        "user_counts",
        [{"snapshot_key": "u:0", "user_id": "u", "observed_at": at(0), "followed_by_count": 5}],
    )
    results = warehouse.transform()
    assert all(run["tests"] == len(model.contract.tests()) for model, run in zip(load_models(), results.values()))
    return warehouse


@pytest.fixture
def broken(built: Warehouse, tmp_path: Path) -> Warehouse:
    """A copy of the built warehouse, to break by hand."""
    shutil.copy(built.path, tmp_path / "instagram.duckdb")
    return Warehouse(tmp_path / "instagram.duckdb", tmp_path / "pipelines")


def check(warehouse: Warehouse, model_name: str) -> int:
    """Run one model's contract checks against its table as it is now."""
    (model,) = [model for model in load_models() if model.name == model_name]
    with warehouse.pipeline().sql_client() as client:
        return Runner(client, ANALYTICS).check_contract(model)


def execute(warehouse: Warehouse, sql: str) -> None:
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute(sql)


def test_every_model_has_a_contract_and_every_contract_a_model() -> None:
    models = load_models()
    assert [model.name for model in models if model.contract is None] == []
    assert {model.name for model in models} == set(load_contracts(SQL_DIR, LAYERS))
    for model in models:
        assert model.contract.path == contract_path(SQL_DIR, model.layer, model.name)


def test_the_built_tables_pass_every_test(built: Warehouse) -> None:
    # the tests ran during the build; they pass again on the finished warehouse, and hold data
    assert check(built, "user_graph_metrics") > 10
    assert built.query(f"SELECT count(*) FROM {ANALYTICS}.follow_events")[0][0] > 0


A_FOLLOWER = f"(SELECT min(follower_id) FROM {ANALYTICS}.follow_edges)"


@pytest.mark.parametrize(
    "model, breaking_sql, message",
    [
        (
            "user_graph_metrics",
            f"INSERT INTO {ANALYTICS}.user_graph_metrics SELECT * FROM {ANALYTICS}.user_graph_metrics"
            f" WHERE user_id = {A_FOLLOWER}",
            r"contract test failed: user_graph_metrics\.user_id unique: 1 duplicate values, e\.g\. '\w+' \(x2\)",
        ),
        (
            "media_engagement",
            f"UPDATE {ANALYTICS}.media_engagement SET media_id = NULL"
            f" WHERE media_id IN (SELECT media_id FROM {ANALYTICS}.media_engagement ORDER BY 1 LIMIT 2)",
            r"contract test failed: media_engagement\.media_id not_null: 2 rows fail,"
            r" e\.g\. \(media_id=NULL, owner_id='\w+'\), \(media_id=NULL, owner_id='\w+'\)$",
        ),
        (
            "user_graph_metrics",
            f"UPDATE {ANALYTICS}.user_graph_metrics SET follow_back_ratio = 1.5 WHERE user_id = {A_FOLLOWER}",
            r"user_graph_metrics\.follow_back_ratio accepted_range\(0\.\.1\): 1 rows fail,"
            r" e\.g\. \(user_id='\w+', follow_back_ratio=1\.5\)$",
        ),
        (
            "user_graph_metrics",
            f"DELETE FROM {ANALYTICS}.int_graph_nodes WHERE user_id = {A_FOLLOWER}",
            r"user_graph_metrics\.user_id relationships\(int_graph_nodes\.user_id\): 1 rows fail,"
            r" e\.g\. \(user_id='\w+', username=",
        ),
        (
            "follow_events",
            f"UPDATE {ANALYTICS}.follow_events SET event_type = 'poke'"
            f" WHERE follower_id = {A_FOLLOWER.replace('follow_edges', 'follow_events')}",
            r"follow_events\.event_type accepted_values\(initial, follow, unfollow\): \d+ rows fail,"
            r" e\.g\. \(follower_id='\w+', followed_id='\w+', observed_at=[^,]+, event_type='poke'\)",
        ),
        (
            "follow_edges",
            f"INSERT INTO {ANALYTICS}.follow_edges SELECT * FROM {ANALYTICS}.follow_edges LIMIT 1",
            r"contract test failed: follow_edges unique\(follower_id, followed_id\): 1 duplicate combinations,"
            r" e\.g\. \('\w+', '\w+'\) \(x2\)",
        ),
    ],
    ids=["duplicate key", "null id", "rate out of range", "missing related row", "unexpected value", "duplicate pair"],
)
def test_a_hand_broken_table_fails_its_contract(broken: Warehouse, model: str, breaking_sql: str, message: str) -> None:
    check(broken, model)  # passes before the break
    execute(broken, breaking_sql)
    with pytest.raises(ContractError, match=message):
        check(broken, model)


@pytest.mark.parametrize(
    "breaking_sql, message",
    [
        (
            f"ALTER TABLE {ANALYTICS}.top_fans ADD COLUMN note VARCHAR",
            r"model top_fans does not match its contract \(.*marts/top_fans\.yml\): built but not in the contract: \['note'\]",
        ),
        (
            f"ALTER TABLE {ANALYTICS}.top_fans DROP COLUMN actor_follows_owner",
            r"in the contract but not built: \['actor_follows_owner'\]",
        ),
        (
            f"ALTER TABLE {ANALYTICS}.top_fans ALTER fan_rank TYPE INTEGER",
            r"fan_rank is bigint in the contract but integer in the model",
        ),
    ],
)
def test_columns_and_types_must_be_the_contracts(broken: Warehouse, breaking_sql: str, message: str) -> None:
    execute(broken, breaking_sql)
    with pytest.raises(ContractError, match=message):
        check(broken, "top_fans")


@pytest.mark.parametrize(
    "built_type, accepted",
    [("text", True), ("character varying", True), ("numeric", False), ("integer", False)],
)
def test_postgres_spellings_of_a_contract_type(built_type: str, accepted: bool) -> None:
    """PostgreSQL names DuckDB's VARCHAR `text`; a different kind of type still fails there."""
    contract = load_contracts(SQL_DIR, LAYERS)["stg_comments"]
    built = {column.name: column.data_type for column in contract.columns} | {"comment_id": built_type}
    with pytest.raises(ContractError, match="comment_id is varchar in the contract but"):
        check_columns(contract, built, "duckdb")
    if accepted:
        check_columns(contract, built, "postgres")
    else:
        with pytest.raises(ContractError, match=f"comment_id is varchar in the contract but {built_type}"):
            check_columns(contract, built, "postgres")


def write(sql_dir: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (sql_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / relative).write_text(text)
    return sql_dir


CONTRACT = """
models:
  - name: people
    description: One row per person.
    columns:
      - name: person_id
        description: The person.
        data_type: {type}
        data_tests: [unique, not_null]
"""


def test_a_failing_test_stops_the_run_and_keeps_the_previous_table(warehouse: Warehouse, tmp_path: Path) -> None:
    good = write(
        tmp_path / "good",
        {"marts/people.sql": "SELECT 'a' AS person_id", "marts/people.yml": CONTRACT.format(type="varchar")},
    )
    bad = write(
        tmp_path / "bad",
        {
            "marts/people.sql": "SELECT 'b' AS person_id UNION ALL SELECT 'b'",
            "marts/people.yml": CONTRACT.format(type="varchar"),
        },
    )
    warehouse.write_follow_edges([("a", "b")], at(0))
    with warehouse.pipeline().sql_client() as client:
        assert run_models(client, models=load_models(good))["people"]["tests"] == 2
        with pytest.raises(TransformError, match=r"people\.person_id unique: 1 duplicate values, e\.g\. 'b' \(x2\)"):
            run_models(client, models=load_models(bad))
    assert warehouse.rows("people") == [{"person_id": "a"}]


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"marts/people.yml": CONTRACT.format(type="varchar")},
            r"contracts for models that have no SQL file: \['people'\]",
        ),
        (
            {"staging/people.sql": "SELECT 1 AS person_id", "marts/people.yml": CONTRACT.format(type="integer")},
            r"the contract of model 'people' is in .*marts/people\.yml",
        ),
        (
            {
                "marts/people.sql": "SELECT 1",
                "marts/people.yml": CONTRACT.format(type="integer").replace("unique", "uniq"),
            },
            r"column 'person_id': unknown test 'uniq'",
        ),
        (
            {
                "marts/people.sql": "SELECT 1",
                "marts/people.yml": CONTRACT.format(type="integer").replace("unique,", "{relationships: {to: x}},"),
            },
            r"relationships needs `to: ref\('<model>'\)` and `field`",
        ),
        (
            {
                "marts/people.sql": "SELECT 1",
                "marts/people.yml": CONTRACT.format(type="integer").replace(
                    "description: The person.", "description: ''"
                ),
            },
            r"column 'person_id' needs a name, description and data_type",
        ),
        (
            {"marts/people.sql": "SELECT 1", "marts/persons.yml": CONTRACT.format(type="integer")},
            r"persons\.yml: holds the contract of one model, named 'persons' like the file",
        ),
        (
            {
                "marts/people.sql": "SELECT 1",
                "staging/people.yml": CONTRACT.format(type="integer"),
                "marts/people.yml": CONTRACT.format(type="integer"),
            },
            r"marts/people\.yml: model 'people' has a contract already, in .*staging/people\.yml",
        ),
    ],
    ids=[
        "contract without model",
        "contract in another layer",
        "unknown test",
        "incomplete test",
        "undescribed column",
        "contract named unlike its model",
        "two contracts of one model",
    ],
)
def test_malformed_contracts_are_reported(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(ContractError, match=message):
        load_models(write(tmp_path, files))
