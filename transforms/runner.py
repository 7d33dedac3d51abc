"""Run the SQL models in `transforms/sql/` through a dlt pipeline's own destination client.

A model is one `.sql` file holding one SELECT; its file name is the name of the table or view
it builds in the analytics dataset. The SQL names other relations with placeholders that the
runner substitutes:

- `{raw}.<table>` and `{graph_raw}.<table>`: a raw table loaded by the v1 source (into
  `instagram_raw`) or by the Graph API's (into `instagram_graph_raw`), read by staging models
  only. A raw table, or a column of one, that was never loaded reads as a typed empty stand-in
  (see `raw_tables.py`): a warehouse fed by one source builds every model.
- `{analytics}.<model>`: another model. These references are the dependency graph: models run
  in topological order, so no order needs declaring by hand.

Optional header comments change how a model is materialized (the default comes from its
layer: staging -> view, intermediate and marts -> table):

- `-- materialized: incremental` with `-- unique_key: <column>`: rows are appended; rows whose
  key the new result also holds are replaced first, so a rerun changes nothing. A column the
  model gains is added to the kept table (NULL in its older rows).
- `-- materialized: iterative` with `-- max_iterations: <n>`: an iterative algorithm in plain
  SQL. Sections `-- @init`, `-- @step`, `-- @converged` and `-- @final` follow the header.
  `@init` selects the first state; `@step` selects the next state from `{state}` (and may use
  `{iteration}`, counting from 1); `@converged` selects one boolean, comparing the new
  `{state}` with the `{previous}` one; `@final` selects the model's rows from the last state.
- `-- materialized: partitioned`: a table built in parts, one statement each, so that no
  statement needs more than one part's working memory. Sections `-- @partitions` and
  `-- @select` follow the header. `@partitions` selects how many parts (an integer computed
  from the data, so that the parts keep their size as the data grows); `@select` selects the
  rows of part `{partition}` (counting from 0) of `{partitions}`. The parts must be disjoint
  and together hold every row of the model.

Each model is described by its contract in `<layer>/<model>.yml` beside the SQL (dbt's schema
file format; see `contracts.py`): its description, every column's description and DuckDB type,
and tests (`unique`, `not_null`, `accepted_values`, `accepted_range`, `relationships`,
`unique_combination_of_columns`). Right after a model is built, in its transaction, its columns
and types are compared with the contract and each test runs as one query; a mismatch or a
failing test raises `ContractError` (a `TransformError`) naming the model, the column, the test
and sample offending rows, so the model keeps its previous contents and the run stops. A contract
without a model, or in another layer's file, is an error; that every model has one is a test
(tests/transforms/test_contracts.py). The same contracts generate the analytics part of
docs/tables.md and the dbt sources in dbt/models/sources.yml (scripts/gen_docs.py).

A relation left by an earlier version of a model under another materialization (a view where a
table is now built, or the reverse) is dropped first.

Each model is built in its own transaction: a model that fails leaves its previous table as it
was, and the run stops there (models built before it keep their new contents). One transaction
for the whole run would be all-or-nothing, but DuckDB plans joins over tables created earlier in
the same transaction badly (no statistics yet): the 1M-edge benchmark took 320 s instead of 35 s.

A run builds only what changed (`full_rebuild=True`, `python -m transforms --full-rebuild`:
every model). A model is built when its relation is missing or its *build key* differs from
the one recorded when it was last built; otherwise it is up to date and left as it is. The key
hashes, in dependency order:

- the model's fingerprint: its SQL, materialization and contract (columns, types, tests; not
  the descriptions) and the source of this module, `contracts.py` and `raw_tables.py` (a new
  version of the runner builds everything once);
- for a staging model, the change marker of each raw table it reads (`Runner.raw_marker`): the
  read columns it has, `count(*)` and the sum of a 64-bit hash of each row's read columns
  (`ROW_HASH`). Any change to what the models read changes it: rows inserted or deleted by a
  merge, edges the scd2 merge of `follow_edges` retires by setting `valid_to` in place, rows a
  repair removes. (The source loads Arrow tables, which carry no `_dlt_load_id` to compare; the
  hash costs about a second per 10 million rows on DuckDB, against minutes for their rebuild.)
  On a destination without a row hash here there is no marker, and every model is built;
- the keys of the models it reads, so a change reaches everything downstream of it;
- the keys of the models its `relationships` tests name (their tests run again when those change).

The keys live in `<analytics dataset>_build.build_state` (internal: one row per model, its key,
fingerprint and when it was built), a schema of its own so that the analytics dataset holds the
models alone. A model's row is written in the model's own transaction: a model that failed, or
that an interrupted run did not reach, keeps its old key, so the next run builds it and
everything downstream of it. Models have no input but the raw tables and the models they read
(and an incremental model its own earlier rows; no wall clock, nothing random: a test in
tests/transforms/test_incremental_build.py), so building only what changed gives the tables a
full rebuild gives.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import dlt
from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
from dlt.destinations.sql_client import SqlClientBase

from transforms.contracts import (
    Contract,
    ContractError,
    check_columns,
    failing_rows_query,
    failure_message,
    load_contracts,
)
from transforms.errors import TransformError, TransformInterrupted
from transforms.raw_tables import RAW_DATASETS

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).parent / "sql"
LAYERS = ("staging", "intermediate", "marts")
DEFAULT_MATERIALIZATION = {"staging": "view", "intermediate": "table", "marts": "table"}
MATERIALIZATIONS = ("view", "table", "incremental", "iterative", "partitioned")
SECTIONS = {"iterative": ("init", "step", "converged", "final"), "partitioned": ("partitions", "select")}

ANALYTICS_DATASET = "instagram_analytics"
BUILD_STATE_SUFFIX = "_build"  # the schema of the build state: <analytics dataset>_build
BUILD_STATE_TABLE = "build_state"
# The change marker of a raw table (`Runner.raw_marker`) per SQL dialect: the sum over its rows of
# a 64-bit hash of the columns the models read (a sum, not a XOR: two copies of a row do not
# cancel out). Another destination has no marker: its models are built on every run.
KEY_HASH = {
    "duckdb": "hash({columns})",
    "postgres": "hashtextextended(CAST(ROW({columns}) AS TEXT), 0)",
}
ROW_HASH = {dialect: f"sum({key_hash})" for dialect, key_hash in KEY_HASH.items()}

RAW_REFERENCE = re.compile(r"\{(" + "|".join(RAW_DATASETS) + r")\}\.(\w+)")
MODEL_REFERENCE = re.compile(r"\{analytics\}\.(\w+)")
HEADER_SETTING = re.compile(r"^--\s*(materialized|unique_key|max_iterations):\s*(\S+)\s*$")
SECTION_MARKER = re.compile(r"^--\s*@(\w+)\b.*$", re.MULTILINE)


def digest(*parts: object) -> str:
    """A stable hash of JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def source_digest(modules: Iterable[str] = ("runner.py", "contracts.py", "raw_tables.py")) -> str:
    """The hash of the code that decides what a model builds: a new version builds everything once."""
    here = Path(__file__).parent
    sources = []
    for module in modules:
        try:
            sources.append((here / module).read_text())
        except OSError:  # installed without sources: fall back to the module names
            sources.append(module)
    return digest(*sources)


