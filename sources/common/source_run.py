"""What every reader of one source run shares: the client, the per-entity failure record, and
the rule that the budget running out (or the run stopping) ends a reader quietly."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import dlt

from .errors import BudgetExhausted, InstagramBadAnswer, InstagramEntityError, InstagramRetriesExhausted
from .failures import Failures, error_row
from .http_client import Answer, HttpClient, RunClient, local_time
from .rows import Rows
from .schedule import Schedule, refresh_summary

logger = logging.getLogger("sources.instagram")


class SourceRun:
    """One run of the source: its client, and the failures it recorded (logged once each).

    A refusal (unknown, private, deleted) is final: its entity is done. A read that outlasted
    its retries, or an answer that cannot be used (`InstagramBadAnswer`: a looping cursor, an
    oversized page, ...), concerns its entity only: it is recorded, the entity stays pending
    (readers with bookmarks keep them), and later runs read it again with backoff until
    `max_failed_runs` (asking again at once would get the same answer; a later run may not).
    """

    def __init__(self, client: RunClient, *, max_failed_runs: int, failure_state: dict[str, Any] | None = None):
        """`failure_state`: where the failure record lives; by default dlt's source state."""
        self.client = client
        self.status = client.status  # the run's status, which the client notes into as well
        self.max_failed_runs = max_failed_runs
        self._failure_state = failure_state
        self._failures: Failures | None = None
        self._pending: set[str] = set()
        self._logged: set[str] = set()
        self._resolved: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @property
    def failures(self) -> Failures:
        """The failure record, from source state (so only inside the extract step)."""
        with self._lock:
            if self._failures is None:
                state = self._failure_state
                if state is None:
                    state = dlt.current.source_state().setdefault("failures", {})
                self._failures = Failures(state, self.max_failed_runs)
            return self._failures

    def deferred(self, kind: str, entity_id: str) -> bool:
        """Whether this entity failed in an earlier run and waits for a later one; if so it
        stays pending (readers keep its bookmarks)."""
        key = f"{kind}:{entity_id}"
        if not self.failures.deferred(key):
            return False
        with self._lock:
            self._pending.add(key)
        if not self.failures.given_up(key):  # a given-up read is no work that remains
            self.status.work_remains()
        return True

    def pending(self, kind: str, entity_id: str) -> bool:
        """Whether this entity failed (or was deferred) in this run and will be read again."""
        with self._lock:
            return f"{kind}:{entity_id}" in self._pending

    def succeeded(self, kind: str, entity_id: str, observed_at: datetime | None = None) -> None:
        """The entity was read (at `observed_at`, the server's time; by default that of its
        latest answer): forget any earlier failure, and resolve the `extraction_errors` rows
        it had open (written again with `resolved_at`, by `take_resolved`)."""
        key = f"{kind}:{entity_id}"
        rows = self.failures.succeeded(key)
        if not rows:
            return
        resolved_at = observed_at or self.client.server_now(probe=False) or local_time()
        with self._lock:
            self._resolved += [{**row, "resolved_at": resolved_at} for row in rows]
        types = ", ".join(sorted(row["error_type"] for row in rows))
        logger.info("resolved %s %s: read after failing (%s)", kind, entity_id, types)

    def take_resolved(self) -> Rows:
        """The rows `read` resolved since the last call."""
        with self._lock:
            rows, self._resolved = self._resolved, []
        return {"extraction_errors": rows} if rows else {}

    def failed(self, kind: str, entity_id: str, error: InstagramEntityError) -> Rows:
        """The `extraction_errors` row for `error`, with the entity's fate; logs it once per run."""
        key = f"{kind}:{entity_id}"
        observed_at = error.observed_at or self.client.first_observed_at or local_time()
        if isinstance(error, InstagramRetriesExhausted | InstagramBadAnswer):
            verdict = self.failures.failed(key)
            row = error_row(kind, entity_id, error, observed_at, verdict.failed_runs, verdict.gave_up)
            if not isinstance(error, InstagramRetriesExhausted):  # the client counted those
                self.status.entity_failed()
            if not verdict.gave_up:
                with self._lock:
                    self._pending.add(key)
                self.status.work_remains()
            fate = (
                f"gave up after {verdict.failed_runs} failed runs"
                if verdict.gave_up
                else f"failed runs: {verdict.failed_runs}; read again in run {verdict.retry_run}"
            )
            level = logging.ERROR if verdict.gave_up else logging.WARNING
        else:
            self.failures.forget(key)
            row = error_row(kind, entity_id, error, observed_at)
            # expected in any real graph (private users, deleted media); the row is the record
            fate, level = "skipping", logging.INFO
        self.failures.opened(key, row)  # open until the entity is read
        with self._lock:
            first = row["error_key"] not in self._logged
            self._logged.add(row["error_key"])
        if first:
            logger.log(level, "%s %s %s: %s", fate, kind, entity_id, error)
        return {"extraction_errors": [row]}

    def until_budget(self, rows: Iterable[Rows]) -> Iterator[Rows]:
        """`rows` until the budget runs out or the run stops; then the reader ends normally,
        with work remaining."""
        try:
            yield from rows
        except BudgetExhausted:
            self.status.work_remains()

    def detail(
        self, kind: str, entity_id: str, path: str, endpoint: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Answer | None, Rows]:
        """GET one object; on a per-entity failure (or while its retry is deferred), None and
        the error rows instead."""
        if self.deferred(kind, entity_id):
            return None, {}
        try:
            answer = self.client.get(path, params, endpoint=endpoint)
        except InstagramEntityError as error:
            return None, self.failed(kind, entity_id, error)
        self.succeeded(kind, entity_id, answer.observed_at)
        return answer, {}


def begin_resource(run: SourceRun, schedule: Schedule) -> None:
    """What every resource does first, on dlt's thread (dlt's context exists there only), before
    any worker needs it: load the failure record from the source state and the schedule from the
    warehouse; while the warehouse cannot be read, what is scheduled waits for the next run."""
    run.failures  # noqa: B018 - loaded here, on dlt's thread
    schedule.bind()
    if schedule.unavailable:
        run.status.work_remains()


def end_resource(client: HttpClient, schedule: Schedule) -> None:
    """What every resource does last: the run's figures so far, in the source state (the last
    resource to end writes the run's)."""
    dlt.current.source_state()["last_run"] = client.last_run(**refresh_summary(schedule, client)).to_state()
