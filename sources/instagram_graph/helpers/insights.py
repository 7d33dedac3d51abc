"""Insights (instagram-graph/API.md §2): a media's lifetime metrics, tolerant of metric churn,
an account's daily metrics, and its audience.

The metric sets change under a client: a metric retired in a version, or one a media type
lacks, fails the whole request with code 100. Such a metric is dropped for that media type and
API version, remembered in the source state (`metrics_dropped`), logged once, and the request
is sent again without it: churn never fails the run. A media seen by too few accounts answers
code 10: no insights row, and no error either.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ...common.errors import InstagramBadRequest, InstagramEntityError, InstagramPermissionError
from ...common.rows import Rows
from ...common.source_run import SourceRun
from ..settings import (
    ACCOUNT_INSIGHTS_DAYS,
    ACCOUNT_METRICS,
    DEMOGRAPHIC_BREAKDOWNS,
    FOLLOWER_DEMOGRAPHICS,
    NOT_ENOUGH_VIEWERS_CODE,
    ONLINE_FOLLOWERS,
)
from .client import GraphClient
from .shaping import account_insight_rows, demographic_rows, media_insight_rows, online_follower_rows

logger = logging.getLogger("sources.instagram_graph")


class MediaInsights:
    """The lifetime insights of media, with the metric set of each media product type."""

    def __init__(
        self, run: SourceRun, client: GraphClient, metrics: Mapping[str, Sequence[str]], dropped: dict[str, list[str]]
    ):
        """`dropped`: the metrics refused so far, by "<version>:<product type>" (source state)."""
        self.run = run
        self.client = client
        self.metrics = metrics
        self._dropped = dropped
        self._lock = threading.Lock()

    def rows_of(self, media_id: str, product_type: str) -> Rows:
        """The media's insights rows (none for a type without metrics, or too few viewers), or
        the `extraction_errors` row of a read that failed."""
        key = f"{self.client.api_version}:{product_type}"
        while metrics := self._asked(product_type, key):
            try:
                answer = self.client.get(
                    f"/{media_id}/insights", {"metric": ",".join(metrics)}, endpoint="GET /{ig-media-id}/insights"
                )
            except InstagramPermissionError as error:
                if error.code == NOT_ENOUGH_VIEWERS_CODE:
                    return {}
                return self.run.failed("media_insights", media_id, error)
            except InstagramBadRequest as error:
                if not self._drop(key, metrics, error):
                    return self.run.failed("media_insights", media_id, error)
                continue
            except InstagramEntityError as error:
                return self.run.failed("media_insights", media_id, error)
            self.run.succeeded("media_insights", media_id, answer.observed_at)
            data = answer.data if isinstance(answer.data, list) else []
            rows = media_insight_rows(data, media_id, product_type, self.client.api_version, answer.observed_at)
            return {"media_insights": rows}
        return {}

    def _asked(self, product_type: str, key: str) -> list[str]:
        with self._lock:
            dropped = set(self._dropped.get(key, ()))
        return [metric for metric in self.metrics.get(product_type, ()) if metric not in dropped]

    def _drop(self, key: str, asked: list[str], error: InstagramBadRequest) -> bool:
        """Drop the metrics the refusal names (whether any was named)."""
        named = [metric for metric in asked if re.search(rf"\b{re.escape(metric)}\b", error.api_message)]
        if not named:
            return False
        with self._lock:
            known = self._dropped.setdefault(key, [])
            new = [metric for metric in named if metric not in known]
            known.extend(new)
        for metric in new:
            logger.warning(
                "the Graph API refuses the metric %s for %s media in %s (%s): it is no longer asked for",
                metric,
                key.split(":", 1)[1],
                key.split(":", 1)[0],
                error.api_message,
            )
        return True


def account_insights(run: SourceRun, client: GraphClient, account_id: str, now: datetime) -> Rows:
    """The account's daily metrics of the last `ACCOUNT_INSIGHTS_DAYS` days (the latest keeps
    growing until its day ends, so each day is read again the next day)."""
    since = now - timedelta(days=ACCOUNT_INSIGHTS_DAYS)
    params: dict[str, Any] = {
        "metric": ",".join(ACCOUNT_METRICS),
        "period": "day",
        "since": int(since.timestamp()),
        "until": int(now.timestamp()),
    }
    answer, failed = run.detail(
        "account_insights", account_id, f"/{account_id}/insights", "GET /{ig-user-id}/insights", params
    )
    if answer is None:
        return failed
    data = answer.data if isinstance(answer.data, list) else []
    return {"account_insights": account_insight_rows(data, account_id, answer.observed_at)}


def audience(run: SourceRun, client: GraphClient, account_id: str) -> Rows:
    """The account's follower demographics (one request per breakdown) and its followers online
    per hour (one request); or the `extraction_errors` row of the first read that failed (none
    while an earlier failure's backoff lasts): the audience is read whole or not at all."""
    rows: Rows = {"audience": [], "online_followers": []}
    demographics = [
        ({"metric": FOLLOWER_DEMOGRAPHICS, "metric_type": "total_value", "breakdown": breakdown}, breakdown)
        for breakdown in DEMOGRAPHIC_BREAKDOWNS
    ]
    for params, breakdown in [*demographics, ({"metric": ONLINE_FOLLOWERS}, None)]:
        answer, failed = run.detail(
            "audience",
            account_id,
            f"/{account_id}/insights",
            "GET /{ig-user-id}/insights",
            {**params, "period": "lifetime"},
        )
        if answer is None:
            return failed
        data = answer.data if isinstance(answer.data, list) else []
        if breakdown is None:
            rows["online_followers"] += online_follower_rows(data, account_id, answer.observed_at)
        else:
            rows["audience"] += demographic_rows(data, account_id, breakdown, answer.observed_at)
    return rows