BUILDER = source_digest()


class ModelRun(TypedDict, total=False):
    """What building one model did: rows in the result, wall time (tests included), how many
    contract tests ran and their time, for iterative models how many iterations ran and whether
    they converged, for partitioned ones in how many parts."""

    rows: int
    seconds: float
    tests: int
    tests_seconds: float
    iterations: int
    converged: bool
    partitions: int


@dataclass(frozen=True)
class Model:
    """One SQL file: the relation it builds, how, and which models it reads."""

    name: str
    layer: str
    path: Path
    sql: str
    materialized: str
    depends_on: frozenset[str]
    raw_tables: frozenset[tuple[str, str]]  # (placeholder, table): ("graph_raw", "media")
    contract: Contract | None = None  # every model of transforms/sql has one (tests/transforms/test_contracts.py)
    unique_key: str | None = None
    max_iterations: int = 100

    def fingerprint(self) -> str:
        """What the model builds, as a hash: its SQL and settings, its contract's columns, types
        and tests (not its descriptions), and the runner's code."""
        contract = None
        if self.contract is not None:
            contract = (
                [(column.name, column.data_type.lower(), column.tests) for column in self.contract.columns],
                self.contract.model_tests,
            )
        return digest(BUILDER, self.sql, self.materialized, self.unique_key, self.max_iterations, contract)

    def tested_against(self) -> frozenset[str]:
        """The other models its `relationships` tests read."""
        if self.contract is None:
            return frozenset()
        return frozenset(t.arguments["to"] for t in self.contract.tests() if t.kind == "relationships") - {self.name}

    def sections(self) -> dict[str, str]:
        """The `-- @name` sections of an iterative or partitioned model, by name."""
        expected = SECTIONS[self.materialized]
        parts = SECTION_MARKER.split(self.sql)
        found = {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}
        missing = [name for name in expected if name not in found]
        if missing or len(found) != len(expected):
            raise TransformError(
                f"{self.path}: an {self.materialized} model needs exactly the sections "
                f"{', '.join('@' + s for s in expected)}; missing {missing}"
            )
        return found


