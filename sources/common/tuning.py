"""How a source reads, as against what it reads: the settings both sources share, in their own
config section, `[sources.<source>.tuning]` (e.g. `SOURCES__INSTAGRAM__TUNING__WORKERS=4`).
Each source adds its own (`sources.instagram.settings.InstagramTuning`)."""

from __future__ import annotations

import dlt
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration

from .settings import (
    DEFAULT_BUDGET_SHARE,
    DEFAULT_FAILURE_MAX_RUNS,
    DEFAULT_REQUEST_ATTEMPTS,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY_BACKOFF_SECONDS,
    DEFAULT_WORKERS,
)
from .validation import InstagramConfigError, check_numbers


@configspec
class Tuning(BaseConfiguration):
    """The pace, retries and failure bookkeeping of a source's requests.

    budget_share: share of the API's request allowance this source may spend.
    request_timeout, request_attempts: per request, before the read fails.
    retry_backoff_seconds: base of the exponential backoff (with jitter) between attempts.
    workers: parallel requests.
    failure_max_runs: runs in which a read may outlast its retries before it is given up (it is
        retried in the next run, then after skipping 1, 3, 7, ... runs).
    """

    budget_share: float = DEFAULT_BUDGET_SHARE
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    request_attempts: int = DEFAULT_REQUEST_ATTEMPTS
    retry_backoff_seconds: float = DEFAULT_RETRY_BACKOFF_SECONDS
    workers: int = DEFAULT_WORKERS
    failure_max_runs: int = DEFAULT_FAILURE_MAX_RUNS

    def checked(self, source: str) -> Tuning:
        """These settings, once each is in range; raises `InstagramConfigError` for one out of
        range, and for one still set where it was before it moved to `[sources.<source>.tuning]`
        (dlt would ignore it: the run would quietly use the default)."""
        moved = [name for name in dict(self) if dlt.config.get(f"sources.{source}.{name}") is not None]
        if moved:
            where = ", ".join(f"sources.{source}.{name}" for name in moved)
            raise InstagramConfigError(
                f"{where}: these settings moved to [sources.{source}.tuning] (environment:"
                f" SOURCES__{source.upper()}__TUNING__{moved[0].upper()}); move them there"
            )
        check_numbers(dict(self))
        return self
