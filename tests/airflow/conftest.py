"""Airflow test setup: a throwaway AIRFLOW_HOME with a SQLite metadata database.

Airflow reads AIRFLOW_HOME when it is first imported, so it is set here, before any test module
imports Airflow. Without Airflow installed (the main .venv) this file does nothing and the tests
skip; `scripts/test-airflow` runs them in .venv-airflow.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

AIRFLOW_INSTALLED = importlib.util.find_spec("airflow") is not None
DAG_FILE = Path(__file__).resolve().parents[2] / "pipelines" / "airflow_dag.py"

if AIRFLOW_INSTALLED:
    AIRFLOW_HOME = tempfile.mkdtemp(prefix="airflow_home_")
    os.environ["AIRFLOW_HOME"] = AIRFLOW_HOME
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAG_FILE.parent)

    def pytest_unconfigure(config: pytest.Config) -> None:
        shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Create Airflow's metadata tables in the SQLite file under AIRFLOW_HOME (once)."""
    from airflow.utils.db import initdb

    initdb()


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """Undo the environment changes a DAG makes (PipelineTasksGroup sets DLT_* folders)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def dags_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_environ: None) -> Path:
    """A dags folder as docs/airflow.md deploys it: the DAG file and a `.dlt` folder beside it."""
    folder = tmp_path / "dags"
    (folder / ".dlt").mkdir(parents=True)
    shutil.copy(DAG_FILE, folder / DAG_FILE.name)
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(folder))
    # dlt's helper puts each task's working folder under the temp dir (and leaves it empty)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return folder
