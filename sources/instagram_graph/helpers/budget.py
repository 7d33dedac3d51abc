"""The Graph API's budget: usage as the server reports it, in per cent of the limit
(instagram-graph/API.md §5), instead of v1's count of requests left."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from ...common.errors import BudgetExhausted
from ...common.http_client import stop_requested, wait_unless_stopped
from ..settings import MAX_PACING_PAUSE_SECONDS, PACING_FROM_SHARE

logger = logging.getLogger("sources.instagram_graph")


class UsageBudget:
    """Spends usage up to `share` of the limit: `X-Business-Use-Case-Usage` (per account) and
    `X-App-Usage` (per app) say how much of it is used, as the highest of `call_count`,
    `total_cputime` and `total_time`. Past `PACING_FROM_SHARE` of the share each request waits
    a little longer (up to `MAX_PACING_PAUSE_SECONDS`), so a run slows down before it has to
    stop; at the share, or once the server throttles, the run stops cleanly and the next one
    continues."""

    def __init__(self, share: float):
        if not 0.0 < share <= 1.0:
            raise ValueError(f"budget_share must be in (0, 1], got {share}")
        self.share = share
        self.usage: int | None = None  # per cent of the limit used, as the latest answer said
        self.exhausted = False
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int | None:
        """Per cent of the limit this run may still use (None before the first answer)."""
        return None if self.usage is None else max(0, round(100 * self.share) - self.usage)

    def acquire(self) -> None:
        """Wait the pacing pause, or raise `BudgetExhausted` once the share is used."""
        with self._lock:
            if self.exhausted:
                raise BudgetExhausted()
            pause = self._pause()
        if pause and not stop_requested():
            wait_unless_stopped(pause)

    def release(self, headers: Mapping[str, str] | None) -> None:
        """Learn the usage from an answer's headers; spent once it reaches the share."""
        if headers is None:
            return
        usage, regain_minutes = _usage(headers)
        if usage is None:
            return
        with self._lock:
            self.usage = usage
            if self.exhausted:
                return
            if regain_minutes:
                self._spend(
                    f"the Graph API throttles this account (estimated_time_to_regain_access: {regain_minutes} minutes)"
                )
            elif usage >= 100 * self.share:
                self._spend(
                    f"the Graph API usage reached {usage} % of the limit, this run's share being {self.share:.0%}"
                )

    def throttled(self, regain_minutes: int | None) -> None:
        """The server refused a request for throttling (§4): the budget is spent."""
        with self._lock:
            if not self.exhausted:
                minutes = "unknown" if regain_minutes is None else f"{regain_minutes} minutes"
                self._spend(f"the Graph API throttles this app or account (estimated_time_to_regain_access: {minutes})")

    def run_out(self) -> None:
        with self._lock:
            if not self.exhausted:
                self._spend("the Graph API kept refusing requests for throttling")

    def _spend(self, why: str) -> None:
        """Mark the budget spent (the lock held), saying why once."""
        self.exhausted = True
        logger.warning("%s: stopping; what was read is loaded and the next run continues", why)

    def _pause(self) -> float:
        if self.usage is None:
            return 0.0
        stop_at = 100 * self.share
        pace_from = stop_at * PACING_FROM_SHARE
        if self.usage <= pace_from:
            return 0.0
        return MAX_PACING_PAUSE_SECONDS * min(1.0, (self.usage - pace_from) / (stop_at - pace_from)) ** 2


def _usage(headers: Mapping[str, str]) -> tuple[int | None, int]:
    """The highest usage in per cent the headers report, and the minutes until access is
    regained (0: not throttled)."""
    figures: list[Mapping[str, Any]] = []
    app = _json_header(headers, "X-App-Usage")
    if isinstance(app, dict):
        figures.append(app)
    business = _json_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(business, dict):
        figures += [entry for entries in business.values() if isinstance(entries, list) for entry in entries]
    usage: int | None = None
    regain = 0
    for figure in figures:
        if not isinstance(figure, dict):
            continue
        for name in ("call_count", "total_cputime", "total_time"):
            value = _number(figure.get(name))
            if value is not None:
                usage = max(usage or 0, value)
        regain = max(regain, _number(figure.get("estimated_time_to_regain_access")) or 0)
    return usage, regain


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    try:
        return json.loads(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
