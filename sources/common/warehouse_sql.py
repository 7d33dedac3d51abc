"""SQL on the warehouse while the source extracts: a query function on the destination of the
pipeline that is extracting, and the literals and timestamps it needs on any destination."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt

logger = logging.getLogger("sources.instagram")

Query = Callable[[str], list[tuple[Any, ...]]]


def warehouse_query(tables: dict[str, str]) -> Query | None:
    """A `Query` on the destination of the pipeline that is extracting, in which each key of
    `tables` (`{table}`, ...) stands for the qualified name of its raw table; None when the
    destination cannot run SQL (then everything is due every run, as the log says)."""
    pipeline = dlt.current.pipeline()
    try:
        client = pipeline.sql_client()
        with client:
            names = {placeholder: client.make_qualified_table_name(table) for placeholder, table in tables.items()}
    except Exception as error:  # noqa: BLE001 - any destination without SQL: no schedule to read
        logger.warning("the destination cannot be queried (%s): every entity is read as if due", error)
        return None
    # One client for every query, a query at a time: dlt takes longer to build a client than most
    # of these queries take. Each query still opens and closes its own connection, so that the
    # DuckDB file is free while the source waits on the API.
    one_at_a_time = threading.Lock()

    def run(sql: str) -> list[tuple[Any, ...]]:
        for name, qualified in names.items():
            sql = sql.replace(name, qualified)
        with one_at_a_time, client:
            if not client.has_dataset():
                return []
            try:
                return list(client.execute_sql(sql) or [])
            except Exception as error:
                if is_missing_table(error):
                    return []  # the first runs: the table appears with the first load
                raise

    return run


def is_missing_table(error: BaseException) -> bool:
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    return isinstance(error, DatabaseUndefinedRelation) or "does not exist" in str(error)


def literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def timestamp_literal(moment: datetime) -> str:
    return f"CAST('{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00' AS TIMESTAMP WITH TIME ZONE)"


def aware_utc(value: Any) -> Any:
    """A timestamp from any destination as an aware UTC datetime (other values as they are)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def literals(values: Sequence[str]) -> str:
    """`values` as a SQL list of text literals."""
    return ", ".join(literal(value) for value in values) or "NULL"
