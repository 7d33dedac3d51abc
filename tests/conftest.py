"""Settings shared by every test: no telemetry, no dlt state outside the test's own folder."""

import os

import pytest

# Set before dlt reads its configuration, for every test and every subprocess a test starts.
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"


@pytest.fixture(autouse=True)
def isolated_dlt(tmp_path, monkeypatch):
    """Keep pipeline working dirs and dlt's global folder inside the test's tmp_path."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.chdir(tmp_path)
    yield
