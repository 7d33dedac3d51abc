"""Without dbt installed (the main .venv) the dbt tests skip; `scripts/test-dbt` runs them in
.venv-dbt."""

from __future__ import annotations

import importlib.util

import pytest

DBT_INSTALLED = importlib.util.find_spec("dbt.adapters.duckdb") is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/dbt/" in str(item.path) and not DBT_INSTALLED:
            item.add_marker(pytest.mark.skip(reason="needs the dbt extra: run scripts/test-dbt"))
