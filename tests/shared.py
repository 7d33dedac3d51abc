"""Folders built once per test run and shared by every xdist worker: a loaded warehouse that
several tests only read (or copy before they write) costs one build, not one per worker.

Under xdist each worker runs its own session, so a session- or module-scoped fixture is built
once per worker that runs one of its tests (with `--dist worksteal`, usually by every worker).
`built_once` builds the folder in the run's common temporary folder (the parent of the workers'
own), under a lock: the first worker to ask builds it, the others wait for it and reuse it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pytest

DONE = ".built"


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run that every worker sees: the parent of the workers'
    basetemp under xdist (`pytest-N/popen-gwK`), the basetemp itself without it (its parent then
    outlives the run)."""
    basetemp = tmp_path_factory.getbasetemp()
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name`, filled by `build(folder)` once in this test run, whichever worker asks
    first. Tests must not change what is in it: copy it first. A build that fails leaves nothing
    behind, and the next worker to ask builds it again (and fails the same way, in its own test)."""
    root = run_folder(tmp_path_factory) / "built_once"
    root.mkdir(exist_ok=True)
    folder = root / name
    with open(root / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                build(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            (folder / DONE).touch()
    return folder


def read_only(database: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the DuckDB file `database` for a test to compare what it holds:
    on one thread, as the many small reads of a comparison cost DuckDB more CPU on two."""
    return duckdb.connect(str(database), read_only=True, config={"threads": 1})


def tuning_class(source: str) -> Any:
    """The tuning settings' class of the source named `source` (`instagram`, `instagram_graph`)."""
    from sources.instagram import InstagramTuning
    from sources.instagram_graph.settings import GraphTuning

    return {"instagram": InstagramTuning, "instagram_graph": GraphTuning}[source]


def source_arguments(settings: Mapping[str, Any], source: str = "instagram") -> dict[str, Any]:
    """`settings` as the source's function takes them: the fields of its tuning class gathered
    in one under `tuning`, so that a test names every setting alike (`workers=2, tags=[...]`)."""
    tuning = tuning_class(source)
    fields = tuning.get_resolvable_fields()
    arguments = {name: value for name, value in settings.items() if name not in fields}
    tuned = {name: value for name, value in settings.items() if name in fields}
    if tuned:
        arguments["tuning"] = tuning(**tuned)
    return arguments


def source_env(
    settings: Mapping[str, str], section: str = "SOURCES__INSTAGRAM", source: str = "instagram"
) -> dict[str, str]:
    """Environment variables setting `settings` (by upper-case key, `{"CRAWL_DEPTH": "1"}`) of
    the source in `section`, the fields of its tuning class in its `TUNING` section."""
    tuning = {name.upper() for name in tuning_class(source).get_resolvable_fields()}
    return {f"{section}__{'TUNING__' if key in tuning else ''}{key}": value for key, value in settings.items()}
