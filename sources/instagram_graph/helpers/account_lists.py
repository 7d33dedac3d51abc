"""Lists an account's node has besides its media (instagram-graph/API.md §2), read whole each
run: its stories, which the API lists for 24 hours only (with their insights, which grow until
the story expires), and the media it is tagged in."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ...common.errors import InstagramEntityError
from ...common.rows import Rows, merge_rows
from ...common.source_run import SourceRun
from ..settings import STORY_FIELDS, TAGGED_MEDIA_FIELDS
from .client import GraphClient, GraphPage
from .insights import MediaInsights
from .shaping import story_row, tagged_media_row

STORY = "STORY"


class AccountLists:
    """Reads the stories and the tagged media of the run's accounts."""

    def __init__(self, run: SourceRun, client: GraphClient, insights: MediaInsights, page_size: int):
        self.run = run
        self.client = client
        self.insights = insights
        self.page_size = page_size

    def stories(self, account_id: str) -> Iterator[Rows]:
        """The account's live stories and their insights, a page at a time."""

        def rows_of(page: GraphPage) -> Rows:
            rows: Rows = {"stories": [story_row(story, account_id, page.answer.observed_at) for story in page.items]}
            ids = [str(story["id"]) for story in page.items]
            for insights in self.client.map(lambda story_id: self.insights.rows_of(story_id, STORY), ids):
                merge_rows(rows, insights)
            return rows

        return self._read("stories", account_id, STORY_FIELDS, rows_of)

    def tags(self, account_id: str) -> Iterator[Rows]:
        """The media the account is tagged in, a page at a time."""

        def rows_of(page: GraphPage) -> Rows:
            return {
                "tagged_media": [tagged_media_row(media, account_id, page.answer.observed_at) for media in page.items]
            }

        return self._read("tags", account_id, TAGGED_MEDIA_FIELDS, rows_of)

    def _read(self, edge: str, account_id: str, fields: str, rows_of: Callable[[GraphPage], Rows]) -> Iterator[Rows]:
        """The rows of each page of the account's `edge`; a read that fails costs that list
        (its `extraction_errors` row), and a list waiting out its backoff is skipped."""
        key = f"{edge}:{account_id}"
        if self.run.deferred("list", key):
            return
        params = {"fields": fields, "limit": self.page_size}
        try:
            for page in self.client.pages(f"/{account_id}/{edge}", params, endpoint=f"GET /{{ig-user-id}}/{edge}"):
                yield rows_of(page)
        except InstagramEntityError as error:
            yield self.run.failed("list", key, error)
            return
        self.run.succeeded("list", key)
