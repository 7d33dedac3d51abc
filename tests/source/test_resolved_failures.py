"""`extraction_errors` says what is failing now (issue 21, item 8): a failure whose entity is
read again gets `resolved_at`, and the open failures are `WHERE resolved_at IS NULL`.

The real source and dlt pipeline, against `tests.hostile_server` on loopback, into DuckDB.
"""

from __future__ import annotations

from pathlib import Path

from tests.hostile_server import HostileServer, media

from .conftest import Loader

CONFIG = dict(
    resources=["user_media"],
    engagement_from=[],
    user_ids=["1", "2", "3"],
    request_attempts=2,
    retry_backoff_seconds=0,
)
# the query of open failures that the contract documents (docs/tables.md)
OPEN = "SELECT entity_kind, entity_id, error_type FROM extraction_errors WHERE resolved_at IS NULL"


def _failing(server: HostileServer) -> None:
    """Users 1 and 2: a server error on every attempt; user 3: private (a refusal)."""
    server.error("/users/1/media/recent", "APIServerError", "boom", status=500)
    server.error("/users/2/media/recent", "APIServerError", "boom", status=500)
    server.error("/users/3/media/recent", "APINotAllowedError", "you cannot view this resource")


def test_a_failure_read_later_is_resolved_and_one_still_failing_stays_open(tmp_path: Path) -> None:
    with HostileServer() as server:
        _failing(server)
        loader = Loader(tmp_path)
        loader.run(server, **CONFIG)
        failed = {("list", "user:1", "APIServerError"), ("list", "user:2", "APIServerError")}
        refused = ("list", "user:3", "APINotAllowedError")
        assert set(loader.rows(OPEN)) == failed | {refused}

        # run 2: users 1 and 3 can be read (user 1's caption holds a lone surrogate), user 2 still fails
        server.page("/users/1/media/recent", [media("11_1", "1", caption="cut \ud83d")])
        server.page("/users/3/media/recent", [media("31_3", "3")])
        loader.run(server, **CONFIG)

        assert set(loader.rows(OPEN)) == {("list", "user:2", "APIServerError")}
        rows = {
            row[0]: row[1:]
            for row in loader.rows(
                "SELECT entity_id, failed_runs, gave_up, observed_at, resolved_at FROM extraction_errors"
                " WHERE entity_kind = 'list'"
            )
        }
        assert rows["user:2"][0] == 2 and rows["user:2"][3] is None
        for entity_id in ("user:1", "user:3"):  # the history stays, resolved
            _, _, observed_at, resolved_at = rows[entity_id]
            assert resolved_at is not None and resolved_at >= observed_at, rows
        assert rows["user:1"][:2] == (1, False)
        # a repaired caption is a note on a loaded row, never an open failure
        assert loader.rows(
            "SELECT entity_id FROM extraction_errors WHERE error_type = 'RepairedText' AND resolved_at = observed_at"
        ) == [("11_1",)]
        assert sorted(loader.column("SELECT id FROM media")) == ["11_1", "31_3"]

        # run 3: user 1 fails again: its row is open again
        server.error("/users/1/media/recent", "APIServerError", "boom again", status=500)
        loader.run(server, **CONFIG)
        assert set(loader.rows(OPEN)) == {("list", "user:1", "APIServerError"), ("list", "user:2", "APIServerError")}
