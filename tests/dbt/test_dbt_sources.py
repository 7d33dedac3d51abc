"""dbt/ with a real dbt-duckdb: the generated sources parse, the example model selecting from
them runs, and the sources' tests pass, against a warehouse built from an emulator world.
Runs in .venv-dbt (scripts/test-dbt)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from emulator import World, WorldConfig
from tests.transforms.conftest import Warehouse
from tests.transforms.test_emulator_worlds import load_world

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


def dbt(project: Path, database: Path, *args: str) -> str:
    completed = subprocess.run(
        [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "INSTAGRAM_DUCKDB": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        cwd=project,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of dbt/ (dbt writes target/ and logs/ into it) and a transformed warehouse."""
    base = tmp_path_factory.mktemp("dbt")
    warehouse = Warehouse(base / "instagram.duckdb", base / "pipelines")
    load_world(warehouse, World(WorldConfig(seed=5, users=120)), engagement_owners=10)
    warehouse.transform()
    shutil.copytree(ROOT / "dbt", base / "project", ignore=shutil.ignore_patterns("target", "logs"))
    return base / "project", warehouse.path


def test_sources_parse(project: tuple[Path, Path]) -> None:
    directory, database = project
    dbt(directory, database, "parse")
    manifest = (directory / "target" / "manifest.json").read_text()
    sources = yaml.safe_load((ROOT / "dbt" / "models" / "sources.yml").read_text())["sources"]
    for source in sources:
        for table in source["tables"]:
            assert f'"source.instagram.{source["name"]}.{table["name"]}"' in manifest


def test_a_model_selects_from_the_sources_and_their_tests_pass(project: tuple[Path, Path]) -> None:
    directory, database = project
    dbt(directory, database, "run", "--select", "top_accounts")
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT user_id, pagerank FROM dbt.top_accounts").fetchall()
        expected = con.execute(
            "SELECT user_id, pagerank FROM instagram_analytics.user_graph_metrics ORDER BY pagerank DESC LIMIT 10"
        ).fetchall()
    assert rows == expected and len(rows) == 10
    output = dbt(directory, database, "test", "--select", "source:instagram_analytics")
    assert "ERROR=0" in output and "PASS=" in output
