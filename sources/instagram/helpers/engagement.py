"""Counters, likes and comments of media: what a sighting of a media loads, which reads
need a request (by the refresh schedule), and reading them in parallel."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ...common.http_client import Answer
from ...common.refresh_policy import aged_row, is_due
from ...common.rows import Rows, merge_rows
from ...common.schedule import Schedule
from ...common.source_run import SourceRun
from .paths import api_path
from .shaping import shape_comments, shape_likes, shape_media

# A job is `[media_id, "likes" | "comments", counter, created (unix s), parent]`: JSON, so that
# unread jobs can wait in dlt state.
EngagementJob = list[Any]
_SHAPERS = {"likes": shape_likes, "comments": shape_comments}
# Which list refreshes the counters of a media that several lists show (by the kind of list, the
# part of its key before ':'): the seeds' own media first, then the feed, then the rest.
LIST_PRIORITY = ("user", "feed", "liked", "location", "tag", "geography", "popular", "media_details")


def list_rank(parent: str | None) -> tuple[int, str]:
    """The order in which lists claim a media's counters (the lowest first; ties by key)."""
    kind = (parent or "").split(":", 1)[0]
    return (LIST_PRIORITY.index(kind) if kind in LIST_PRIORITY else len(LIST_PRIORITY), parent or "")


def _keep_first_list(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """A `counters` row that stays with the list of highest priority that showed its media,
    whichever list showed it first (lists are read side by side)."""
    if old is not None and old["parent"] and list_rank(old["parent"]) < list_rank(new["parent"]):
        return {**new, "parent": old["parent"]}
    return new


def created_at(item: dict[str, Any]) -> datetime | None:
    """When a media was posted (None if the API did not say)."""
    try:
        return datetime.fromtimestamp(int(item["created_time"]), UTC)
    except (KeyError, TypeError, ValueError):
        return None


def content_fingerprint(rows: Rows) -> int:
    """A stable 63-bit fingerprint of a media's rows, whatever the moment they were observed:
    equal fingerprints mean nothing to load."""
    unobserved = {
        table: [{k: v for k, v in row.items() if k not in ("observed_at", "snapshot_key")} for row in table_rows]
        for table, table_rows in rows.items()
    }
    text = json.dumps(unobserved, sort_keys=True, default=str)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


class Engagement:
    """Loads what sightings of media show, decides and reads their likes and comments, and
    schedules their counters.

    Every sighting of a media (a list page, a lookup), in any list, writes its `counters` row:
    confirmed now, due again at the next of the engagement ages after posting, with the
    fingerprint of the media's rows in `last_count`. The media's rows (its counters snapshot in
    `media_counts` among them) are loaded only when that fingerprint changed, or on first sight:
    hourly runs that see the same media again load nothing new.

    For the media of the engagement lists, likers and comments are read when first seen with a
    non-zero counter, and later only when their row is due *and* the counter changed since
    their last read; a due row whose counter did not change is moved to the next age without a
    request (one like plus one unlike is the blind spot).
    """

    def __init__(self, run: SourceRun, schedule: Schedule):
        self.run = run
        self.schedule = schedule

    def sighted(self, media: list[dict[str, Any]], observed_at: datetime, parent: str) -> Rows:
        """Rows of `media` seen at `observed_at` in the list `parent`: each media's rows if they
        changed since they were last loaded, and every media's `counters` schedule row."""
        rows: Rows = {}
        policy = self.schedule.policy
        for item in media:
            media_id = str(item["id"])
            shaped = shape_media(item, observed_at)
            fingerprint = content_fingerprint(shaped)
            created = created_at(item)
            due = policy.media_due(created, observed_at)
            counters = aged_row(
                "counters",
                media_id,
                created_at=created,
                read_at=observed_at,
                next_due_at=due,
                parent=parent,
                last_count=fingerprint,
            )
            schedule_rows, loaded = self.schedule.replace(counters, _keep_first_list)
            if loaded is None or loaded["last_count"] != fingerprint:
                merge_rows(rows, shaped)
            merge_rows(rows, schedule_rows)
        return rows

    def looked_up(self, media_id: str, parent: str) -> tuple[Answer | None, Rows]:
        """One media read by id because its counters are due and no list page showed it: its
        answer (None if it failed) and its rows. A media deleted or hidden is not looked up
        again."""
        answer, errors = self.run.detail(
            "media", media_id, api_path("/media/{media}", media=media_id), "GET /media/{id}"
        )
        if answer is not None:
            return answer, self.sighted([answer.data], answer.observed_at, parent)
        if not self.run.pending("media", media_id):
            (row,) = self.schedule.get([f"counters:{media_id}"]).values()
            merge_rows(errors, self.schedule.write({**row, "active": False, "next_due_at": None}))
        return None, errors

    def jobs(self, media: list[dict[str, Any]], observed_at: datetime, parent: str) -> tuple[Rows, list[EngagementJob]]:
        """The likes and comments of `media` that must be read, and rows that need no
        request: schedule rows, and (legacy era) complete inline lists."""
        rows: Rows = {}
        jobs: list[EngagementJob] = []
        known = self.schedule.get(f"{kind}:{item['id']}" for item in media for kind in _SHAPERS)
        for item in media:
            media_id = str(item["id"])
            created = created_at(item)
            for kind, shaper in _SHAPERS.items():
                block = item.get(kind) or {}
                count = int(block.get("count") or 0)
                data = block.get("data")
                row = known.get(f"{kind}:{media_id}")
                if row is not None and not is_due(row, observed_at):
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
        return [rows, *self.run.client.map(self.rows_of, jobs)]

    def read_queued(self, queued: list[EngagementJob]) -> Iterator[Rows]:
        """Rows of the `queued` jobs, each removed from the queue once its rows are handed on
        (unless its read failed and is retried in a later run)."""
        for job, rows in zip(list(queued), self.run.client.map(self.rows_of, list(queued))):
            yield rows
            media_id, kind = job[:2]
            if not self.run.pending(kind, media_id):  # a failed read waits for a later run
                queued.remove(job)

    def rows_of(self, job: EngagementJob) -> Rows:
        """Rows of one job (or its error row), with its schedule row once read."""
        media_id, kind, count, epoch, parent = [*job, None, None, None][:5]
        path = api_path(f"/media/{{media}}/{kind}", media=media_id)
        answer, errors = self.run.detail(kind, media_id, path, f"GET /media/{{id}}/{kind}")
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
        row = aged_row(
            kind, media_id, created_at=created, read_at=read_at, next_due_at=due, parent=parent, last_count=count
        )
        return self.schedule.write(row)
