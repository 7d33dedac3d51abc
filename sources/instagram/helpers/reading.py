"""What every reader of one source run shares: the client, the per-entity error record, and
the rule that the budget running out ends a reader quietly (work remains)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .client import Answer, InstagramClient, local_time
from .errors import BudgetExhausted, InstagramEntityError
from .shaping import Rows, error_row

logger = logging.getLogger("sources.instagram")


class SourceRun:
    """One run of the source: its client, and the failures it recorded (logged once each)."""

    def __init__(self, client: InstagramClient):
        self.client = client
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def error(self, kind: str, entity_id: str, error: InstagramEntityError) -> Rows:
        """An `extraction_errors` row for `error`; logs it once per run."""
        row = error_row(kind, entity_id, error, error.observed_at or self.client.first_observed_at or local_time())
        with self._lock:
            first = row["error_key"] not in self._logged
            self._logged.add(row["error_key"])
        if first:
            # expected in any real graph (private users, deleted media); the row is the record
            logger.info("skipping %s %s: %s", kind, entity_id, error)
        return {"extraction_errors": [row]}

    def until_budget(self, rows: Iterable[Rows]) -> Iterator[Rows]:
        """`rows` until the budget runs out; then the run ends normally with work remaining."""
        try:
            yield from rows
        except BudgetExhausted:
            self.client.work_remaining = True

    def detail(
        self, kind: str, entity_id: str, path: str, endpoint: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Answer | None, Rows]:
        """GET one object; on a per-entity failure, the error row instead."""
        try:
            return self.client.get(path, params, endpoint=endpoint), {}
        except InstagramEntityError as error:
            return None, self.error(kind, entity_id, error)
