"""The rate budget: what a client asks of it (`PacingBudget`), and v1's, the share of the
token's hourly allowance one run may spend (`RateBudget`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Protocol

from .errors import BudgetExhausted


class PacingBudget(Protocol):
    """What the HTTP core asks of a run's budget: a turn before each request, the answer's
    headers after it, and to be spent when the server refused for throttling."""

    exhausted: bool
    remaining: int | None  # what is left, as the summary shows it (None: unknown)

    def acquire(self) -> None:
        """Reserve one request or raise `BudgetExhausted`."""

    def release(self, headers: Mapping[str, str] | None) -> None:
        """Return a reservation and learn from the answer's headers (None: no answer)."""

    def run_out(self) -> None:
        """Mark the budget as spent."""


class RateBudget:
    """Spends at most `share` of the token's hourly allowance, as reported by the server.

    `X-Ratelimit-Remaining` is the truth; requests in flight are reserved so that parallel
    workers never overshoot. Until the first answer the allowance is unknown and one request
    at a time is let through.
    """

    def __init__(self, share: float):
        if not 0.0 < share <= 1.0:
            raise ValueError(f"budget_share must be in (0, 1], got {share}")
        self.share = share
        self.limit: int | None = None
        self.remaining: int | None = None
        self.exhausted = False
        self._in_flight = 0
        self._lock = threading.Condition()

    def acquire(self) -> None:
        """Reserve one request or raise `BudgetExhausted`."""
        with self._lock:
            while self.remaining is None and self._in_flight and not self.exhausted:
                self._lock.wait()  # the first answer tells us the allowance
            if self.exhausted or not self._affordable():
                self.exhausted = True
                raise BudgetExhausted()
            self._in_flight += 1

    def release(self, headers: Mapping[str, str] | None) -> None:
        """Return a reservation and learn the allowance from the answer's headers."""
        with self._lock:
            self._in_flight -= 1
            if headers is not None:
                limit = _int_header(headers, "X-Ratelimit-Limit")
                remaining = _int_header(headers, "X-Ratelimit-Remaining")
                if limit is not None and remaining is not None:
                    self.limit = limit
                    # answers may arrive out of order: the lowest figure is the latest truth
                    self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)
            self._lock.notify_all()

    def run_out(self) -> None:
        """Mark the budget as spent (the server said 429 even after backing off)."""
        with self._lock:
            self.exhausted = True
            self._lock.notify_all()

    def _affordable(self) -> bool:
        if self.remaining is None or self.limit is None:
            return True
        reserve = self.limit * (1.0 - self.share)
        return self.remaining - self._in_flight > reserve


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, TypeError, ValueError):
        return None
