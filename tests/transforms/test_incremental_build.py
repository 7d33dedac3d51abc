"""Incremental builds: a build rebuilds only the models downstream of what changed since their
last build, and the tables it leaves equal those of a full rebuild.

Real DuckDB files loaded by the real source (through a dlt pipeline) from the emulator; the
world's clock moves, never the wall clock's. What each change must rebuild is computed here from
the SQL and the contracts' text, not from the runner's own parsing.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
import yaml

from emulator import Emulator, World, WorldConfig
from pipelines.demo import source_config_for
from pipelines.warehouse import duckdb_destination
from sources.instagram import instagram
from tests.shared import built_once, read_only
from transforms.contracts import ContractError
from transforms.errors import TransformError, TransformInterrupted
from transforms.raw_tables import RAW_TABLES
from transforms.runner import SQL_DIR, BuildResults, BuildState, Runner, load_models, run_models, run_transforms

RAW, ANALYTICS, FULL = "instagram_raw", "instagram_analytics", "full_rebuild"
WORLD = WorldConfig(seed=7, users=150, media_per_user=6.0, follows_per_user=8.0, tags=60, locations=40)
MODELS = [model.name for model in load_models()]
INCREMENTAL = {"graph_summary"}  # keeps a row per observation: its history is not rebuilt from scratch
ROOT = Path(__file__).resolve().parents[2]


# --- what a change must rebuild, read from the SQL and the contracts' YAML -------------------


def references(sql_dir: Path = SQL_DIR) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """Per model: the raw tables and the models its SQL names, and the models its contract's
    `relationships` tests name."""
    raw: dict[str, set[str]] = {}
    models: dict[str, set[str]] = {}
    for path in sql_dir.glob("*/*.sql"):
        sql = path.read_text()
        raw[path.stem] = set(re.findall(r"\{raw\}\.(\w+)", sql))
        models[path.stem] = set(re.findall(r"\{analytics\}\.(\w+)", sql)) - {path.stem}
    tested: dict[str, set[str]] = {name: set() for name in models}
    for path in sql_dir.glob("*/*.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            for column in model.get("columns", []):
                for test in column.get("data_tests") or []:
                    if isinstance(test, dict) and "relationships" in test:
                        target = re.sub(r"""^ref\(['"](\w+)['"]\)$""", r"\1", test["relationships"]["to"])
                        tested[model["name"]].add(target)
    return raw, models, tested


def downstream(changed_models: Iterable[str], changed_raw: Iterable[str] = (), sql_dir: Path = SQL_DIR) -> set[str]:
    """The models a change must rebuild: those that read a changed raw table or model, directly or
    through other models, and those whose relationships tests read one of them."""
    raw, models, tested = references(sql_dir)
    changed_raw = set(changed_raw)
    dirty = set(changed_models) | {name for name, tables in raw.items() if tables & changed_raw}
    while True:
        more = {name for name, read in models.items() if read & dirty} - dirty
        if not more:
            break
        dirty |= more
    return dirty | {name for name, targets in tested.items() if targets & dirty}


# --- a warehouse loaded by the source -------------------------------------------------------


class Loaded:
    """One DuckDB file the source loads from an emulator world, with its own dlt working dir."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.path = root / "instagram.duckdb"

    def copy(self, root: Path) -> Loaded:
        copied = Loaded(root)
        shutil.copy(self.path, copied.path)
        return copied

    def pipeline(self) -> dlt.Pipeline:
        return dlt.pipeline(
            "instagram",
            destination=duckdb_destination(self.path),
            dataset_name=RAW,
            pipelines_dir=str(self.root / "pipelines"),
        )

    def load(self, world: World, emulator: Emulator) -> None:
        self.pipeline().run(
            instagram(base_url=emulator.base_url, access_token=emulator.access_token, **source_config_for(world))
        )

    def build(self, **options: Any) -> BuildResults:
        return run_transforms(self.pipeline(), **options)

    def build_models(self, sql_dir: Path, **options: Any) -> BuildResults:
        with self.pipeline().sql_client() as client:
            return run_models(client, models=load_models(sql_dir), **options)

    def execute(self, sql: str) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(sql)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def tables(self, dataset: str, names: Iterable[str] = MODELS) -> dict[str, list[tuple]]:
        """Every model's rows in `dataset`, in a stable order (one connection: opening the file
        costs more than reading a model)."""
        with read_only(self.path) as con:
            return {name: sorted(con.execute(f"SELECT * FROM {dataset}.{name}").fetchall(), key=repr) for name in names}

    def raw_contents(self) -> dict[str, list[tuple]]:
        """What the staging models read of each raw table (None for a missing one)."""
        with read_only(self.path) as con:
            present = set(
                con.execute(
                    f"SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = '{RAW}'"
                ).fetchall()
            )
            contents: dict[str, Any] = {}
            for table, columns in RAW_TABLES.items():
                read = [column for column in columns if (table, column) in present]
                query = f"SELECT {', '.join(read)} FROM {RAW}.{table}"
                contents[table] = sorted(con.execute(query).fetchall(), key=repr) if read else None
            return contents


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """A world loaded twice, a day apart (history in follow_edges, counter snapshots), and built
    (one per test run, whichever worker asks first: tests change a `copy`)."""

    def load_and_build(root: Path) -> None:
        warehouse = Loaded(root)
        world = World(WORLD)
        with Emulator(world, follows_any_user=True) as emulator:
            warehouse.load(world, emulator)
            world.advance(86400, unfollows=10)
            warehouse.load(world, emulator)
        assert set(warehouse.build()) == set(MODELS)

    return Loaded(built_once(tmp_path_factory, "incremental_build_loaded", load_and_build))


@pytest.fixture
def copy(loaded: Loaded, tmp_path: Path) -> Loaded:
    """A copy of the loaded and built warehouse, for a test to change."""
    return loaded.copy(tmp_path / "copy")


# --- the tests --------------------------------------------------------------------------------


def test_a_second_build_with_nothing_loaded_builds_nothing(copy: Loaded) -> None:
    before = copy.tables(ANALYTICS)
    second = copy.build()
    assert second == {}
    assert sorted(second.up_to_date) == sorted(MODELS)
    assert copy.tables(ANALYTICS) == before
    # a full rebuild builds everything, and changes nothing
    assert set(copy.build(full_rebuild=True)) == set(MODELS)
    assert copy.tables(ANALYTICS) == before


def test_the_command_line_says_what_it_built(copy: Loaded) -> None:
    def transforms(*options: str) -> str:
        command = [sys.executable, "-m", "transforms", "--duckdb", str(copy.path), "--no-publish", *options]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert completed.returncode == 0, completed.stderr[-3000:]
        return completed.stdout

    assert f"0 models built, {len(MODELS)} up to date" in transforms()
    rebuilt = transforms("--full-rebuild")
    assert f"{len(MODELS)} models built, 0 up to date" in rebuilt
    assert "instagram_analytics.user_graph_metrics" in rebuilt


def test_a_signal_on_the_command_line_stops_before_the_next_model(copy: Loaded) -> None:
    """The first SIGINT lets the model being built finish and stops (exit 130); the models built
    are kept, and the next build builds the others only."""
    copy.execute(CHANGES["follow_edges"])  # an unfollow: most models must be built
    dirty = downstream((), ["follow_edges"])
    command = [sys.executable, "-m", "transforms", "--duckdb", str(copy.path), "--no-publish"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT) as process:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if line.startswith("INFO transforms.runner: built "):
                process.send_signal(signal.SIGINT)
                break
        output = "".join(lines) + process.stderr.read()
    assert process.returncode == 130, output[-3000:]
    assert "SIGINT received: stopping before the next model" in output
    built_first = set(re.findall(rf"built {ANALYTICS}\.(\w+) ", output))
    assert built_first and built_first < dirty, output[-3000:]
    assert set(copy.build()) == dirty - built_first


def first_row(table: str, where: str = "TRUE") -> str:
    return f"rowid = (SELECT min(rowid) FROM {RAW}.{table} WHERE {where})"


SEED_CRAWL = "kind = 'crawl' AND depth = 0"
# Per raw table, a change that inserts no row and keeps the data consistent: a row deleted (a
# merge, a repair) or a value changed in place (an edge retired, as dlt's scd2 merge does)
CHANGES = {
    "users": f"UPDATE {RAW}.users SET full_name = coalesce(full_name, '') || ' (changed)' WHERE {first_row('users')}",
    "user_counts": f"DELETE FROM {RAW}.user_counts WHERE {first_row('user_counts')}",
    "media": f"UPDATE {RAW}.media SET caption_text = coalesce(caption_text, '') || '!' WHERE {first_row('media')}",
    "media_counts": f"UPDATE {RAW}.media_counts SET likes_count = likes_count + 1 WHERE {first_row('media_counts')}",
    "media_tags": f"DELETE FROM {RAW}.media_tags WHERE {first_row('media_tags')}",
    "comments": f"UPDATE {RAW}.comments SET text = coalesce(text, '') || '!' WHERE {first_row('comments')}",
    "likes": f"DELETE FROM {RAW}.likes WHERE {first_row('likes')}",
    "follow_edges": f"UPDATE {RAW}.follow_edges SET valid_to = valid_from + INTERVAL 1 HOUR"
    f" WHERE {first_row('follow_edges', 'valid_to IS NULL')}",
    "follow_list_reads": f"DELETE FROM {RAW}.follow_list_reads WHERE {first_row('follow_list_reads')}",
    "locations": f"UPDATE {RAW}.locations SET name = coalesce(name, '') || '!' WHERE {first_row('locations')}",
    "refresh_schedule": f"UPDATE {RAW}.refresh_schedule SET active = NOT active"
    f" WHERE {first_row('refresh_schedule', SEED_CRAWL)}",
}


def test_every_raw_table_has_a_change() -> None:
    assert CHANGES.keys() == RAW_TABLES.keys()


@pytest.mark.parametrize("table", CHANGES)
def test_a_change_to_one_raw_table_rebuilds_only_what_reads_it(copy: Loaded, table: str) -> None:
    assert copy.query(f"SELECT count(*) FROM {RAW}.{table}")[0][0] > 0, "the world loaded nothing to change"
    before = copy.raw_contents()
    copy.execute(CHANGES[table])
    assert [name for name, rows in copy.raw_contents().items() if rows != before[name]] == [table]
    built = copy.build()
    assert set(built) == downstream((), [table])
    assert set(built) | set(built.up_to_date) == set(MODELS)


def rebuilt_from_scratch(warehouse: Loaded, names: Iterable[str] = MODELS) -> dict[str, list[tuple]]:
    """Every model fully rebuilt into a dataset of its own (first emptied)."""
    warehouse.execute(f"DROP SCHEMA IF EXISTS {FULL} CASCADE")
    assert set(warehouse.build(analytics_dataset=FULL)) == set(MODELS)
    return warehouse.tables(FULL, names)


def test_a_missing_relation_is_built_alone(copy: Loaded) -> None:
    copy.execute(f"DROP TABLE {ANALYTICS}.top_fans")
    copy.execute(f"DROP VIEW {ANALYTICS}.stg_users")
    assert set(copy.build()) == {"top_fans", "stg_users"}


def test_a_model_whose_sql_or_contract_changes_is_rebuilt_with_its_downstream(copy: Loaded, tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    assert copy.build_models(sql_dir) == {}  # the same SQL elsewhere: nothing to build

    # a description is documentation: nothing to build
    follow_edges = sql_dir / "marts" / "follow_edges.yml"
    follow_edges.write_text(follow_edges.read_text().replace("description:", "description: Changed.", 1))
    assert copy.build_models(sql_dir) == {}

    nodes = sql_dir / "intermediate" / "int_graph_nodes.sql"
    nodes.write_text(nodes.read_text() + "\n-- a new version\n")
    built = copy.build_models(sql_dir)
    assert set(built) == downstream(["int_graph_nodes"], sql_dir=sql_dir)
    assert "int_graph_nodes" in built and "user_graph_metrics" in built and "stg_users" not in built
    assert copy.build_models(sql_dir) == {}

    # a new test in a contract: that model is checked again (and what reads it built)
    top_fans = sql_dir / "marts" / "top_fans.yml"
    contract = yaml.safe_load(top_fans.read_text())
    [fan_rank] = [column for column in contract["models"][0]["columns"] if column["name"] == "fan_rank"]
    fan_rank["data_tests"].append({"accepted_range": {"min_value": 0}})
    top_fans.write_text(yaml.safe_dump(contract, sort_keys=False))
    assert set(copy.build_models(sql_dir)) == downstream(["top_fans"], sql_dir=sql_dir)


@pytest.mark.parametrize("how", ["failure", "failure after its state was written", "interruption"])
def test_a_build_stopped_part_way_builds_the_rest_next_time(
    copy: Loaded, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy.execute(CHANGES["follow_edges"])  # an unfollow: most models must be built
    dirty = downstream((), ["follow_edges"])
    failing = "int_graph_edges"
    order = [name for name in MODELS if name in dirty]
    assert order.index(failing) > 2
    built_before_stop: list[str] = []

    check_contract = Runner.check_contract
    record = BuildState.record

    def checked(runner: Runner, model: Any) -> int:
        if how == "failure" and model.name == failing:
            raise ContractError(f"{model.name}: a test failed")
        return check_contract(runner, model)

    def recorded(state: BuildState, model: Any, key: str | None) -> None:
        record(state, model, key)
        if how != "interruption" and model.name == failing:
            raise RuntimeError("the disk is full")  # the transaction rolls back the state too
        built_before_stop.append(model.name)

    monkeypatch.setattr(Runner, "check_contract", checked)
    monkeypatch.setattr(BuildState, "record", recorded)
    stop: Callable[[], bool] | None = None
    if how == "interruption":
        stop = lambda: len(built_before_stop) >= order.index(failing)  # noqa: E731
    with pytest.raises(TransformInterrupted if how == "interruption" else TransformError, match=failing):
        copy.build(stop_requested=stop)
    assert built_before_stop == order[: order.index(failing)]
    monkeypatch.undo()

    built = copy.build()
    assert list(built) == order[order.index(failing) :]
    assert copy.build() == {}
    assert copy.tables(ANALYTICS) == rebuilt_from_scratch(copy)


def test_incremental_builds_equal_full_rebuilds_after_a_sequence_of_loads(loaded: Loaded, tmp_path: Path) -> None:
    """Loads with new media, likes, comments, follows and unfollows (edges retired in place), and
    one with nothing new: after each, the incremental build rebuilds exactly what reads the raw
    tables that changed, and its tables equal those of a full rebuild run after the same loads.
    The sequence goes on from the shared warehouse (two loads, then a build from nothing): its
    first load and build from nothing are the ones this test would otherwise make again."""
    warehouse = loaded.copy(tmp_path / "warehouse")
    world = World(WORLD)
    world.advance(86400, unfollows=10)  # the world as `loaded` left it
    me = world.default_user_id
    steps: list[Callable[[], Any]] = [
        lambda: None,  # nothing changed in the world: only what reads the schedule is built
        lambda: world.advance(7 * 3600, new_media=4, new_follows=10, unfollows=10, new_likes=40, new_comments=10),
        lambda: ([world.unfollow(me, followed) for followed in world.follows(me)[:2]], world.advance(2 * 86400)),
    ]

    def retired() -> int:  # edges whose valid_to the scd2 merge set in place
        return warehouse.query(f"SELECT count(valid_to) FROM {RAW}.follow_edges")[0][0]

    retired_by_loads = 0
    with Emulator(world, follows_any_user=True) as emulator:
        for number, change in enumerate(steps):
            change()
            before = warehouse.raw_contents()
            retired_before = retired()
            warehouse.load(world, emulator)
            retired_by_loads += retired() - retired_before

            built = warehouse.build()
            assert set(warehouse.build(analytics_dataset=FULL, full_rebuild=True)) == set(MODELS)
            after = warehouse.raw_contents()
            changed = {table for table in RAW_TABLES if before[table] != after[table]}
            assert set(built) == downstream((), changed), (number, sorted(changed))
            if number == 0:  # nothing new in the world: only the schedule's bookkeeping changed
                assert changed <= {"refresh_schedule"}, sorted(changed)
            assert warehouse.tables(ANALYTICS) == warehouse.tables(FULL), number
    assert retired_by_loads > 0, "no load retired an edge in place"
    assert len(warehouse.query(f"SELECT * FROM {ANALYTICS}.graph_summary")) > 1
    # and a build from nothing holds the same tables (but the history of observations)
    fresh = rebuilt_from_scratch(warehouse, [name for name in MODELS if name not in INCREMENTAL])
    assert warehouse.tables(ANALYTICS, fresh) == fresh


WALL_CLOCK = re.compile(
    r"\b(now|current_(timestamp|date|time)|localtime(stamp)?|today|get_current_time(stamp)?|transaction_timestamp"
    r"|statement_timestamp|clock_timestamp|timeofday|random|setseed|gen_random_uuid|uuid)\b",
    re.IGNORECASE,
)


def test_models_depend_on_their_inputs_alone() -> None:
    """Building only what changed is sound only if a model's rows follow from its inputs: no
    wall clock and no randomness in any model."""
    found = {
        path.name: WALL_CLOCK.findall(re.sub(r"--[^\n]*", "", path.read_text())) for path in SQL_DIR.glob("*/*.sql")
    }
    assert {name: uses for name, uses in found.items() if uses} == {}
    assert len(found) == len(MODELS)
