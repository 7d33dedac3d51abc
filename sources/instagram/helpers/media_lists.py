"""Newest-first media lists (a user's media, a tag feed, ...): incremental passes that survive
being cut short."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .client import InstagramClient, Page
from .engagement import Engagement, EngagementJob
from .errors import BudgetExhausted, InstagramEntityError
from .reading import SourceRun
from .shaping import Rows, location_row, merge_rows, shape_media, tag_row


@dataclass
class MediaList:
    """One newest-first media list (a user's media, a tag feed, ...) and how to read it.

    State (a dict kept in dlt resource state, JSON only, no URL):
      `marker`: id of the newest item of the last completed pass: a later pass stops there.
      `resume`: a pass cut short by the budget: `{"cursor", "top", "stop_at"}`.

    A run first finishes a pass that was cut short (from its saved cursor down to its
    `stop_at`), then reads from the top down to the newest marker. Nothing is skipped when a
    run stops early: the marker only moves once the pass below it is complete, so a repeat
    run with nothing new costs one request. The page that reaches the marker is handed out
    whole: the known media on it come with fresh counters at no extra cost.
    """

    key: str
    path: str
    family: str
    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)

    def read(self, client: InstagramClient, state: dict[str, Any]) -> Iterator[Page]:
        """Pages of new items; updates `state` as pages are handed out."""
        try:
            resume = state.get("resume")
            if resume:
                yield from self._pass(client, state, resume["cursor"], resume["stop_at"], resume["top"])
                state["marker"] = resume["top"]
                state.pop("resume", None)
            yield from self._pass(client, state, None, state.get("marker"), None)
        except BudgetExhausted:
            client.work_remaining = True

    def _pass(
        self,
        client: InstagramClient,
        state: dict[str, Any],
        cursor: str | None,
        stop_at: str | None,
        top: str | None,
    ) -> Iterator[Page]:
        for page in client.pages(self.path, self.family, self.params, cursor=cursor, endpoint=self.endpoint):
            items = page.items
            finished = page.next_cursor is None or any(str(item.get("id")) == stop_at for item in items)
            if top is None and page.items:
                top = str(page.items[0].get("id"))
            # bookmarks first, then the page: both reach dlt's package together or not at all
            if finished:
                state.pop("resume", None)
                if top is not None and cursor is None:
                    state["marker"] = top
            else:
                state["resume"] = {"cursor": page.next_cursor, "top": top, "stop_at": stop_at}
            yield Page(items, page.next_cursor, page.observed_at)
            if finished:
                return


@dataclass(frozen=True)
class Link:
    """Rows of a link table (`tag_media`, ...) tying a feed's key to the media it found."""

    table: str
    column: str
    value: str

    def row(self, media_id: str, observed_at: datetime) -> dict[str, Any]:
        return {
            f"{self.table}_key": f"{self.value}:{media_id}",
            self.column: self.value,
            "media_id": media_id,
            "observed_at": observed_at,
        }


class MediaLists:
    """Reads the media lists: users' media, the self feed and likes, tag, location and
    geography feeds. Each list keeps its bookmarks in a state dict of its own."""

    def __init__(self, run: SourceRun, engagement: Engagement, *, page_size: int):
        self.run = run
        self.engagement = engagement
        self.page_size = page_size

    def read(
        self, media_list: MediaList, state: dict[str, Any], with_engagement: bool, link: Link | None = None
    ) -> Iterator[Rows]:
        """Rows of every new media of `media_list` (+ `link` rows such as `tag_media`).

        With `with_engagement`, each page's likes and comments to read are queued in `state`
        (`"engagement": [[media_id, "likes" | "comments"], ...]`) and each is dequeued once its
        rows are handed on. A run that runs out of budget leaves the rest queued, and the next
        run reads them first: no media loses its likers, however small the budget.
        """
        media_list.params.setdefault("count", self.page_size)
        queued: list[EngagementJob] = state.setdefault("engagement", [])
        if self.run.deferred("list", media_list.key):
            return  # it failed in an earlier run: its bookmarks wait for the retry
        try:
            yield from self.engagement.read_queued(queued)
            for page in media_list.read(self.run.client, state):
                rows = media_rows(page.items, page.observed_at)
                if link is not None:
                    merge_rows(rows, {link.table: [link.row(str(m["id"]), page.observed_at) for m in page.items]})
                if with_engagement:
                    inline, jobs = self.engagement.jobs(page.items, page.observed_at, media_list.key)
                    merge_rows(rows, inline)
                    queued.extend(jobs)
                yield rows
                yield from self.engagement.read_queued(queued)
            self.run.read("list", media_list.key)
            if with_engagement:
                yield from self._refresh_due_counters(media_list.key, queued)
        except InstagramEntityError as error:
            yield self.run.error("list", media_list.key, error)
            if "resume" in state and not self.run.pending("list", media_list.key):
                # given up mid-pass: the next pass starts from the top again (items older than
                # the page that kept failing and newer than the marker stay unread)
                state.pop("resume")

    def _refresh_due_counters(self, parent: str, queued: list[EngagementJob]) -> Iterator[Rows]:
        """Counters (then likes and comments, when due) of this list's media that are due and
        were not on a page read in this run: one lookup each."""
        now = self.run.client.server_now()
        for row in self.engagement.schedule.due("counters", now, parent=parent):
            media_id = row["entity_id"]
            answer, errors = self.run.detail("media", media_id, f"/media/{media_id}", "GET /media/{id}")
            if answer is None:
                yield errors
                if not self.run.pending("media", media_id):  # deleted or hidden: never again
                    yield self.engagement.schedule.write({**row, "active": False, "next_due_at": None})
                continue
            rows = media_rows([answer.data], answer.observed_at)
            inline, jobs = self.engagement.jobs([answer.data], answer.observed_at, parent)
            queued.extend(jobs)
            yield merge_rows(rows, inline)
            yield from self.engagement.read_queued(queued)

    def _info_due(self, kind: str, entity_id: str) -> bool:
        """Whether a feed's details (a tag's, a location's) are due; an unknown one is looked
        up again after the detail age too, so its feed waits as long."""
        return entity_id not in self.engagement.schedule.not_due(kind, [entity_id], self.run.client.server_now)

    def user_feed(self, user_id: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A user's recent media."""
        media_list = MediaList(
            f"user:{user_id}", f"/users/{user_id}/media/recent", "id", "GET /users/{id}/media/recent"
        )
        return self.read(media_list, state, with_engagement)

    def tag_feed(self, name: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A tag's info and its recent media (nothing more for an unknown tag)."""
        quoted = quote(name, safe="")
        if self._info_due("tag", name):
            answer, errors = self.run.detail("tag", name, f"/tags/{quoted}", "GET /tags/{name}")
            if answer is None:
                yield errors
                return
            yield {"tags": [tag_row({"name": name, **(answer.data or {})}, answer.observed_at)]}
            yield self.engagement.schedule.read_detail("tag", name, answer.observed_at)
        media_list = MediaList(f"tag:{name}", f"/tags/{quoted}/media/recent", "tag", "GET /tags/{name}/media/recent")
        yield from self.read(media_list, state, with_engagement, Link("tag_media", "tag", name))

    def location_feed(self, location_id: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A location's info and its recent media (nothing more for an unknown location)."""
        if self._info_due("location", location_id):
            path = f"/locations/{location_id}"
            answer, errors = self.run.detail("location", location_id, path, "GET /locations/{id}")
            if answer is None:
                yield errors
                return
            row = location_row(answer.data or {})
            yield {"locations": [row] if row else []}
            yield self.engagement.schedule.read_detail("location", location_id, answer.observed_at)
        media_list = MediaList(
            f"location:{location_id}",
            f"/locations/{location_id}/media/recent",
            "id",
            "GET /locations/{id}/media/recent",
        )
        yield from self.read(media_list, state, with_engagement, Link("location_media", "location_id", location_id))

    def geography_feed(self, geography_id: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A geography's recent media."""
        media_list = MediaList(
            f"geography:{geography_id}",
            f"/geographies/{geography_id}/media/recent",
            "id",
            "GET /geographies/{id}/media/recent",
        )
        return self.read(media_list, state, with_engagement, Link("geography_media", "geography_id", geography_id))

    def self_feed(self, _: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """Media of the users the token user follows (and its own)."""
        media_list = MediaList("feed:self", "/users/self/feed", "id", "GET /users/self/feed")
        return self.read(media_list, state, with_engagement)

    def liked_feed(self, _: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """Media the token user liked, newest like first."""
        media_list = MediaList("liked:self", "/users/self/media/liked", "like", "GET /users/self/media/liked")
        return self.read(media_list, state, with_engagement)


def media_rows(media: list[dict[str, Any]], observed_at: datetime) -> Rows:
    """Rows of media objects."""
    rows: Rows = {}
    for item in media:
        merge_rows(rows, shape_media(item, observed_at))
    return rows
