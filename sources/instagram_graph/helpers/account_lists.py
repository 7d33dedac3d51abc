"""Lists an account's node has besides its media (instagram-graph/API.md §2): its stories,
which the API lists for 24 hours only, with their insights, and the media it is tagged in.

Each run reads the stories list whole (one page, usually) and a story's insights at the ages of
`STORY_INSIGHTS_AGES_HOURS` (shared refresh schedule, kind `story_insights`): they grow until
the story expires, so the last age comes just before it does, and reading them every run
would cost a request per live story per run. Each run reads the first page of the tagged
media (the newest: what was tagged since the last run), and the whole list once a day (kind
`tags`: the counters of every tagged media, and what a busier hour pushed past the first page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from ...common.errors import InstagramEntityError
from ...common.refresh_policy import aged_row, next_age
from ...common.rows import Rows, merge_rows
from ...common.schedule import Schedule
from ...common.source_run import SourceRun
from ..settings import STORY_FIELDS, STORY_INSIGHTS_AGES_HOURS, TAGGED_MEDIA_FIELDS
from .client import GraphClient, GraphPage
from .insights import MediaInsights
from .shaping import graph_time, story_row, tagged_media_row

STORY = "STORY"
STORY_INSIGHTS, TAGS = "story_insights", "tags"


class AccountLists:
    """Reads the stories and the tagged media of the run's accounts."""

    def __init__(
        self, run: SourceRun, client: GraphClient, schedule: Schedule, insights: MediaInsights, page_size: int
    ):
        self.run = run
        self.client = client
        self.schedule = schedule
        self.insights = insights
        self.page_size = page_size

    def stories(self, account_id: str) -> Iterator[Rows]:
        """The account's live stories, a page at a time, with the insights of those due."""
        parent = f"account:{account_id}"

        def rows_of(page: GraphPage) -> Rows:
            now = page.answer.observed_at
            rows: Rows = {"stories": [story_row(story, account_id, now) for story in page.items]}
            known = self.schedule.get(f"{STORY_INSIGHTS}:{story['id']}" for story in page.items)
            due = []
            for story in page.items:
                row = known.get(f"{STORY_INSIGHTS}:{story['id']}")
                created = graph_time(story.get("timestamp"))
                if row is None or row["active"]:
                    first = None if row is not None else next_age(created, created, STORY_INSIGHTS_AGES_HOURS)
                    next_due = row["next_due_at"] if row is not None else first
                    if next_due is not None and next_due <= now:
                        due.append((story, created))
                    elif row is None:  # seen, its insights due at their first age
                        merge_rows(rows, self._story_row(str(story["id"]), created, None, first, parent))
            for (story, created), insights in zip(due, self._insights_of(due), strict=True):
                merge_rows(rows, insights)
                if "extraction_errors" not in insights:
                    next_due = next_age(created, now, STORY_INSIGHTS_AGES_HOURS)
                    merge_rows(rows, self._story_row(str(story["id"]), created, now, next_due, parent))
            return rows

        def expired(listed: set[str], now: datetime) -> Rows:
            """Due stories the list no longer holds: expired, never read again."""
            rows: Rows = {}
            for row in self.schedule.due(STORY_INSIGHTS, now, parent=parent):
                if row["entity_id"] not in listed:
                    merge_rows(rows, self.schedule.write({**row, "active": False}))
            return rows

        return self._read("stories", account_id, STORY_FIELDS, rows_of, expired)

    def tags(self, account_id: str) -> Iterator[Rows]:
        """The media the account is tagged in: the first page, or the whole list when due."""
        whole = not self.schedule.not_due(TAGS, [account_id], self.client.server_now)

        def rows_of(page: GraphPage) -> Rows:
            observed_at = page.answer.observed_at
            return {"tagged_media": [tagged_media_row(media, account_id, observed_at) for media in page.items]}

        def mark_read(listed: set[str], now: datetime) -> Rows:
            return self.schedule.read_detail(TAGS, account_id, now) if whole else {}

        return self._read("tags", account_id, TAGGED_MEDIA_FIELDS, rows_of, mark_read, whole=whole)

    def _insights_of(self, due: list[tuple[dict[str, Any], datetime | None]]) -> Iterator[Rows]:
        return self.client.map(lambda pair: self.insights.rows_of(str(pair[0]["id"]), STORY), due)

    def _story_row(
        self, story_id: str, created: datetime | None, read_at: datetime | None, next_due: datetime | None, parent: str
    ) -> Rows:
        row = aged_row(
            STORY_INSIGHTS, story_id, created_at=created, read_at=read_at, next_due_at=next_due, parent=parent
        )
        return self.schedule.write(row)

    def _read(
        self,
        edge: str,
        account_id: str,
        fields: str,
        rows_of: Callable[[GraphPage], Rows],
        ended: Callable[[set[str], datetime], Rows],
        *,
        whole: bool = True,
    ) -> Iterator[Rows]:
        """The rows of each page of the account's `edge` (the first one only, unless `whole`),
        then `ended(the ids listed, the time)`; a read that fails costs that list (its
        `extraction_errors` row), and a list waiting out its backoff is skipped."""
        key = f"{edge}:{account_id}"
        if self.run.deferred("list", key):
            return
        params = {"fields": fields, "limit": self.page_size}
        listed: set[str] = set()
        now = None
        try:
            for page in self.client.pages(f"/{account_id}/{edge}", params, endpoint=f"GET /{{ig-user-id}}/{edge}"):
                listed |= {str(item.get("id")) for item in page.items}
                now = page.answer.observed_at
                yield rows_of(page)
                if not whole:
                    break
        except InstagramEntityError as error:
            yield self.run.failed("list", key, error)
            return
        self.run.succeeded("list", key)
        if now is not None:
            yield ended(listed, now)
