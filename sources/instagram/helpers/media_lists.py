"""Newest-first media lists (a user's media, a tag feed, ...): incremental passes that survive
being cut short."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...common.errors import BudgetExhausted, InstagramEntityError
from ...common.rows import Rows, merge_rows
from ...common.source_run import SourceRun
from .client import Page, PagingClient
from .engagement import Engagement, EngagementJob, created_at
from .paths import api_path
from .shaping import location_row, tag_row


@dataclass
class ListPage(Page):
    """A page of a media list, with how many of its items (from the first) are newer than
    what an earlier pass read."""

    new: int = 0


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
    whole: the known media on it come with fresh counters at no extra cost. Once the pass from
    the top is complete, `below` is the cursor of the page after it (None: the list ended),
    where a refresh of older media's counters goes on, and `last_page` that page's media.
    """

    key: str
    path: str
    family: str
    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)
    below: str | None = None
    last_page: list[dict[str, Any]] = field(default_factory=list)

    @property
    def newest_first_by_creation(self) -> bool:
        """Whether the list is ordered by posting time (the liked list is ordered by like)."""
        return self.family != "like"

    def pages(self, client: PagingClient, state: dict[str, Any]) -> Iterator[ListPage]:
        """Pages of new items; updates `state` as pages are handed out."""
        try:
            resume = state.get("resume")
            if resume:
                yield from self._pass(client, state, resume["cursor"], resume["stop_at"], resume["top"])
                state["marker"] = resume["top"]
                state.pop("resume", None)
            yield from self._pass(client, state, None, state.get("marker"), None)
        except BudgetExhausted:
            client.status.work_remains()

    def older_pages(self, client: PagingClient) -> Iterator[Page]:
        """The pages below the last pass from the top (none if it reached the end)."""
        if self.below is not None:
            yield from client.pages(self.path, self.family, self.params, cursor=self.below, endpoint=self.endpoint)

    def _pass(
        self,
        client: PagingClient,
        state: dict[str, Any],
        cursor: str | None,
        stop_at: str | None,
        top: str | None,
    ) -> Iterator[ListPage]:
        for page in client.pages(self.path, self.family, self.params, cursor=cursor, endpoint=self.endpoint):
            items = page.items
            ids = [str(item.get("id")) for item in items]
            new = ids.index(stop_at) if stop_at in ids else len(ids)
            finished = page.next_cursor is None or new < len(ids)
            if top is None and page.items:
                top = str(page.items[0].get("id"))
            # bookmarks first, then the page: both reach dlt's package together or not at all
            if finished:
                state.pop("resume", None)
                if top is not None and cursor is None:
                    state["marker"] = top
                    self.below, self.last_page = page.next_cursor, items
            else:
                state["resume"] = {"cursor": page.next_cursor, "top": top, "stop_at": stop_at}
            yield ListPage(items, page.next_cursor, page.observed_at, new)
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

    def rows_of(
        self, media_list: MediaList, state: dict[str, Any], with_engagement: bool, link: Link | None = None
    ) -> Iterator[Rows]:
        """Rows of every new media of `media_list` (+ `link` rows such as `tag_media`), then the
        counters of its media that are due.

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
            for page in media_list.pages(self.run.client, state):
                rows = self._page_rows(media_list.key, page, with_engagement, queued)
                if link is not None:
                    new = page.items[: page.new]  # the others were linked when they were new
                    merge_rows(rows, {link.table: [link.row(str(m["id"]), page.observed_at) for m in new]})
                yield rows
                yield from self.engagement.read_queued(queued)
            self.run.succeeded("list", media_list.key)
            yield from self._refresh_due_counters(media_list, with_engagement, queued)
        except InstagramEntityError as error:
            yield self.run.failed("list", media_list.key, error)
            if "resume" in state and not self.run.pending("list", media_list.key):
                # given up mid-pass: the next pass starts from the top again (items older than
                # the page that kept failing and newer than the marker stay unread)
                state.pop("resume")

    def _page_rows(self, parent: str, page: Page, with_engagement: bool, queued: list[EngagementJob]) -> Rows:
        """Rows of the media on a page (their counters' schedule included); their likes and
        comments to read join `queued`."""
        rows = self.engagement.sighted(page.items, page.observed_at, parent)
        if with_engagement:
            inline, jobs = self.engagement.jobs(page.items, page.observed_at, parent)
            merge_rows(rows, inline)
            queued.extend(jobs)
        return rows

    def _refresh_due_counters(
        self, media_list: MediaList, with_engagement: bool, queued: list[EngagementJob]
    ) -> Iterator[Rows]:
        """Counters (then likes and comments, when due) of this list's media that are due and
        were not on a page read in this run.

        The list is newest first, so its next pages show the due media 20 to 33 at a time: they
        are read on while the next page likely shows one (`_worth_a_page`), and costs no more than
        the lookup it saves. Due media no page showed (they left the list, or lie deeper than
        is worth paging) are looked up by id.
        """
        now = self.run.client.server_now()
        due = {row["entity_id"]: row for row in self.engagement.schedule.due("counters", now, parent=media_list.key)}
        pages = 0
        older = media_list.older_pages(self.run.client)
        last_page = media_list.last_page
        while due and _worth_a_page(media_list, last_page, due, pages):
            page = next(older, None)
            if page is None:
                break
            pages += 1
            yield self._page_rows(media_list.key, page, with_engagement, queued)
            yield from self.engagement.read_queued(queued)
            for item in page.items:
                due.pop(str(item.get("id")), None)
            last_page = page.items
        for media_id in due:
            answer, rows = self.engagement.looked_up(media_id, media_list.key)
            if answer is not None and with_engagement:
                inline, jobs = self.engagement.jobs([answer.data], answer.observed_at, media_list.key)
                merge_rows(rows, inline)
                queued.extend(jobs)
            yield rows
            yield from self.engagement.read_queued(queued)

    def _info_due(self, kind: str, entity_id: str) -> bool:
        """Whether a feed's details (a tag's, a location's) are due; an unknown one is looked
        up again after the detail age too, so its feed waits as long."""
        return entity_id not in self.engagement.schedule.not_due(kind, [entity_id], self.run.client.server_now)

    def user_feed(self, user_id: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A user's recent media."""
        media_list = MediaList(
            f"user:{user_id}",
            api_path("/users/{user}/media/recent", user=user_id),
            "id",
            "GET /users/{id}/media/recent",
        )
        return self.rows_of(media_list, state, with_engagement)

    def tag_feed(self, name: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A tag's info and its recent media (nothing more for an unknown tag)."""
        if self._info_due("tag", name):
            answer, errors = self.run.detail("tag", name, api_path("/tags/{tag}", tag=name), "GET /tags/{name}")
            if answer is None:
                yield errors
                return
            yield {"tags": [tag_row({"name": name, **(answer.data or {})}, answer.observed_at)]}
            yield self.engagement.schedule.read_detail("tag", name, answer.observed_at)
        path = api_path("/tags/{tag}/media/recent", tag=name)
        media_list = MediaList(f"tag:{name}", path, "tag", "GET /tags/{name}/media/recent")
        yield from self.rows_of(media_list, state, with_engagement, Link("tag_media", "tag", name))

    def location_feed(self, location_id: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A location's info and its recent media (nothing more for an unknown location)."""
        if self._info_due("location", location_id):
            path = api_path("/locations/{location}", location=location_id)
            answer, errors = self.run.detail("location", location_id, path, "GET /locations/{id}")
            if answer is None:
                yield errors
                return
            row = location_row(answer.data or {})
            yield {"locations": [row] if row else []}
            yield self.engagement.schedule.read_detail("location", location_id, answer.observed_at)
        media_list = MediaList(
            f"location:{location_id}",
            api_path("/locations/{location}/media/recent", location=location_id),
            "id",
            "GET /locations/{id}/media/recent",
        )
        yield from self.rows_of(media_list, state, with_engagement, Link("location_media", "location_id", location_id))

    def geography_feed(self, geography_id: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """A geography's recent media."""
        media_list = MediaList(
            f"geography:{geography_id}",
            api_path("/geographies/{geography}/media/recent", geography=geography_id),
            "id",
            "GET /geographies/{id}/media/recent",
        )
        return self.rows_of(media_list, state, with_engagement, Link("geography_media", "geography_id", geography_id))

    def self_feed(self, _: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """Media of the users the token user follows (and its own)."""
        media_list = MediaList("feed:self", "/users/self/feed", "id", "GET /users/self/feed")
        return self.rows_of(media_list, state, with_engagement)

    def liked_feed(self, _: str, state: dict[str, Any], with_engagement: bool) -> Iterator[Rows]:
        """Media the token user liked, newest like first."""
        media_list = MediaList("liked:self", "/users/self/media/liked", "like", "GET /users/self/media/liked")
        return self.rows_of(media_list, state, with_engagement)


def _worth_a_page(media_list: MediaList, last_page: list[dict[str, Any]], due: dict[str, Any], pages: int) -> bool:
    """Whether the list's next page likely shows a due media, and so costs no more than the
    lookup it saves. In a list ordered by posting time, the next page is taken to span as much
    time as the last one did, and due media newer than the last page are no longer in the list;
    in another list, pages are read while fewer than the media still due."""
    posted = sorted(created for item in last_page if (created := created_at(item)))
    if not media_list.newest_first_by_creation or len(posted) < 2:
        return pages < len(due)
    next_page_from = posted[0] - (posted[-1] - posted[0])
    return any(next_page_from <= row["created_at"] < posted[0] for row in due.values() if row["created_at"])
