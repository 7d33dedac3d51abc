"""The failure record remembers the open `extraction_errors` rows of an entity until it is read
(issue 21, item 8), within a bound for refusals that are never read again."""

from __future__ import annotations

from datetime import UTC, datetime

from sources.common import failures as failures_module
from sources.common.errors import InstagramNotFound
from sources.common.failures import Failures
from sources.instagram.helpers.shaping import error_row

AT = datetime(2017, 5, 1, 12, tzinfo=UTC)


def _row(key: str, error_type: str = "APINotFoundError") -> dict:
    kind, entity_id = key.split(":", 1)
    return error_row(kind, entity_id, InstagramNotFound("gone " * 1000, error_type=error_type), AT)


def test_open_rows_come_back_once_when_the_entity_is_read() -> None:
    state: dict = {}
    failures = Failures(state, max_failed_runs=3)
    failures.failed("list:user:1")
    failures.opened("list:user:1", _row("list:user:1", "HTTP500"))
    failures.opened("list:user:1", _row("list:user:1", "HTTP503"))
    failures.forget("tag:x")
    failures.opened("tag:x", _row("tag:x"))

    later = Failures(state, max_failed_runs=3)  # the next run, from the same state
    rows = later.succeeded("list:user:1")
    assert sorted(row["error_type"] for row in rows) == ["HTTP500", "HTTP503"]
    assert all(row["observed_at"] == AT and "resolved_at" not in row for row in rows)
    assert len(rows[0]["message"]) <= failures_module.MAX_REMEMBERED_MESSAGE_CHARS + 30
    assert later.succeeded("list:user:1") == [] and later.pending() == 0
    assert [row["entity_id"] for row in later.succeeded("tag:x")] == ["x"]


def test_refusals_remembered_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(failures_module, "MAX_OPEN_REFUSALS", 3)
    failures = Failures({}, max_failed_runs=3)
    failures.failed("list:user:0")  # a read that outlasted its retries: always remembered
    failures.opened("list:user:0", _row("list:user:0", "HTTP500"))
    for n in range(1, 6):
        failures.opened(f"media:{n}_1", _row(f"media:{n}_1"))
    assert failures.succeeded("media:1_1") == [] and failures.succeeded("media:2_1") == []
    assert [len(failures.succeeded(f"media:{n}_1")) for n in (3, 4, 5)] == [1, 1, 1]
    assert len(failures.succeeded("list:user:0")) == 1
