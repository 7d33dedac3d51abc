"""Without dbt installed (the main .venv) the dbt tests skip; `scripts/test-dbt` runs them in
.venv-dbt."""

from __future__ import annotations

import importlib.util

import pytest


def dbt_installed() -> bool:
    # the project's own dbt/ folder is importable as a namespace package `dbt` from the checkout,
    # so without dbt-core installed `dbt.adapters` is missing rather than `dbt`
    try:
        return importlib.util.find_spec("dbt.adapters.duckdb") is not None
    except ModuleNotFoundError:
        return False


DBT_INSTALLED = dbt_installed()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/dbt/" in str(item.path) and not DBT_INSTALLED:
            item.add_marker(pytest.mark.skip(reason="needs the dbt extra: run scripts/test-dbt"))
