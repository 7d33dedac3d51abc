"""Fixtures for the source tests: a small emulator world on loopback, real dlt pipelines into
a DuckDB file in tmp_path (or another warehouse, tests/warehouses.py), and the world's truth to
compare with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest

from emulator import Emulator, World, WorldConfig
from sources.instagram import instagram
from tests.shared import source_arguments
from tests.warehouses import Warehouse

SMALL_WORLD = WorldConfig(seed=7, users=150, media_per_user=6.0, follows_per_user=8.0, tags=60, locations=40)


@pytest.fixture
def world() -> World:
    """A fresh small world (tests may advance it)."""
    return World(SMALL_WORLD)


@pytest.fixture
def emulator(world: World) -> Iterator[Emulator]:
    """The world served over HTTP on 127.0.0.1 (follow lists of any user readable)."""
    with Emulator(world, follows_any_user=True) as emu:
        yield emu


# The schedule's epoch names the source state that wrote a row: a random id, equal only within
# one warehouse's history; its write_order orders the writes of one run, as they happened.
PER_STATE_COLUMNS = {("refresh_schedule", "epoch"), ("refresh_schedule", "write_order")}


class Loader:
    """Runs the source into one warehouse (by default the DuckDB file `<root>/<name>.duckdb`)
    with one pipeline working dir, like cron would."""

    dataset = "instagram_raw"

    def __init__(self, root: Path, name: str = "instagram", warehouse: Warehouse | None = None):
        self.root = root
        self.name = name
        self.warehouse = warehouse or Warehouse("duckdb", str(root / f"{name}.duckdb"))
        self.pipelines_dir = root / f"{name}_pipelines"
        self._reader: dlt.Pipeline | None = None

    @property
    def database(self) -> Path:
        """The DuckDB file (of a DuckDB warehouse)."""
        assert self.warehouse.kind == "duckdb", self.warehouse.kind
        return Path(self.warehouse.credentials)

    def pipeline(self) -> dlt.Pipeline:
        return dlt.pipeline(
            self.name,
            destination=self.warehouse.destination(),
            dataset_name=self.dataset,
            pipelines_dir=str(self.pipelines_dir),
        )

    def reader(self) -> dlt.Pipeline:
        """The pipeline the reads below go through, built once (13 ms each time): each read
        reads the warehouse and the state file anew. `run` builds its own, as cron would."""
        if self._reader is None:
            self._reader = self.pipeline()
        return self._reader

    def run(self, emu: Emulator, **config: Any) -> dlt.Pipeline:
        """One run of the source against `emu`; returns the pipeline."""
        config.setdefault("access_token", emu.access_token)
        pipeline = self.pipeline()
        pipeline.run(instagram(base_url=emu.base_url, **source_arguments(config)))
        return pipeline

    def rows(self, sql: str) -> list[tuple]:
        with self.reader().sql_client() as client:
            return [tuple(row) for row in client.execute_sql(sql)]

    def column(self, sql: str) -> list:
        return [row[0] for row in self.rows(sql)]

    def last_run(self) -> dict:
        return self.reader().state["sources"]["instagram"]["last_run"]

    def tables(self, exclude_dlt: bool = True) -> dict[str, list[tuple]]:
        """Every table's rows (sorted, dlt bookkeeping columns left out)."""
        out = {}
        with self.reader().sql_client() as client:
            names = [
                r[0]
                for r in client.execute_sql(
                    f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.dataset}'"
                )
            ]
            for name in sorted(names):
                if exclude_dlt and name.startswith("_dlt"):
                    continue
                cols = [
                    r[0]
                    for r in client.execute_sql(
                        "SELECT column_name FROM information_schema.columns"
                        f" WHERE table_schema = '{self.dataset}' AND table_name = '{name}' ORDER BY ordinal_position"
                    )
                    if not r[0].startswith("_dlt") and (name, r[0]) not in PER_STATE_COLUMNS
                ]
                select = ", ".join(f'"{c}"' for c in cols)
                out[name] = sorted(map(tuple, client.execute_sql(f"SELECT {select} FROM {name}")), key=repr)
        return out


@pytest.fixture
def loader(tmp_path: Path) -> Loader:
    return Loader(tmp_path)


def only(*names: str) -> dict[str, Any]:
    """Config selecting just these resources."""
    return {"resources": list(names)}