def parse_model(path: Path, layer: str, contract: Contract | None = None) -> Model:
    """Read one model file: its header settings and the relations it references."""
    sql = path.read_text()
    settings: dict[str, str] = {}
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        if match := HEADER_SETTING.match(line):
            settings[match[1]] = match[2]
    materialized = settings.get("materialized", DEFAULT_MATERIALIZATION[layer])
    if materialized not in MATERIALIZATIONS:
        raise TransformError(f"{path}: unknown materialization {materialized!r}")
    if materialized == "incremental" and "unique_key" not in settings:
        raise TransformError(f"{path}: an incremental model needs `-- unique_key: <column>`")
    raw_tables = frozenset(RAW_REFERENCE.findall(sql))
    named = sorted(f"{{{placeholder}}}.{table}" for placeholder, table in raw_tables)
    if raw_tables and layer != "staging":
        raise TransformError(f"{path}: only staging models read raw tables ({named})")
    unknown_raw = sorted(
        f"{{{placeholder}}}.{table}"
        for placeholder, table in raw_tables
        if table not in RAW_DATASETS[placeholder].tables
    )
    if unknown_raw:
        raise TransformError(f"{path}: raw tables {unknown_raw} are not in transforms/raw_tables.py")
    return Model(
        name=path.stem,
        layer=layer,
        path=path,
        sql=sql,
        materialized=materialized,
        depends_on=frozenset(MODEL_REFERENCE.findall(sql)),
        raw_tables=raw_tables,
        contract=contract,
        unique_key=settings.get("unique_key"),
        max_iterations=int(settings.get("max_iterations", 100)),
    )


