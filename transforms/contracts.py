"""Model contracts: what each analytics model promises, read from one dbt-style YAML file per layer
(`transforms/sql/<layer>/_<layer>.yml`) and checked after the model is built.

A contract file holds dbt's `models:` list. Each model has a `description` and `columns`, each
column a `name`, a `description`, a `data_type` (the type the model produces, as DuckDB's
`information_schema` names it, case-insensitive) and optional `data_tests`. A model may have
model-level `data_tests` too. The tests are dbt's and dbt_utils' generic tests:

- `not_null`, `unique`
- `accepted_values: {values: [...]}`
- `accepted_range: {min_value: x, max_value: y}` (either bound may be left out; bounds included;
  NULL passes)
- `relationships: {to: <model>, field: <column>}`: every non-NULL value is in that column of
  that model, which must be one the model reads (directly or not), so that it is built first
- model-level `unique_combination_of_columns: {combination_of_columns: [...]}`: the model's key

Any test takes `config: {where: <SQL condition>}`, as in dbt, to test only the rows it selects.

After a model is built, in its own transaction (see `transforms/runner.py`), its columns and
types must be the contract's exactly, and each test runs as one query that returns how many
rows or values fail and a few of them. Any failure raises `ContractError` naming the model, the
column, the test and sample rows; the transaction is rolled back, so the model keeps its
previous contents, and the run stops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from transforms.errors import TransformError

if TYPE_CHECKING:
    from transforms.runner import Runner

# how many offending rows or values a failure message shows
SAMPLE_ROWS = 3
# the arguments each test takes: required, optional
TEST_ARGUMENTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "not_null": (frozenset(), frozenset()),
    "unique": (frozenset(), frozenset()),
    "accepted_values": (frozenset({"values"}), frozenset()),
    "accepted_range": (frozenset(), frozenset({"min_value", "max_value"})),
    "relationships": (frozenset({"to", "field"}), frozenset()),
    "unique_combination_of_columns": (frozenset({"combination_of_columns"}), frozenset()),
}
MODEL_TESTS = frozenset({"unique_combination_of_columns"})


class ContractError(TransformError):
    """A contract is malformed, or a built model breaks its contract."""


@dataclass(frozen=True)
class ContractTest:
    """One generic test of a model, or of one of its columns."""

    model: str
    column: str | None
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    where: str | None = None

    def label(self) -> str:
        """`model.column test`, or `model test(columns)` for a model-level test."""
        if self.column is not None:
            return f"{self.model}.{self.column} {self.name}"
        return f"{self.model} {self.name}({', '.join(self.arguments['combination_of_columns'])})"


@dataclass(frozen=True)
class ColumnContract:
    name: str
    data_type: str
    description: str
    tests: tuple[ContractTest, ...]


@dataclass(frozen=True)
class ModelContract:
    """What one model promises: its description, its columns in order, its tests."""

    name: str
    layer: str
    path: Path
    description: str
    columns: dict[str, ColumnContract]
    tests: tuple[ContractTest, ...]

    def all_tests(self) -> list[ContractTest]:
        return [*self.tests, *(test for column in self.columns.values() for test in column.tests)]

    def key(self) -> list[str]:
        """The columns that identify a row (a `unique` column, else the first combination),
        shown with the offending rows of a failed test; empty when the model has no key."""
        for test in self.all_tests():
            if test.name == "unique" and test.where is None:
                return [test.column] if test.column else []
            if test.name == "unique_combination_of_columns":
                return list(test.arguments["combination_of_columns"])
        return []


def contract_path(sql_dir: Path, layer: str) -> Path:
    return sql_dir / layer / f"_{layer}.yml"


def parse_test(spec: Any, model: str, column: str | None, where: str) -> ContractTest:
    """One entry of a `data_tests` list: a test name, or a one-key mapping of name to arguments."""
    if isinstance(spec, str):
        name, arguments = spec, {}
    elif isinstance(spec, dict) and len(spec) == 1:
        name, arguments = next(iter(spec.items()))
        arguments = dict(arguments or {})
    else:
        raise ContractError(f"{where}: a test is a name or a one-key mapping, not {spec!r}")
    if name not in TEST_ARGUMENTS:
        raise ContractError(f"{where}: unknown test {name!r} (known: {', '.join(TEST_ARGUMENTS)})")
    if (name in MODEL_TESTS) != (column is None):
        raise ContractError(f"{where}: {name} is a {'model' if name in MODEL_TESTS else 'column'}-level test")
    condition = arguments.pop("config", {}).get("where")
    required, optional = TEST_ARGUMENTS[name]
    if missing := required - arguments.keys():
        raise ContractError(f"{where}: {name} needs {sorted(missing)}")
    if unknown := arguments.keys() - required - optional:
        raise ContractError(f"{where}: {name} does not take {sorted(unknown)}")
    if name == "accepted_range":
        if not arguments or not all(isinstance(v, int | float) for v in arguments.values()):
            raise ContractError(f"{where}: accepted_range needs numeric min_value and/or max_value")
    return ContractTest(model, column, name, arguments, condition)


def parse_model_contract(spec: Mapping[str, Any], layer: str, path: Path) -> ModelContract:
    name = spec.get("name")
    where = f"{path}: model {name!r}"
    if not name or not spec.get("description") or not spec.get("columns"):
        raise ContractError(f"{where}: a model needs a name, a description and columns")
    columns: dict[str, ColumnContract] = {}
    for column in spec["columns"]:
        column_where = f"{where}, column {column.get('name')!r}"
        if not all(column.get(key) for key in ("name", "data_type", "description")):
            raise ContractError(f"{column_where}: a column needs a name, a data_type and a description")
        if column["name"] in columns:
            raise ContractError(f"{column_where}: listed twice")
        tests = tuple(parse_test(test, name, column["name"], column_where) for test in column.get("data_tests", []))
        columns[column["name"]] = ColumnContract(column["name"], column["data_type"], column["description"], tests)
    tests = tuple(parse_test(test, name, None, where) for test in spec.get("data_tests", []))
    for test in tests:
        if unknown := set(test.arguments["combination_of_columns"]) - columns.keys():
            raise ContractError(f"{where}: {test.name} names columns it lacks: {sorted(unknown)}")
    return ModelContract(name, layer, path, spec["description"], columns, tests)


def load_contracts(sql_dir: Path, layers: Iterable[str]) -> dict[str, ModelContract]:
    """Every model contract under `sql_dir`, by model name, in file order; empty when there is
    no contract file."""
    contracts: dict[str, ModelContract] = {}
    for layer in layers:
        path = contract_path(sql_dir, layer)
        if not path.exists():
            continue
        document = yaml.safe_load(path.read_text()) or {}
        for spec in document.get("models", []):
            contract = parse_model_contract(spec, layer, path)
            if contract.name in contracts:
                raise ContractError(f"{path}: two contracts for model {contract.name!r}")
            contracts[contract.name] = contract
    return contracts


def check_relationships(contracts: Mapping[str, ModelContract], upstream: Callable[[str], set[str]]) -> None:
    """Each relationship points at a column of a model its model reads (so it is built first)."""
    for contract in contracts.values():
        for test in contract.all_tests():
            if test.name != "relationships":
                continue
            target, target_field = test.arguments["to"], test.arguments["field"]
            if target not in upstream(contract.name):
                raise ContractError(f"{test.label()}: {target} is not a model {contract.name} reads")
            if target_field not in contracts[target].columns:
                raise ContractError(f"{test.label()}: {target} has no column {target_field!r}")


def check_columns(runner: Runner, contract: ModelContract) -> None:
    """The built model has exactly the contract's columns, with its types."""
    built = {name: sql_type.upper() for name, sql_type in runner.analytics_columns(contract.name).items()}
    promised = {name: column.data_type.upper() for name, column in contract.columns.items()}
    problems = []
    if extra := [name for name in built if name not in promised]:
        problems.append(f"columns the model builds but {contract.path.name} lacks: {', '.join(extra)}")
    if missing := [name for name in promised if name not in built]:
        problems.append(f"columns {contract.path.name} lists but the model lacks: {', '.join(missing)}")
    problems += [
        f"{name} is {built[name]}, the contract says {promised[name]}"
        for name in promised
        if name in built and built[name] != promised[name]
    ]
    if problems:
        raise ContractError(f"contract of {contract.name} broken ({contract.path}): " + "; ".join(problems))


