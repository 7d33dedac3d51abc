"""Counters, likes and comments of media: which need a request (by the refresh schedule),
and reading them in parallel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .reading import SourceRun
from .schedule import Schedule, schedule_row
from .shaping import Rows, merge_rows, shape_comments, shape_likes

# A job is `[media_id, "likes" | "comments", counter, created (unix s), parent]`: JSON, so that
# unread jobs can wait in dlt state.
EngagementJob = list[Any]
_SHAPERS = {"likes": shape_likes, "comments": shape_comments}


def created_at(item: dict[str, Any]) -> datetime | None:
    """When a media was posted (None if the API did not say)."""
    try:
        return datetime.fromtimestamp(int(item["created_time"]), UTC)
    except (KeyError, TypeError, ValueError):
        return None


class Engagement:
    """Decides and reads the likes and comments of media, and schedules their counters.

    Every sighting of a media (a list page, a lookup) refreshes its counters and writes its
    `counters` row, due again at the next of the engagement ages after posting. Its likers and
    comments are read when first seen with a non-zero counter, and later only when their row is
    due *and* the counter changed since their last read; a due row whose counter did not change
    is moved to the next age without a request (one like plus one unlike is the blind spot).
    """

    def __init__(self, run: SourceRun, schedule: Schedule):
        self.run = run
        self.schedule = schedule

    def jobs(self, media: list[dict[str, Any]], observed_at: datetime, parent: str) -> tuple[Rows, list[EngagementJob]]:
        """The likes and comments of `media` that must be read, and rows that need no
        request: schedule rows, and (legacy era) complete inline lists."""
        rows: Rows = {}
        jobs: list[EngagementJob] = []
        policy = self.schedule.policy
        known = self.schedule.get(f"{kind}:{item['id']}" for item in media for kind in _SHAPERS)
        for item in media:
            media_id = str(item["id"])
            created = created_at(item)
            due = policy.media_due(created, observed_at)
            counters = schedule_row(
                "counters",
                media_id,
                read_at=observed_at,
                next_due_at=due,
                created_at=created,
                parent=parent,
                active=due is not None,
            )
            merge_rows(rows, self.schedule.write(counters))
            for kind, shaper in _SHAPERS.items():
                block = item.get(kind) or {}
                count = int(block.get("count") or 0)
                data = block.get("data")
                row = known.get(f"{kind}:{media_id}")
                if row is not None and not (row["active"] and row["next_due_at"] and row["next_due_at"] <= observed_at):
                    continue  # read before and not due yet
                if row is None and count == 0 or row is not None and row["last_count"] == count:
                    # nothing to read (yet), or unchanged since the last read: due at the next age
                    read_at = None if row is None else row["last_read_at"]
                    merge_rows(rows, self._row(kind, media_id, count, created, parent, read_at, observed_at))
                elif isinstance(data, list) and len(data) >= count:
                    merge_rows(rows, shaper(media_id, data, observed_at))
                    merge_rows(rows, self._row(kind, media_id, count, created, parent, observed_at, observed_at))
                else:
                    epoch = None if created is None else int(created.timestamp())
                    jobs.append([media_id, kind, count, epoch, parent])
        return rows, jobs

    def of(self, media: list[dict[str, Any]], observed_at: datetime, parent: str) -> list[Rows]:
        """Rows of `media`'s due likes and comments, read in parallel. Raises
        `BudgetExhausted` if the budget runs out before all are read."""
        rows, jobs = self.jobs(media, observed_at, parent)
        return [rows, *self.run.client.map(self.read, jobs)]

    def read_queued(self, queued: list[EngagementJob]) -> Iterator[Rows]:
        """Rows of the `queued` jobs, each removed from the queue once its rows are handed on
        (unless its read failed and is retried in a later run)."""
        for job, rows in zip(list(queued), self.run.client.map(self.read, list(queued))):
            yield rows
            media_id, kind = job[:2]
            if not self.run.pending(kind, media_id):  # a failed read waits for a later run
                queued.remove(job)

    def read(self, job: EngagementJob) -> Rows:
        """Rows of one job (or its error row), with its schedule row once read."""
        media_id, kind, count, epoch, parent = [*job, None, None, None][:5]
        answer, errors = self.run.detail(kind, media_id, f"/media/{media_id}/{kind}", f"GET /media/{{id}}/{kind}")
        created = None if epoch is None else datetime.fromtimestamp(epoch, UTC)
        if answer is None:
            if self.run.pending(kind, media_id):
                return errors  # retried in a later run
            # refused or given up: asked again only at a later age, and if its counter changed
            now = self.run.client.server_now(probe=False) or datetime.now(UTC)
            return merge_rows(errors, self._row(kind, media_id, count, created, parent, None, now))
        rows = _SHAPERS[kind](media_id, answer.data or [], answer.observed_at)
        return merge_rows(
            rows, self._row(kind, media_id, count, created, parent, answer.observed_at, answer.observed_at)
        )

    def _row(
        self,
        kind: str,
        media_id: str,
        count: int | None,
        created: datetime | None,
        parent: str | None,
        read_at: datetime | None,
        now: datetime,
    ) -> Rows:
        due = self.schedule.policy.media_due(created, now)
        row = schedule_row(
            kind,
            media_id,
            read_at=read_at,
            next_due_at=due,
            created_at=created,
            last_count=count,
            parent=parent,
            active=due is not None,
        )
        return self.schedule.write(row)
