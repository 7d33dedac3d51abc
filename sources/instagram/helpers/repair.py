"""Repair after a crash: follow history rows that one interrupted load inserted twice.

dlt loads each file at least once: a load killed after a file reached the staging table, but
before dlt recorded the job as done, loads that file again when the package is resumed. Merge
tables are safe, because dlt deduplicates staged rows by primary key; the scd2 merge behind
`follow_edges` is not, so every staged edge is inserted twice. The copies are whole-row
duplicates (same row hash, same validity), so keeping one of each restores the exact table.

Upstream: dlt-hub/dlt#3023 ("Duplicate records for a source with primary key and merge write
disposition", a killed load job whose file appears twice in a package) reports the same
at-least-once load for plain merge tables; dlt 1.31 still inserts an scd2 file twice. When a
dlt release deduplicates scd2 staging rows (check with tests/source/test_kill.py's staged
crash), this module, its call in `pipelines.recipe.repair`, and the DISTINCT in
`stg_follow_edges` that guards the same twin can go.
"""

from __future__ import annotations

import logging

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

logger = logging.getLogger("sources.instagram")

HISTORY_TABLE = "follow_edges"


def remove_rows_loaded_twice(pipeline: dlt.Pipeline) -> int:
    """Delete whole-row duplicates from the follow history; returns how many rows went.

    Run it after every load (pipelines.run and the Airflow DAG do). It costs one count over
    the table when there is nothing to repair, and changes the table in one transaction.
    """
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(HISTORY_TABLE)
        copies = client.make_qualified_table_name(f"{HISTORY_TABLE}__loaded_twice")
        try:
            ((surplus,),) = client.execute_sql(
                f"SELECT (SELECT count(*) FROM {table})"
                f" - (SELECT count(*) FROM (SELECT DISTINCT * FROM {table}) AS distinct_rows)"
            )
        except DatabaseUndefinedRelation:
            return 0  # nothing loaded into the history yet
        if not surplus:
            return 0
        with client.begin_transaction():
            client.execute_sql(
                f"CREATE TABLE {copies} AS SELECT DISTINCT * FROM {table} WHERE _dlt_id IN"
                f" (SELECT _dlt_id FROM {table} GROUP BY _dlt_id, valid_from HAVING count(*) > 1)"
            )
            client.execute_sql(f"DELETE FROM {table} WHERE _dlt_id IN (SELECT _dlt_id FROM {copies})")
            client.execute_sql(f"INSERT INTO {table} SELECT * FROM {copies}")
            client.execute_sql(f"DROP TABLE {copies}")
    logger.warning("removed %d %s rows that an interrupted load had inserted twice", surplus, HISTORY_TABLE)
    return surplus
