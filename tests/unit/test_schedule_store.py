"""`Schedule` over its on-disk `RowStore`: rows read back exactly as written, this run's writes
replace the warehouse's rows in every lookup, and due rows come most overdue first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sources.common.refresh_policy import RefreshPolicy, schedule_row
from sources.common.schedule import Schedule

POLICY = RefreshPolicy(seed_hours=6, crawl_hours=24, list_max_age_hours=168, engagement_ages_hours=(1, 6))
NOW = datetime(2026, 12, 3, 12, 0, 0, 123457, tzinfo=UTC)


def warehouse(rows, queries: list[str] | None = None):
    """A `Query` answering the snapshot's paged SELECT with `rows` (after the page's key, up to
    its limit); each query is appended to `queries`."""

    def query(sql: str):
        (queries if queries is not None else []).append(sql)
        after = sql.split("entity_key > '", 1)[1].split("'", 1)[0]
        limit = int(sql.rsplit("LIMIT", 1)[1])
        found = sorted((row for row in rows if row["entity_key"] > after), key=lambda row: row["entity_key"])
        return [tuple(row.values()) for row in found[:limit]]

    return query


def counters(media_id: str, due: datetime | None, parent: str = "u1", **fields) -> dict:
    row = schedule_row("counters", media_id, read_at=NOW - timedelta(hours=2), next_due_at=due, parent=parent)
    return {**row, **fields, "epoch": "e1"}


def test_writes_replace_the_warehouse_rows_and_read_back_exactly():
    stored = [counters("m1", NOW - timedelta(hours=1)), counters("m2", NOW - timedelta(hours=3)), counters("m3", None)]
    schedule = Schedule(POLICY, warehouse(stored), "e1")
    assert [row["entity_id"] for row in schedule.due("counters", NOW)] == ["m2", "m1"]

    # m2 read again: no longer due; m4 new and due; m1 of another parent
    earlier = schedule.write(counters("m2", NOW + timedelta(days=1), last_count=7))["refresh_schedule"][0]
    written = schedule.write(counters("m4", NOW - timedelta(microseconds=1), created_at=NOW))["refresh_schedule"][0]
    # the load keeps the last write of a key: the rows to load carry the order of the writes
    assert written.pop("write_order") > earlier["write_order"]
    assert [row["entity_id"] for row in schedule.due("counters", NOW)] == ["m1", "m4"]
    assert [row["entity_id"] for row in schedule.due("counters", NOW, parent="u2")] == []

    found = schedule.get(["counters:m2", "counters:m4", "counters:m9"])
    assert set(found) == {"counters:m2", "counters:m4"}
    assert found["counters:m2"]["last_count"] == 7
    assert found["counters:m4"] == written  # microseconds, time zone and booleans intact
    assert schedule.written_row("counters:m1") is None
    assert [row["entity_id"] for row in schedule.written_rows("counters")] == ["m2", "m4"]
    assert schedule.refreshed_since(NOW - timedelta(hours=3)) == {"counters": 2}


def test_an_inactive_row_is_never_due():
    schedule = Schedule(POLICY, warehouse([counters("m1", NOW - timedelta(hours=1))]), "e1")
    schedule.write(counters("m1", NOW - timedelta(hours=1), active=False))
    assert schedule.due("counters", NOW) == []
    assert schedule.not_due("counters", ["m1"], lambda: NOW) == {"m1"}


def test_the_snapshot_is_read_in_pages(monkeypatch):
    monkeypatch.setattr("sources.common.schedule.SNAPSHOT_PAGE_ROWS", 2)
    stored = [counters(f"m{i}", NOW - timedelta(minutes=i)) for i in range(5)]
    queries: list[str] = []
    schedule = Schedule(POLICY, warehouse(stored, queries), "e1")
    assert [row["entity_id"] for row in schedule.due("counters", NOW)] == ["m4", "m3", "m2", "m1", "m0"]
    assert len(queries) == 3
