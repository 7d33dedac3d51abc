"""The models' contracts: what each analytics model holds, read from one YAML file per model.

`transforms/sql/<layer>/<model>.yml`, beside the model's SQL, follows dbt's schema files: a
`models:` list holding the one model named like the file, with `name`, `description`, optional `meta.fresh` (how fresh its rows are) and model-level
`data_tests`, and `columns:` each with `name`, `description`, `data_type` (the DuckDB type the
model produces, as `information_schema` names it; case-insensitive) and `data_tests`. Tests:

- `unique`, `not_null`: on a column.
- `accepted_values: {values: [...]}`: a non-NULL value outside the list fails.
- `accepted_range: {min_value, max_value}` (either bound may be left out; both inclusive).
- `relationships: {to: <model> or "ref('<model>')", field: <column>}`: a non-NULL value that
  the other model's column does not hold fails.
- `unique_combination_of_columns: {combination_of_columns: [...]}`: model level.

After each build the runner checks the model's columns and types against its contract and runs
its tests, one query each; a failure raises `ContractError` naming the model, column, test and
sample offending values. The same contracts render the analytics part of docs/tables.md and the
dbt sources file (scripts/gen_docs.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from transforms.errors import TransformError

# libyaml's parser, where PyYAML was built with it: the pure-Python one took 0.09 CPU-s of every
# transforms run (the CLI's included) to read the 51 contracts, libyaml's 0.01
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

COLUMN_TESTS = ("unique", "not_null", "accepted_values", "accepted_range", "relationships")
MODEL_TESTS = ("unique_combination_of_columns",)
REF = re.compile(r"""^(?:ref\(\s*['"](\w+)['"]\s*\)|(\w+))$""")
SAMPLES = 3  # offending values quoted in a failure message


class ContractError(TransformError):
    """A model's contract is malformed, the model's columns differ from it, or a test failed."""


@dataclass(frozen=True)
class DataTest:
    """One test: its kind, the columns it reads (one for a column test) and its arguments."""

    kind: str
    columns: tuple[str, ...]
    arguments: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """How docs and messages name the test, e.g. `accepted_range(0..1)`."""
        if self.kind == "accepted_values":
            return "accepted_values(" + ", ".join(map(str, self.arguments["values"])) + ")"
        if self.kind == "accepted_range":
            low, high = self.arguments.get("min_value", ""), self.arguments.get("max_value", "")
            return f"accepted_range({low}..{high})"
        if self.kind == "relationships":
            return f"relationships({self.arguments['to']}.{self.arguments['field']})"
        if self.kind == "unique_combination_of_columns":
            return "unique(" + ", ".join(self.columns) + ")"
        return self.kind


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    data_type: str
    tests: tuple[DataTest, ...]


@dataclass(frozen=True)
class Contract:
    """What one model promises: its description, columns in order, and tests."""

    name: str
    layer: str
    path: Path
    description: str
    fresh: str | None
    columns: tuple[Column, ...]
    model_tests: tuple[DataTest, ...]

    def key(self) -> tuple[str, ...]:
        """The columns that name a row: the first unique combination, else the first unique
        column, else the first column."""
        for test in self.model_tests:
            return test.columns
        unique = [column.name for column in self.columns if any(t.kind == "unique" for t in column.tests)]
        return (unique[0] if unique else self.columns[0].name,)

    def tests(self) -> list[DataTest]:
        return [test for column in self.columns for test in column.tests] + list(self.model_tests)


def parse_test(spec: Any, columns: tuple[str, ...], where: str) -> DataTest:
    """A dbt test entry: a bare name, or a one-key mapping of the name to its arguments."""
    if isinstance(spec, str):
        kind, arguments = spec, {}
    elif isinstance(spec, dict) and len(spec) == 1:
        [(kind, arguments)] = spec.items()
        arguments = dict(arguments or {})
    else:
        raise ContractError(f"{where}: a test is a name or a one-key mapping, not {spec!r}")
    if kind == "unique_combination_of_columns" and not columns:
        columns = tuple(arguments.pop("combination_of_columns", ()))
        if len(columns) < 2:
            raise ContractError(f"{where}: unique_combination_of_columns needs two or more columns")
    elif kind not in COLUMN_TESTS or not columns:
        known = COLUMN_TESTS if columns else MODEL_TESTS
        raise ContractError(f"{where}: unknown test {kind!r} (known here: {', '.join(known)})")
    if kind == "relationships":
        target = REF.match(str(arguments.get("to", "")))
        if not target or "field" not in arguments:
            raise ContractError(f"{where}: relationships needs `to: ref('<model>')` and `field`")
        arguments["to"] = target[1] or target[2]
    if kind == "accepted_values" and not arguments.get("values"):
        raise ContractError(f"{where}: accepted_values needs `values`")
    if kind == "accepted_range" and not {"min_value", "max_value"} & arguments.keys():
        raise ContractError(f"{where}: accepted_range needs `min_value` or `max_value`")
    return DataTest(kind, columns, arguments)


def parse_contract(path: Path, layer: str) -> Contract:
    """The contract in one model's YAML file."""
    document = yaml.load(path.read_text(), Loader=_YAML_LOADER) or {}
    models = document.get("models") or []
    if len(models) != 1 or not isinstance(models[0], dict) or models[0].get("name") != path.stem:
        raise ContractError(f"{path}: holds the contract of one model, named {path.stem!r} like the file")
    [model] = models
    where = f"{path}: model {model.get('name')!r}"
    missing = [key for key in ("name", "description", "columns") if not model.get(key)]
    if missing:
        raise ContractError(f"{where} lacks {missing}")
    columns = []
    for column in model["columns"]:
        column_where = f"{where}, column {column.get('name')!r}"
        if not all(column.get(key) for key in ("name", "description", "data_type")):
            raise ContractError(f"{column_where} needs a name, description and data_type")
        tests = tuple(parse_test(t, (column["name"],), column_where) for t in column.get("data_tests") or [])
        columns.append(Column(column["name"], column["description"].strip(), column["data_type"].lower(), tests))
    names = {column.name for column in columns}
    model_tests = tuple(parse_test(t, (), where) for t in model.get("data_tests") or [])
    for test in model_tests:
        if unknown := sorted(set(test.columns) - names):
            raise ContractError(f"{where}: {test.label()} names columns it lacks: {unknown}")
    return Contract(
        name=model["name"],
        layer=layer,
        path=path,
        description=model["description"].strip(),
        fresh=(model.get("meta") or {}).get("fresh"),
        columns=tuple(columns),
        model_tests=model_tests,
    )


def contract_path(sql_dir: Path, layer: str, model: str) -> Path:
    return sql_dir / layer / f"{model}.yml"


def load_contracts(sql_dir: Path, layers: Sequence[str]) -> dict[str, Contract]:
    """Every model's contract in the layers, by model name, layer by layer and alphabetical
    within one. A model's name is unique across layers."""
    contracts: dict[str, Contract] = {}
    for layer in layers:
        for path in sorted((sql_dir / layer).glob("*.yml")):
            if path.stem in contracts:
                raise ContractError(
                    f"{path}: model {path.stem!r} has a contract already, in {contracts[path.stem].path}"
                )
            contracts[path.stem] = parse_contract(path, layer)
    return contracts


# How other dialects' information_schema names the contracts' DuckDB types, by sqlglot dialect.
# DuckDB's SUM widens whole numbers to HUGEINT, PostgreSQL's to BIGINT or NUMERIC.
OTHER_SPELLINGS: dict[str, dict[str, frozenset[str]]] = {
    "postgres": {
        "varchar": frozenset({"text", "character varying"}),
        "double": frozenset({"double precision"}),
        "hugeint": frozenset({"bigint", "numeric"}),
    },
}


def check_columns(contract: Contract, built: dict[str, str], dialect: str = "duckdb") -> None:
    """Raise when the built model's columns or types differ from its contract's; `dialect`
    (sqlglot's name) says how the built types are spelled."""
    promised = {column.name: column.data_type for column in contract.columns}
    built = {name: sql_type.lower() for name, sql_type in built.items()}
    spellings = OTHER_SPELLINGS.get(dialect, {})

    def same_type(name: str) -> bool:
        return built[name] == promised[name] or built[name] in spellings.get(promised[name], ())

    problems = []
    if missing := [name for name in promised if name not in built]:
        problems.append(f"in the contract but not built: {missing}")
    if extra := [name for name in built if name not in promised]:
        problems.append(f"built but not in the contract: {extra}")
    problems += [
        f"{name} is {promised[name]} in the contract but {built[name]} in the model"
        for name in promised
        if name in built and not same_type(name)
    ]
    if problems:
        raise ContractError(
            f"model {contract.name} does not match its contract ({contract.path}): {'; '.join(problems)}"
        )


def literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"test values must be strings or numbers, not {value!r}")
    return repr(value)


GROUPED = ("unique", "unique_combination_of_columns")  # tests whose failures are values, not rows
# keys that group as fast as their hash would (a uniqueness test hashes other keys first)
INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "bigint", "hugeint"})


