"""The run's DuckDB destination (`pipelines/duckdb_merge.py`): its merge keeps the rows dlt's
merge keeps, and stays within a memory limit under which dlt's own merge runs out."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.duckdb_merge import duckdb as spilling_duckdb
from pipelines.warehouse import duckdb_destination


def load(destination, rows: list[dict] | pa.Table, pipelines_dir: Path, **hints) -> None:
    @dlt.resource(name="things", write_disposition="merge", **hints)
    def things():
        yield rows

    dlt.pipeline("merge_test", destination=destination, dataset_name="raw", pipelines_dir=str(pipelines_dir)).run(
        things()
    )


def table(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute("SELECT id, bio FROM raw.things ORDER BY id").fetchall()


def test_one_row_per_key_and_the_first_by_dedup_sort(tmp_path):
    path = tmp_path / "w.duckdb"
    hints = {"primary_key": "id", "columns": {"bio": {"data_type": "text", "dedup_sort": "desc"}}}
    # in one load: a NULL bio never wins over a bio; a key with only NULL bios keeps a row
    load(
        duckdb_destination(path),
        [{"id": 1, "bio": None}, {"id": 1, "bio": "b"}, {"id": 1, "bio": "a"}, {"id": 2, "bio": None}]
        + [{"id": 2, "bio": None}, {"id": 3, "bio": "c"}],
        tmp_path / "dlt",
        **hints,
    )
    assert table(path) == [(1, "b"), (2, None), (3, "c")]
    # a later load replaces the rows of its keys only
    load(
        duckdb_destination(path),
        [{"id": 3, "bio": None}, {"id": 3, "bio": "d"}, {"id": 4, "bio": "e"}],
        tmp_path / "dlt",
        **hints,
    )
    assert table(path) == [(1, "b"), (2, None), (3, "d"), (4, "e")]


def test_without_dedup_sort_any_one_row_of_a_key(tmp_path):
    path = tmp_path / "w.duckdb"
    load(duckdb_destination(path), [{"id": i % 3, "bio": str(i)} for i in range(9)], tmp_path / "dlt", primary_key="id")
    rows = table(path)
    assert [key for key, _ in rows] == [0, 1, 2]
    assert all(int(bio) % 3 == key for key, bio in rows)


def test_a_merge_too_big_for_dlt_window_fits_the_limit(tmp_path):
    # 300,000 distinct rows with 32 MB for DuckDB: dlt's ROW_NUMBER window holds them all
    ids = pa.array(range(300_000), pa.int64())
    rows = pa.table({"id": ids, "bio": pc.utf8_lpad(pc.cast(ids, pa.string()), 128, "0")})
    settings = {"memory_limit": "32MB", "threads": 1, "preserve_insertion_order": False}
    with pytest.raises(PipelineStepFailed, match="Out of Memory"):
        load(
            dlt.destinations.duckdb(DuckDbCredentials(str(tmp_path / "dlt.duckdb"), global_config=settings)),
            rows,
            tmp_path / "dlt_plain",
            primary_key="id",
        )
    path = tmp_path / "spilling.duckdb"
    load(
        spilling_duckdb(DuckDbCredentials(str(path), global_config=settings)), rows, tmp_path / "dlt", primary_key="id"
    )
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("SELECT count(*), count(DISTINCT id) FROM raw.things").fetchone() == (
            300_000,
            300_000,
        )
