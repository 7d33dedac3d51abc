"""Entities whose reads outlasted their retries: retried in later runs, with backoff counted in
runs, until they are given up.

State (dlt source state, `"failures"`): `{"run": n, "entities": {key: {"failed_runs", "retry_run"}},
"open": {key: {error_type: extraction_errors row}}}`. Only entities failing right now are kept
(given-up ones too, checked again after ever longer gaps), and each is dropped once read, so the
state stays as small as what keeps failing. `open` holds the `extraction_errors` rows of entities
not read since they failed (refusals too, at most `MAX_OPEN_REFUSALS` of them), so that the read
that succeeds can write them again with `resolved_at` set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import InstagramEntityError
from .redaction import shorten

# Refused entities (unknown, private, deleted: not retried) whose open rows are remembered; the
# oldest are forgotten beyond it (their rows stay open), so that refusals never read again (a
# deleted media) do not grow the state for ever. Reads that outlast their retries are always
# remembered: they are in `entities` anyway.
MAX_OPEN_REFUSALS = 2_000
# An open row's message as remembered (a message can name a path of any length).
MAX_REMEMBERED_MESSAGE_CHARS = 1_000


@dataclass(frozen=True)
class Verdict:
    """What a failed read means for its entity."""

    failed_runs: int
    gave_up: bool
    retry_run: int | None  # the run that reads it again (None once given up)


class Failures:
    """The failure record of one source run, over the state that keeps it across runs."""

    def __init__(self, state: dict[str, Any], max_failed_runs: int):
        self.run = state.get("run", 0) + 1
        state["run"] = self.run
        self._entities: dict[str, dict[str, int]] = state.setdefault("entities", {})
        self._open: dict[str, dict[str, dict[str, Any]]] = state.setdefault("open", {})
        self.max_failed_runs = max_failed_runs
        self._lock = threading.Lock()

    def deferred(self, key: str) -> bool:
        """Whether `key` failed before and is not due again in this run."""
        with self._lock:
            entry = self._entities.get(key)
            return entry is not None and entry["retry_run"] > self.run

    def failed(self, key: str) -> Verdict:
        """Record that `key` failed in this run (once per run, however often it is asked)."""
        with self._lock:
            entry = self._entities.setdefault(key, {"failed_runs": 0, "retry_run": 0, "last_run": 0})
            if entry["last_run"] != self.run:
                entry["failed_runs"] += 1
                entry["last_run"] = self.run
                # backoff in runs: the next run, then skip 1, 3, 7, ... runs
                entry["retry_run"] = self.run + 2 ** (entry["failed_runs"] - 1)
            if entry["failed_runs"] >= self.max_failed_runs:
                entry["gave_up"] = True
                # given up, but not forgotten: an entity read every run (a media list) would
                # otherwise start again at one failed run; it is checked again after ever
                # longer gaps, and dropped once it is read
                return Verdict(entry["failed_runs"], True, None)
            return Verdict(entry["failed_runs"], False, entry["retry_run"])

    def given_up(self, key: str) -> bool:
        """Whether the source gave up reading `key` (it is only checked again, rarely)."""
        with self._lock:
            return bool(self._entities.get(key, {}).get("gave_up"))

    def succeeded(self, key: str) -> list[dict[str, Any]]:
        """`key` was read: forget it; returns the `extraction_errors` rows it had open (each
        with its `observed_at`), to be written again as resolved."""
        with self._lock:
            self._entities.pop(key, None)
            rows = self._open.pop(key, None)
        if not rows:
            return []
        return [{**row, "observed_at": datetime.fromisoformat(row["observed_at"])} for row in rows.values()]

    def forget(self, key: str) -> None:
        """`key` failed for good (a refusal): no retry; its open rows stay open."""
        with self._lock:
            self._entities.pop(key, None)

    def opened(self, key: str, row: dict[str, Any]) -> None:
        """Remember the `extraction_errors` row (open: `resolved_at` NULL) written for `key`."""
        remembered = {column: value for column, value in row.items() if column != "resolved_at"}
        remembered["observed_at"] = row["observed_at"].isoformat()
        remembered["message"] = shorten(str(row["message"]), MAX_REMEMBERED_MESSAGE_CHARS)
        with self._lock:
            rows = self._open.pop(key, {})  # re-inserted: the newest last
            rows[row["error_type"]] = remembered
            self._open[key] = rows
            if len(self._open) > MAX_OPEN_REFUSALS:  # else there are not too many refusals
                refusals = [other for other in self._open if other not in self._entities]
                for oldest in refusals[: max(0, len(refusals) - MAX_OPEN_REFUSALS)]:
                    del self._open[oldest]

    def pending(self) -> int:
        """How many entities wait for a retry."""
        with self._lock:
            return len(self._entities)


def error_row(
    kind: str,
    entity_id: str,
    error: InstagramEntityError,
    observed_at: datetime,
    failed_runs: int | None = None,
    gave_up: bool | None = None,
    resolved_at: datetime | None = None,
) -> dict[str, Any]:
    """An `extraction_errors` row (one per entity, kind and error type); `failed_runs` and
    `gave_up` only for a read that outlasted its retries; `resolved_at` NULL: the failure is
    open (`SourceRun.succeeded` writes the row again, resolved, once its entity is read)."""
    return {
        "error_key": f"{kind}:{entity_id}:{error.error_type}",
        "entity_kind": kind,
        "entity_id": entity_id,
        "endpoint": error.endpoint,
        "error_type": error.error_type,
        "message": error.api_message or str(error),
        "attempts": getattr(error, "attempts", 1),
        "failed_runs": failed_runs,
        "gave_up": gave_up,
        "observed_at": observed_at,
        "resolved_at": resolved_at,
    }
