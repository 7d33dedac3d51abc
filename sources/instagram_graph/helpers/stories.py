"""An account's stories (instagram-graph/API.md §2): the API lists a story for 24 hours only,
so each run loads those live, with their insights (which grow until the story expires)."""

from __future__ import annotations

from collections.abc import Iterator

from ...common.errors import InstagramEntityError
from ...common.rows import Rows, merge_rows
from ...common.source_run import SourceRun
from ..settings import STORY_FIELDS
from .client import GraphClient
from .insights import MediaInsights
from .shaping import story_row

STORY = "STORY"


class AccountStories:
    """Reads the live stories of the run's accounts."""

    def __init__(self, run: SourceRun, client: GraphClient, insights: MediaInsights, page_size: int):
        self.run = run
        self.client = client
        self.insights = insights
        self.page_size = page_size

    def rows_of(self, account_id: str) -> Iterator[Rows]:
        """The account's live stories and their insights, a page at a time."""
        if self.run.deferred("stories", account_id):
            return
        params = {"fields": STORY_FIELDS, "limit": self.page_size}
        try:
            for page in self.client.pages(f"/{account_id}/stories", params, endpoint="GET /{ig-user-id}/stories"):
                rows: Rows = {
                    "stories": [story_row(story, account_id, page.answer.observed_at) for story in page.items]
                }
                ids = [str(story["id"]) for story in page.items]
                for insights in self.client.map(lambda story_id: self.insights.rows_of(story_id, STORY), ids):
                    merge_rows(rows, insights)
                yield rows
        except InstagramEntityError as error:
            yield self.run.failed("stories", account_id, error)
            return
        self.run.succeeded("stories", account_id)