def failing_rows_query(
    contract: Contract,
    test: DataTest,
    relation: str,
    quote: Callable[[str], str],
    resolve: Callable[[str], str],
    key_hash: str | None = None,
) -> tuple[str, list[str]]:
    """One query for the test, and the columns it shows of each failure. No row: the test
    passed. A uniqueness test returns (values..., how often, how many values fail); any other
    test returns offending rows as (key columns and the tested column..., how many rows fail).
    `resolve` names another model's relation. `key_hash` (the dialect's 64-bit hash of
    `{columns}`) lets a uniqueness test over text or time keys group one integer per row first,
    and the keys themselves only where two rows share a hash: the same failures, in 55-65 % of
    the time over 10 M rows (integer keys group as fast without)."""
    column = quote(test.columns[0])
    if test.kind in GROUPED:
        keys = ", ".join(map(quote, test.columns))
        not_null = " AND ".join(f"{quote(c)} IS NOT NULL" for c in test.columns)
        candidates = ""
        types = {c.name: c.data_type.lower() for c in contract.columns}
        if key_hash is not None and not all(types.get(c) in INTEGER_TYPES for c in test.columns):
            hashed = key_hash.format(columns=keys)
            candidates = (
                f" AND {hashed} IN (SELECT {hashed} FROM {relation}"
                f" WHERE {not_null} GROUP BY {hashed} HAVING count(*) > 1)"
            )
        sql = (
            f"SELECT {keys}, count(*) AS n, count(*) OVER () AS total FROM {relation}"
            f" WHERE {not_null}{candidates} GROUP BY {keys} HAVING count(*) > 1"
            f" ORDER BY n DESC, {keys} LIMIT {SAMPLES}"
        )
        return sql, list(test.columns)
    if test.kind == "not_null":
        condition = f"{column} IS NULL"
    elif test.kind == "accepted_values":
        values = ", ".join(literal(v) for v in test.arguments["values"])
        condition = f"{column} IS NOT NULL AND {column} NOT IN ({values})"
    elif test.kind == "accepted_range":
        bounds = []
        if "min_value" in test.arguments:
            bounds.append(f"{column} < {literal(test.arguments['min_value'])}")
        if "max_value" in test.arguments:
            bounds.append(f"{column} > {literal(test.arguments['max_value'])}")
        condition = " OR ".join(bounds)
    else:  # relationships
        target, target_column = resolve(test.arguments["to"]), quote(test.arguments["field"])
        condition = (
            f"{column} IS NOT NULL AND NOT EXISTS"
            f" (SELECT 1 FROM {target} AS target WHERE target.{target_column} = tested.{column})"
        )
    # the row's key tells an analyst which row; the tested column what is wrong with it
    shown = list(dict.fromkeys([*contract.key(), test.columns[0]]))
    if shown == [test.columns[0]] and len(contract.columns) > 1:  # the key itself is tested: show more
        shown.append(next(c.name for c in contract.columns if c.name != test.columns[0]))
    listed = ", ".join(map(quote, shown))
    sql = (
        f"SELECT {listed}, count(*) OVER () AS total FROM {relation} AS tested"
        f" WHERE {condition} ORDER BY {listed} NULLS FIRST LIMIT {SAMPLES}"
    )
    return sql, shown


def shown_value(value: Any) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def failure_message(contract: Contract, test: DataTest, shown: list[str], rows: list[tuple[Any, ...]]) -> str:
    """E.g. `contract test failed: user_graph_metrics.user_id unique: 2 duplicate values, e.g.
    '17' (x2)`, or `... media_engagement.likes accepted_range(0..): 1 rows fail, e.g.
    (media_id='m1', likes=-5)`."""
    width = len(shown)
    total = int(rows[0][-1])
    if test.kind in GROUPED:
        what = "duplicate values" if test.kind == "unique" else "duplicate combinations"
        samples = [
            f"{shown_value(row[0]) if width == 1 else '(' + ', '.join(map(shown_value, row[:width])) + ')'} (x{row[width]})"
            for row in rows
        ]
    else:
        what = "rows fail"
        samples = ["(" + ", ".join(f"{n}={shown_value(v)}" for n, v in zip(shown, row)) + ")" for row in rows]
    subject = contract.name if test.kind == "unique_combination_of_columns" else f"{contract.name}.{test.columns[0]}"
    return f"contract test failed: {subject} {test.label()}: {total} {what}, e.g. {', '.join(samples)}"
