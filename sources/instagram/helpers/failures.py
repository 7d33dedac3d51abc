"""Entities whose reads outlasted their retries: retried in later runs, with backoff counted in
runs, until they are given up.

State (dlt source state, `"failures"`): `{"run": n, "entities": {key: {"failed_runs", "retry_run"}}}`.
Only entities failing right now are kept (given-up ones too, checked again after ever longer
gaps), and each is dropped once read, so the state stays as small as what keeps failing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


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

    def succeeded(self, key: str) -> None:
        """`key` was read (or failed for good): forget it."""
        with self._lock:
            self._entities.pop(key, None)

    def pending(self) -> int:
        """How many entities wait for a retry."""
        with self._lock:
            return len(self._entities)
