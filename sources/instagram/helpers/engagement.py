"""Likes and comments of media: which need a request, and reading them in parallel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .reading import SourceRun
from .shaping import Rows, merge_rows, shape_comments, shape_likes

# A job is `[media_id, "likes" | "comments"]`: JSON, so that unread jobs can wait in dlt state.
EngagementJob = list[str]
_SHAPERS = {"likes": shape_likes, "comments": shape_comments}


class Engagement:
    """Reads the likes and comments of media."""

    def __init__(self, run: SourceRun):
        self.run = run

    def jobs(self, media: list[dict[str, Any]], observed_at: datetime) -> tuple[Rows, list[EngagementJob]]:
        """The likes and comments of `media` that must be read, and rows of those that need no
        request: a zero counter, or (legacy era) a complete inline list."""
        inline: Rows = {}
        jobs: list[EngagementJob] = []
        for item in media:
            media_id = str(item["id"])
            for kind, shaper in _SHAPERS.items():
                block = item.get(kind) or {}
                count = block.get("count") or 0
                data = block.get("data")
                if count and isinstance(data, list) and len(data) >= count:
                    merge_rows(inline, shaper(media_id, data, observed_at))
                elif count:
                    jobs.append([media_id, kind])
        return inline, jobs

    def of(self, media: list[dict[str, Any]], observed_at: datetime) -> list[Rows]:
        """Likes and comments of `media`, read in parallel. Raises `BudgetExhausted` if the
        budget runs out before all are read."""
        inline, jobs = self.jobs(media, observed_at)
        return [inline, *self.run.client.map(self.read, jobs)]

    def read_queued(self, queued: list[EngagementJob]) -> Iterator[Rows]:
        """Rows of the `queued` jobs, each removed from the queue once its rows are handed on
        (unless its read failed and is retried in a later run)."""
        for job, rows in zip(list(queued), self.run.client.map(self.read, list(queued))):
            yield rows
            media_id, kind = job
            if not self.run.pending(kind, media_id):  # a failed read waits for a later run
                queued.remove(job)

    def read(self, job: EngagementJob) -> Rows:
        """Rows of one job (or its error row)."""
        media_id, kind = job
        answer, errors = self.run.detail(kind, media_id, f"/media/{media_id}/{kind}", f"GET /media/{{id}}/{kind}")
        if answer is None:
            return errors
        return _SHAPERS[kind](media_id, answer.data or [], answer.observed_at)
