"""An analyst's DuckDB session on the published read copy, as a separate process.

Usage: python -m tests.pipelines.analyst_session hold PATH
    opens PATH read-only and answers commands on stdin, one JSON line each:
    `state` (the state seen through the open session) and `reopen` (close, open again).
Usage: python -m tests.pipelines.analyst_session poll PATH STOP_FILE
    opens PATH afresh again and again until STOP_FILE exists, then prints every distinct
    state it saw as one JSON list.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

# What a whole run changes, raw and analytics together, with the newest load as the run marker:
# a copy taken between a load and its transforms would pair new raw counts with old analytics.
STATE_SQL = """
SELECT
    (SELECT max(load_id) FROM instagram_raw._dlt_loads WHERE status = 0),
    (SELECT count(*) FROM instagram_raw.media),
    (SELECT count(*) FROM instagram_raw.media_counts),
    (SELECT count(*) FROM instagram_raw.follow_edges),
    (SELECT count(*) FROM instagram_analytics.stg_media),
    (SELECT count(*) FROM instagram_analytics.media_engagement_history)
"""


def state(connection: duckdb.DuckDBPyConnection) -> list:
    return list(connection.execute(STATE_SQL).fetchone())


def hold(path: str) -> None:
    connection = duckdb.connect(path, read_only=True)
    print(json.dumps({"ready": True}), flush=True)
    for command in sys.stdin:
        if command.strip() == "reopen":
            connection.close()
            connection = duckdb.connect(path, read_only=True)
            print(json.dumps({"reopened": True}), flush=True)
        else:
            print(json.dumps(state(connection)), flush=True)


def poll(path: str, stop_file: str) -> None:
    seen: list[list] = []
    while not Path(stop_file).exists():
        with duckdb.connect(path, read_only=True) as connection:
            observed = state(connection)
        if observed not in seen:
            seen.append(observed)
        time.sleep(0.02)  # leave the run most of the two cores
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    {"hold": hold, "poll": poll}[sys.argv[1]](*sys.argv[2:])
