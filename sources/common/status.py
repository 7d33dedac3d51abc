"""The status of a source run: what it did and what it left, typed, from the readers to the
runner.

`RunStatus` is the live status of one run, owned by the run (`instagram()` makes it and hands it
to the client and to `SourceRun`): readers note work that remains, the client notes the
run-level failure that stopped it and the reads that outlasted their retries. At the end of
the extract it becomes a `LastRun`, saved in the source state (`last_run`) in the same load
package as the rows. After the load, the runner reads what it needs through the functions
below (`last_run`, `failure_record`, `schedule_status`): the sources' state layout and the SQL on
their tables stay in the sources.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dlt

from .errors import InstagramAuthError, InstagramError
from .schedule import TABLE as SCHEDULE_TABLE
from .warehouse_sql import literals, timestamp_literal

logger = logging.getLogger("sources.instagram")


@dataclass(frozen=True)
class StopReason:
    """What stopped a run before its work was done: a refused token (`auth`), or a server that
    is not a v1 API or is down. What was read before is loaded."""

    message: str
    auth: bool


@dataclass(frozen=True)
class LastRun:
    """The figures of the source's last extraction (source state `last_run`)."""

    requests: int = 0
    rate_limit_remaining: int | None = None
    budget_exhausted: bool = False
    work_remaining: bool = False
    entities_failed: int = 0  # reads that outlasted their retries, or whose answers were unusable
    stopped_by: StopReason | None = None
    interrupted: bool = False  # a stop was requested (SIGINT, SIGTERM)
    server_time: str | None = None  # the server's clock at the end of the run (ISO 8601)
    refreshed: dict[str, int] = field(default_factory=dict)  # reads made, per schedule kind
    counters: dict[str, dict[str, int]] = field(default_factory=dict)  # per kind of media list

    def to_state(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, saved: Mapping[str, Any] | None) -> LastRun:
        """The figures saved by `to_state` (keys this version does not know are ignored)."""
        saved = dict(saved or {})
        stopped = saved.get("stopped_by")
        if stopped:
            # before 2026-12, the reason was saved as the name of its exception class
            auth = stopped.get("auth", stopped.get("error") == InstagramAuthError.__name__)
            saved["stopped_by"] = StopReason(stopped["message"], bool(auth))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in saved.items() if key in known})


class RunStatus:
    """The live status of one source run, noted by its readers and its client (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.work_remaining = False
        self.entities_failed = 0
        self.stopped_by: InstagramError | None = None

    def work_remains(self) -> None:
        """Something this run was to read waits for a later run."""
        self.work_remaining = True

    def entity_failed(self) -> int:
        """Count an entity read that failed; returns the count."""
        with self._lock:
            self.entities_failed += 1
            return self.entities_failed

    def stop(self, reason: InstagramError) -> bool:
        """Note what stopped the run; the first reason wins (returns whether this one did)."""
        with self._lock:
            if self.stopped_by is not None:
                return False
            self.stopped_by = reason
            return True

    def last_run(
        self,
        *,
        requests: int,
        rate_limit_remaining: int | None,
        budget_exhausted: bool,
        interrupted: bool,
        sanitize: Callable[[str], str],
        **refresh: Any,
    ) -> LastRun:
        """The run's figures, for the source state (messages sanitized: no secret)."""
        stopped_by = None
        if self.stopped_by is not None:
            stopped_by = StopReason(sanitize(str(self.stopped_by)), isinstance(self.stopped_by, InstagramAuthError))
        return LastRun(
            requests=requests,
            rate_limit_remaining=rate_limit_remaining,
            budget_exhausted=budget_exhausted,
            work_remaining=self.work_remaining or budget_exhausted,
            entities_failed=self.entities_failed,
            stopped_by=stopped_by,
            interrupted=interrupted,
            **refresh,
        )


def _source_state(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The state of the pipeline's source: dlt keys it by the source's name, which is also the
    name of the pipeline's schema (`instagram`, `instagram_graph`)."""
    return pipeline.state.get("sources", {}).get(pipeline.default_schema_name or "", {})


def last_run(pipeline: dlt.Pipeline) -> LastRun:
    """The figures of the source's last extraction in `pipeline` (empty before the first)."""
    return LastRun.from_state(_source_state(pipeline).get("last_run"))


def failure_record(pipeline: dlt.Pipeline) -> tuple[list[str], list[str]]:
    """The entities of the failure record (`failures.py`), as "kind id": those given up,
    and those waiting out their backoff (read again by a later run)."""
    entities = _source_state(pipeline).get("failures", {}).get("entities", {})
    named = {key: key.replace(":", " ", 1) for key in entities}
    given_up = sorted(named[key] for key, entry in entities.items() if entry.get("gave_up"))
    waiting = sorted(named[key] for key, entry in entities.items() if not entry.get("gave_up"))
    return given_up, waiting


@dataclass(frozen=True)
class DueReads:
    """Reads of one schedule kind that are due and wait for budget."""

    due: int
    oldest_read_hours: float | None  # None: none of them was ever read
    never_read: int


@dataclass(frozen=True)
class ScheduleStatus:
    """What the refresh schedule holds at the server's time of the last run."""

    due: dict[str, DueReads] = field(default_factory=dict)
    next_due_at: str | None = None  # when the next work falls due (ISO 8601, server time)


def schedule_status(pipeline: dlt.Pipeline) -> ScheduleStatus:
    """After the load: the schedule's overdue reads per kind, and when the next one falls due.
    Empty before the first load or on a destination without SQL.

    Follow lists are left out: a list is read with its user, when the user's `crawl` row is
    due (and the list changed or reached its maximum age), never on its own due time."""
    server_time = last_run(pipeline).server_time
    if not server_time:
        return ScheduleStatus()
    now = timestamp_literal(datetime.fromisoformat(server_time))
    epoch = literals([_source_state(pipeline).get("schedule_epoch", "")])
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name(SCHEDULE_TABLE)
            of_epoch = f"epoch = {epoch} AND active AND kind NOT IN ('follows', 'followed_by')"
            rows = client.execute_sql(
                f"SELECT kind, count(*), max({now} - last_read_at), count(*) FILTER (WHERE last_read_at IS NULL)"
                f" FROM {table} WHERE {of_epoch} AND next_due_at <= {now} GROUP BY kind ORDER BY kind"
            )
            next_due = client.execute_sql(
                f"SELECT min(next_due_at) FROM {table} WHERE {of_epoch} AND next_due_at > {now}"
            )
    except Exception as error:  # noqa: BLE001 - a summary line, never a reason to fail the run
        logger.debug("no schedule status: %s", error)
        return ScheduleStatus()
    due = {
        kind: DueReads(count, None if age is None else round(age.total_seconds() / 3600, 1), never_read)
        for kind, count, age, never_read in rows or []
    }
    first = next_due[0][0] if next_due else None
    return ScheduleStatus(due, first.isoformat() if first else None)