def load_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model under `sql_dir`, with its contract if it has one, in an order where each runs after
    the models it reads."""
    contracts = load_contracts(sql_dir, LAYERS)
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            contract = contracts.get(path.stem)
            if contract is not None and contract.layer != layer:
                raise ContractError(f"{path}: the contract of model {path.stem!r} is in {contract.path}")
            model = parse_model(path, layer, contract)
            if model.name in models:
                raise TransformError(f"two models are named {model.name!r}")
            models[model.name] = model
    if orphans := sorted(contracts.keys() - models.keys()):
        raise ContractError(f"contracts for models that have no SQL file: {orphans}")
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for model in models.values():
        unknown = model.depends_on - models.keys()
        if unknown:
            raise TransformError(f"{model.path}: references unknown models {sorted(unknown)}")
        sorter.add(model.name, *sorted(model.depends_on - {model.name}))
    try:
        sorter.prepare()
    except graphlib.CycleError as cycle:
        raise TransformError(f"models reference each other in a cycle: {cycle.args[1]}") from None
    # among the models that are ready, run staging first, then by name: a readable, stable order
    order: list[Model] = []
    while sorter.is_active():
        ready = sorted((models[name] for name in sorter.get_ready()), key=lambda m: (LAYERS.index(m.layer), m.name))
        order.extend(ready)
        sorter.done(*(model.name for model in ready))
    return order


class Runner:
    """Builds models through an open dlt SQL client, naming relations for its dialect."""

    def __init__(
        self, client: SqlClientBase[Any], analytics_dataset: str, raw_datasets: Mapping[str, str] | None = None
    ) -> None:
        """`raw_datasets`: placeholder -> the dataset it names (default: `RAW_DATASETS`')."""
        self.client = client
        self.analytics_dataset = analytics_dataset
        self.raw_datasets = {placeholder: raw.dataset for placeholder, raw in RAW_DATASETS.items()}
        self.raw_datasets.update(raw_datasets or {})
        self.raw_columns = {placeholder: self._existing_raw_columns(placeholder) for placeholder in RAW_DATASETS}
        self.relations: dict[str, bool] = {}  # the analytics dataset's, see `read_relations`

    def quote(self, identifier: str) -> str:
        caps = self.client.capabilities
        return caps.escape_identifier(caps.casefold_identifier(identifier))

    def analytics(self, name: str) -> str:
        return f"{self.quote(self.analytics_dataset)}.{self.quote(name)}"

    def scalar(self, sql: str) -> Any:
        rows = self.client.execute_sql(sql)
        return rows[0][0]

    def analytics_columns(self, name: str) -> dict[str, str]:
        """The columns of an existing relation in the analytics dataset with their types, in order."""
        if isinstance(self.client, DuckDbSqlClient):
            # DuckDB's information_schema views scan every schema's catalog: about 9 ms a call
            # against 0.3 ms for its table function, and a build lists every model's columns
            rows = self.client.execute_sql(
                "SELECT name, type FROM pragma_table_info(%s) ORDER BY cid", self.analytics(name)
            )
        else:
            casefold = self.client.capabilities.casefold_identifier
            rows = self.client.execute_sql(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                casefold(self.analytics_dataset),
                casefold(name),
            )
        return {column: sql_type for column, sql_type in rows or []}

    def read_relations(self) -> None:
        """Read which tables and views the analytics dataset holds (`relations`); again after
        every drop that may cascade to other views."""
        rows = self.client.execute_sql(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %s",
            self.client.capabilities.casefold_identifier(self.analytics_dataset),
        )
        self.relations = {name: kind == "VIEW" for name, kind in rows or []}

    def exists(self, name: str) -> bool:
        return self.client.capabilities.casefold_identifier(name) in self.relations

    def drop_other_kind(self, model: Model) -> None:
        """Drop what an earlier version of the model left under its name if it is a view where
        a table is built now, or a table where a view is."""
        is_view = self.relations.get(self.client.capabilities.casefold_identifier(model.name))
        if is_view is not None and is_view != (model.materialized == "view"):
            kind = "VIEW" if is_view else "TABLE"
            log.info(
                "dropping %s %s: the model now builds a %s",
                kind.lower(),
                model.name,
                "view" if model.materialized == "view" else "table",
            )
            self.client.execute_sql(f"DROP {kind} {self.analytics(model.name)} CASCADE")
            self.read_relations()

    def _existing_raw_columns(self, placeholder: str) -> dict[str, set[str]]:
        rows = self.client.execute_sql(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
            self.client.capabilities.casefold_identifier(self.raw_datasets[placeholder]),
        )
        columns: dict[str, set[str]] = {}
        for table, column in rows or []:
            columns.setdefault(table, set()).add(column)
        return columns

    def raw_qualified(self, placeholder: str, table: str) -> str:
        return f"{self.quote(self.raw_datasets[placeholder])}.{self.quote(table)}"

    def raw_marker(self, placeholder: str, table: str) -> str | None:
        """What changes whenever the content of the raw table the models read changes: the read
        columns it has, its rows and the sum of a hash of each row's read columns (see the
        module docstring). `absent` for a table never loaded; None (unknown: the models reading
        it are always built) on a destination without a row hash here (`ROW_HASH`)."""
        existing = self.raw_columns[placeholder].get(table)
        if existing is None:
            return "absent"
        row_hash = ROW_HASH.get(self.client.capabilities.sqlglot_dialect)
        if row_hash is None:
            return None
        read = RAW_DATASETS[placeholder].tables[table]
        columns = [column for column in read if column in existing]
        if columns:
            hashed = row_hash.format(columns=", ".join(map(self.quote, columns)))
        else:
            hashed = "0"
        [row] = self.client.execute_sql(f"SELECT count(*), {hashed} FROM {self.raw_qualified(placeholder, table)}")
        dataset = self.raw_datasets[placeholder]
        return digest(dataset, table, read, columns, [str(value) for value in row])

    def build_keys(self, models: list[Model]) -> dict[str, str | None]:
        """Each model's build key (see the module docstring), from the raw tables as they are now;
        None when some input has no change marker. `models` in dependency order."""
        read = sorted({raw for model in models for raw in model.raw_tables})
        markers = {(placeholder, table): self.raw_marker(placeholder, table) for placeholder, table in read}
        content: dict[str, str | None] = {}  # what the model holds follows from this
        for model in models:
            inputs = [
                (f"{placeholder}.{table}", markers[placeholder, table])
                for placeholder, table in sorted(model.raw_tables)
            ]
            inputs += [(name, content.get(name)) for name in sorted(model.depends_on - {model.name})]
            known = all(marker is not None for _, marker in inputs)
            content[model.name] = digest(model.fingerprint(), inputs) if known else None
        keys: dict[str, str | None] = {}
        for model in models:
            tested = [(name, content.get(name)) for name in sorted(model.tested_against())]
            known = content[model.name] is not None and all(marker is not None for _, marker in tested)
            keys[model.name] = digest(content[model.name], tested) if known else None
        return keys

    def raw_relation(self, placeholder: str, table: str) -> str:
        """The raw table, or a typed stand-in when the table or some of its columns are missing."""
        contract = RAW_DATASETS[placeholder].tables[table]
        existing = self.raw_columns[placeholder].get(table)
        qualified = self.raw_qualified(placeholder, table)
        dataset = self.raw_datasets[placeholder]
        if existing is not None and contract.keys() <= existing:
            return qualified
        selected = ", ".join(
            f"CAST({self.quote(column) if existing and column in existing else 'NULL'}"
            f" AS {sql_type}) AS {self.quote(column)}"
            for column, sql_type in contract.items()
        )
        if existing is None:  # a source not run, or a table not loaded yet: no cause for a warning
            log.info("raw table %s.%s does not exist yet: reading it as empty", dataset, table)
            return f"(SELECT {selected} WHERE 1 = 0)"
        log.info(
            "raw table %s.%s lacks columns %s: reading them as NULL",
            dataset,
            table,
            sorted(contract.keys() - existing),
        )
        return f"(SELECT {selected} FROM {qualified})"

    def render(self, sql: str, **working_tables: str) -> str:
        """Substitute `{raw}.x`, `{graph_raw}.x`, `{analytics}.x` and a model's working-table placeholders."""
        sql = RAW_REFERENCE.sub(lambda m: self.raw_relation(m[1], m[2]), sql)
        sql = MODEL_REFERENCE.sub(lambda m: self.analytics(m[1]), sql)
        for placeholder, value in working_tables.items():
            sql = sql.replace("{" + placeholder + "}", value)
        return sql

    def replace_table(self, name: str, select_sql: str) -> None:
        self.client.execute_sql(f"DROP TABLE IF EXISTS {self.analytics(name)}")
        self.client.execute_sql(f"CREATE TABLE {self.analytics(name)} AS {select_sql}")

    def build(self, model: Model) -> ModelRun:
        """Build one model and count its rows."""
        started = time.perf_counter()
        target = self.analytics(model.name)
        result: ModelRun = {}
        self.drop_other_kind(model)
        if model.materialized == "view":
            # CASCADE: PostgreSQL refuses to drop a view that other staging views read; those
            # come later in the order, and `run_models` builds them again as missing
            self.client.execute_sql(f"DROP VIEW IF EXISTS {target} CASCADE")
            self.client.execute_sql(f"CREATE VIEW {target} AS {self.render(model.sql)}")
            self.read_relations()  # the views it dropped with it are to build
        elif model.materialized == "table":
            self.replace_table(model.name, self.render(model.sql))
        elif model.materialized == "incremental":
            self.build_incremental(model)
        elif model.materialized == "partitioned":
            result.update(self.build_partitioned(model))
        else:
            result.update(self.build_iterative(model))
        result["rows"] = self.scalar(f"SELECT count(*) FROM {target}")
        tests_started = time.perf_counter()
        result["tests"] = self.check_contract(model)
        result["tests_seconds"] = round(time.perf_counter() - tests_started, 3)
        result["seconds"] = round(time.perf_counter() - started, 3)
        return result

    def check_contract(self, model: Model) -> int:
        """Check the built model's columns and types against its contract, then run its tests,
        one query each; raise `ContractError` on the first that fails. Returns the tests run."""
        if model.contract is None:
            return 0
        check_columns(model.contract, self.analytics_columns(model.name), self.client.capabilities.sqlglot_dialect)
        tests = model.contract.tests()
        for test in tests:
            sql, shown = failing_rows_query(
                model.contract,
                test,
                self.analytics(model.name),
                self.quote,
                self.analytics,
                KEY_HASH.get(self.client.capabilities.sqlglot_dialect),
            )
            if rows := self.client.execute_sql(sql):
                raise ContractError(failure_message(model.contract, test, shown, rows))
        return len(tests)

    def build_incremental(self, model: Model) -> None:
        new_rows = self.analytics(f"{model.name}__new")
        target = self.analytics(model.name)
        assert model.unique_key, "parse_model requires a unique_key for incremental models"
        key = self.quote(model.unique_key)
        self.replace_table(f"{model.name}__new", self.render(model.sql))
        kept_columns = self.analytics_columns(model.name) if self.exists(model.name) else {}
        new_columns = self.analytics_columns(f"{model.name}__new")
        if not kept_columns:
            self.client.execute_sql(f"CREATE TABLE {target} AS SELECT * FROM {new_rows} WHERE 1 = 0")
        else:  # columns the model gained since the kept rows were written
            for column, sql_type in new_columns.items():
                if column not in kept_columns:
                    self.client.execute_sql(f"ALTER TABLE {target} ADD COLUMN {self.quote(column)} {sql_type}")
        self.client.execute_sql(f"DELETE FROM {target} WHERE {key} IN (SELECT {key} FROM {new_rows})")
        column_list = ", ".join(self.quote(column) for column in new_columns)
        self.client.execute_sql(f"INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {new_rows}")
        self.client.execute_sql(f"DROP TABLE {new_rows}")

    def build_iterative(self, model: Model) -> ModelRun:
        sections = model.sections()
        state_name, next_name = f"{model.name}__state", f"{model.name}__next"
        state, next_state = self.analytics(state_name), self.analytics(next_name)
        self.replace_table(state_name, self.render(sections["init"]))
        converged, iteration = False, 0
        while not converged and iteration < model.max_iterations:
            iteration += 1
            step = self.render(sections["step"], state=state, iteration=str(iteration))
            self.replace_table(next_name, step)
            check = self.render(sections["converged"], state=next_state, previous=state)
            converged = bool(self.scalar(check))
            self.client.execute_sql(f"DROP TABLE {state}")
            self.client.execute_sql(f"ALTER TABLE {next_state} RENAME TO {self.quote(state_name)}")
        if not converged:
            log.warning("%s stopped after %d iterations without converging", model.name, iteration)
        self.replace_table(model.name, self.render(sections["final"], state=state))
        self.client.execute_sql(f"DROP TABLE {state}")
        return {"iterations": iteration, "converged": converged}

    def build_partitioned(self, model: Model) -> ModelRun:
        sections = model.sections()
        partitions = max(1, int(self.scalar(self.render(sections["partitions"]))))
        for partition in range(partitions):
            select = self.render(sections["select"], partition=str(partition), partitions=str(partitions))
            if partition == 0:
                self.replace_table(model.name, select)
            else:
                self.client.execute_sql(f"INSERT INTO {self.analytics(model.name)} {select}")
        return {"partitions": partitions}


class BuildState:
    """`<analytics dataset>_build.build_state`: per model the key it was last built with (see the
    module docstring). Internal to the runner; not an analytics table."""

    def __init__(self, runner: Runner) -> None:
        self.client = runner.client
        schema = runner.quote(runner.analytics_dataset + BUILD_STATE_SUFFIX)
        self.table = f"{schema}.{runner.quote(BUILD_STATE_TABLE)}"
        self.client.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self.client.execute_sql(
            f"CREATE TABLE IF NOT EXISTS {self.table} (model TEXT NOT NULL, build_key TEXT,"
            " fingerprint TEXT NOT NULL, built_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )

    def read(self) -> dict[str, tuple[str | None, str]]:
        """model -> (build key, fingerprint) of its last build."""
        rows = self.client.execute_sql(f"SELECT model, build_key, fingerprint FROM {self.table}")
        return {model: (key, fingerprint) for model, key, fingerprint in rows or []}

    def record(self, model: Model, key: str | None) -> None:
        """Record a build; call it in the model's transaction."""
        self.client.execute_sql(f"DELETE FROM {self.table} WHERE model = %s", model.name)
        self.client.execute_sql(
            f"INSERT INTO {self.table} (model, build_key, fingerprint, built_at) VALUES (%s, %s, %s, %s)",
            model.name,
            key,
            model.fingerprint(),
            datetime.now(UTC),
        )


class BuildResults(dict[str, ModelRun]):
    """The models built in one run (name -> `ModelRun`, in build order); `up_to_date` names the
    models left as they were, their inputs unchanged since their last build."""

    def __init__(self) -> None:
        super().__init__()
        self.up_to_date: list[str] = []


def why_build(
    model: Model, key: str | None, built: tuple[str | None, str] | None, exists: bool, full_rebuild: bool
) -> str | None:
    """Why the model must be built now, or None when it is up to date."""
    if full_rebuild:
        return "full rebuild"
    if built is None:
        return "never built"
    if not exists:
        return "its relation is missing"
    if key is None:
        return "a raw table it reads has no change marker"
    if built[1] != model.fingerprint():
        return "its SQL or contract changed"
    if built[0] != key:
        return "its inputs changed"
    return None


def run_models(
    client: SqlClientBase[Any],
    analytics_dataset: str = ANALYTICS_DATASET,
    models: list[Model] | None = None,
    stop_requested: Callable[[], bool] | None = None,
    full_rebuild: bool = False,
    raw_datasets: Mapping[str, str] | None = None,
) -> BuildResults:
    """Build, in dependency order, each in its own transaction, on an open client, the models
    whose inputs changed since their last build (every model with `full_rebuild`); returns
    those built. When `stop_requested()` turns true, stops before the next model to build
    (`TransformInterrupted`). `raw_datasets` names other raw datasets than `RAW_DATASETS`'."""
    models = load_models() if models is None else models
    runner = Runner(client, analytics_dataset, raw_datasets)
    client.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {runner.quote(analytics_dataset)}")
    state = BuildState(runner)
    built_before = state.read()
    keys = runner.build_keys(models)
    runner.read_relations()
    results = BuildResults()
    for model in models:
        reason = why_build(
            model, keys[model.name], built_before.get(model.name), runner.exists(model.name), full_rebuild
        )
        if reason is None:
            results.up_to_date.append(model.name)
            continue
        if stop_requested is not None and stop_requested():
            raise TransformInterrupted(f"stopped before model {model.name}; {len(results)} models were built")
        try:
            with client.begin_transaction():
                run = runner.build(model)
                state.record(model, keys[model.name])
        except ContractError:  # names the model already; its previous table is kept
            raise
        except Exception as error:
            raise TransformError(f"model {model.name} ({model.path}) failed: {error}") from error
        results[model.name] = run
        log.info("built %s.%s (%s): %s", analytics_dataset, model.name, reason, run)
    log.info("%s: %d models built, %d up to date", analytics_dataset, len(results), len(results.up_to_date))
    return results


def run_transforms(
    pipeline: dlt.Pipeline,
    analytics_dataset: str = ANALYTICS_DATASET,
    stop_requested: Callable[[], bool] | None = None,
    full_rebuild: bool = False,
) -> BuildResults:
    """Bring every analytics table up to date with the raw datasets of the pipeline's warehouse:
    build the models downstream of what changed since their last build (every model with
    `full_rebuild`).

    Reads both sources' raw datasets (`RAW_DATASETS`: whichever source the pipeline runs, the
    marts hold what both loaded) and writes `analytics_dataset` through `pipeline.sql_client()`. Idempotent: a rerun over the same raw data builds nothing.
    Returns, per model built, its row count and build time (and iterations for iterative
    models); `.up_to_date` names the others.
    """
    with pipeline.sql_client() as client:
        if isinstance(client, DuckDbSqlClient):
            # no model relies on insertion order, and keeping it costs memory in every large
            # CREATE TABLE AS (the memory limit is the destination's, see pipelines/warehouse.py)
            client.execute_sql("SET preserve_insertion_order = false")
        return run_models(client, analytics_dataset, stop_requested=stop_requested, full_rebuild=full_rebuild)