def literal(value: Any) -> str:
    """A value as a SQL literal (the contracts' values are strings and numbers)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"unsupported value {value!r} in a contract test")
    return repr(value)


def shown(value: Any) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def failing_rows_sql(runner: Runner, contract: ModelContract, test: ContractTest) -> tuple[str, list[str], bool]:
    """A SELECT of the rows (or grouped values, with their count `n`) failing the test, the
    names of its columns, and whether it groups values."""
    quote = runner.quote
    relation = runner.analytics(contract.name)
    if test.where:
        relation = f"(SELECT * FROM {relation} WHERE {test.where})"
    column = quote(test.column) if test.column else ""
    shown_columns = [name for name in contract.key() if name != test.column] or [
        name for name in contract.columns if name != test.column
    ][:3]
    row_names = [*shown_columns, test.column] if test.column else []
    row_columns = ", ".join(quote(name) for name in row_names)
    if test.name == "not_null":
        return f"SELECT {row_columns} FROM {relation} AS t WHERE {column} IS NULL", row_names, False
    if test.name == "accepted_range":
        bounds = []
        if "min_value" in test.arguments:
            bounds.append(f"{column} >= {literal(test.arguments['min_value'])}")
        if "max_value" in test.arguments:
            bounds.append(f"{column} <= {literal(test.arguments['max_value'])}")
        return f"SELECT {row_columns} FROM {relation} AS t WHERE NOT ({' AND '.join(bounds)})", row_names, False
    if test.name == "unique_combination_of_columns":
        names = list(test.arguments["combination_of_columns"])
        group = ", ".join(quote(name) for name in names)
        return (
            f"SELECT {group}, count(*) AS n FROM {relation} AS t GROUP BY {group} HAVING count(*) > 1",
            [*names, "n"],
            True,
        )
    if test.name == "unique":
        condition, having = f"{column} IS NOT NULL", "HAVING count(*) > 1"
    elif test.name == "accepted_values":
        values = ", ".join(literal(value) for value in test.arguments["values"])
        condition, having = f"{column} IS NOT NULL AND {column} NOT IN ({values})", ""
    else:  # relationships
        parent = runner.analytics(test.arguments["to"])
        condition = (
            f"{column} IS NOT NULL AND NOT EXISTS"
            f" (SELECT 1 FROM {parent} AS p WHERE p.{quote(test.arguments['field'])} = t.{column})"
        )
        having = ""
    select = f"SELECT {column}, count(*) AS n FROM {relation} AS t WHERE {condition} GROUP BY {column} {having}"
    return select, [test.column, "n"], True


def failure_message(test: ContractTest, failures: int, grouped: bool, names: list[str], samples: list[tuple]) -> str:
    if grouped:
        *key_names, _ = names
        examples = ", ".join(
            f"{', '.join(shown(v) for v in values)} (x{count})" for *values, count in samples
        )
        what = {
            "unique": "duplicate values",
            "unique_combination_of_columns": f"duplicate ({', '.join(key_names)})",
            "accepted_values": f"unexpected values (accepted: {', '.join(map(shown, test.arguments.get('values', [])))})",
            "relationships": f"values missing from {test.arguments.get('to')}.{test.arguments.get('field')}",
        }[test.name]
    else:
        examples = "; ".join("(" + ", ".join(f"{n}={shown(v)}" for n, v in zip(names, row)) + ")" for row in samples)
        what = {
            "not_null": "rows with NULL",
            "accepted_range": "rows out of range ["
            + f"{test.arguments.get('min_value', '')}, {test.arguments.get('max_value', '')}]",
        }[test.name]
    where = f" where {test.where}" if test.where else ""
    return f"contract test failed: {test.label()}{where}: {failures} {what}, e.g. {examples}"


def run_tests(runner: Runner, contract: ModelContract) -> int:
    """Run every test of the model, one query each; raise `ContractError` listing every failure.
    Returns how many tests ran."""
    failures = []
    tests = contract.all_tests()
    for test in tests:
        select, names, grouped = failing_rows_sql(runner, contract, test)
        # the count of all failing rows rides along with the few shown, so one query suffices
        order = "n DESC, 2" if grouped else "2"
        rows = runner.client.execute_sql(
            f"SELECT count(*) OVER () AS failures, f.* FROM ({select}) AS f ORDER BY {order} LIMIT {SAMPLE_ROWS}"
        )
        if rows:
            failures.append(failure_message(test, rows[0][0], grouped, names, [tuple(row[1:]) for row in rows]))
    if failures:
        raise ContractError("\n".join(failures))
    return len(tests)


def enforce(runner: Runner, contract: ModelContract) -> tuple[int, float]:
    """Check a freshly built model against its contract: columns, types, then every test.
    Returns how many tests ran and how long the checks took."""
    started = time.perf_counter()
    check_columns(runner, contract)
    tests = run_tests(runner, contract)
    return tests, round(time.perf_counter() - started, 3)
