"""An account's media (instagram-graph/API.md §2), newest first: new media with their album
children, comments and insights, and the counters of media due on the refresh schedule.

A run reads a *pass*: from the top of the list down to the bookmark (the newest media of the
last complete pass), reading on below it while media whose counters are due lie further down
(their `counters` rows on the shared schedule, at the engagement ages of the policy). A pass cut
short by the budget (or a stop request) is resumed by the next run from the page it was
reading (`pass.after`: a cursor, which holds no token, §3), before that run starts a pass of its
own: the media of that page it had read are loaded, and skipped by the resumed pass (their
`counters` rows say they were read), so a budget smaller than a page's reads still moves on. A
cursor gone stale starts the pass again from the top. The bookmark moves only when a pass is
complete, so a stop at any moment leaves no gap, and what a pass reads again is merged on its
key: no duplicates.

State per account (resource state `accounts`): `{"bookmark": {"timestamp", "ids"}, "pass":
{"top": {"timestamp", "ids"}, "after"}}`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...common.errors import BudgetExhausted, InstagramBadRequest, InstagramEntityError, RunStopped
from ...common.refresh_policy import aged_row
from ...common.rows import Rows, merge_rows
from ...common.schedule import Schedule
from ...common.source_run import SourceRun
from ..settings import COMMENT_FIELDS, INSIGHTS_KEPT, MEDIA_FIELDS, REPLY_FIELDS
from .client import GraphClient, GraphPage, next_page_query
from .insights import MediaInsights
from .shaping import comment_row, graph_time, media_rows

logger = logging.getLogger("sources.instagram_graph")

COUNTERS = "counters"


class AccountMedia:
    """Reads the media of the run's accounts."""

    def __init__(
        self, run: SourceRun, client: GraphClient, schedule: Schedule, insights: MediaInsights, page_size: int
    ):
        self.run = run
        self.client = client
        self.schedule = schedule
        self.insights = insights
        self.page_size = page_size

    def rows_of(self, account_id: str, state: dict[str, Any]) -> Iterator[Rows]:
        """The account's rows: first the pass a run left unfinished, then a pass of this run."""
        pending = state.get("pass")
        if pending is not None:
            yield from self._pass(account_id, state, pending["top"], pending["after"])
        if state.get("pass") is None:
            yield from self._pass(account_id, state, None, None)

    def _pass(
        self, account_id: str, state: dict[str, Any], top: dict[str, Any] | None, after: str | None
    ) -> Iterator[Rows]:
        """One pass down the list, from `after` (None: the top, whose first media becomes the
        pass's `top`), to the bookmark and past it while due media lie further down."""
        if self.run.deferred("media", account_id):
            return
        bookmark = state.get("bookmark")
        now = self.client.server_now()
        due = {row["entity_id"]: row for row in self.schedule.due(COUNTERS, now, parent=f"account:{account_id}")}
        params: dict[str, Any] = {"fields": MEDIA_FIELDS, "limit": self.page_size}
        if after is not None:
            params["after"] = after
        pages = self.client.pages(f"/{account_id}/media", params, endpoint="GET /{ig-user-id}/media")
        try:
            for page in pages:
                if top is None and page.items:
                    top = _position(page.items[0])
                try:
                    rows, reached = self._page_rows(account_id, page, bookmark, due)
                except CutShort as cut:
                    # the page is read again, but not the media it read: their rows go now
                    state["pass"] = {"top": top, "after": after}
                    yield cut.rows
                    raise cut.reason from None
                next_query = next_page_query(page.answer.pagination)
                done = next_query is None or (reached and not _due_below(due, page.items))
                if done:
                    rows = merge_rows(rows, self._unseen(due, page.items, complete=next_query is None))
                    state.pop("pass", None)
                    if top is not None:
                        state["bookmark"] = top
                else:
                    after = next_query.get("after")
                    state["pass"] = {"top": top, "after": after}
                self.run.succeeded("media", account_id, page.answer.observed_at)
                yield rows
                if done:
                    return
        except InstagramBadRequest as error:
            if after is not None:  # a stale cursor: the next pass starts from the top
                logger.warning(
                    "account %s: the media list cannot be resumed (%s); reading it from the top", account_id, error
                )
                state.pop("pass", None)
                return
            yield self.run.failed("media", account_id, error)
        except InstagramEntityError as error:
            yield self.run.failed("media", account_id, error)

    def _page_rows(
        self, account_id: str, page: GraphPage, bookmark: dict[str, Any] | None, due: dict[str, dict[str, Any]]
    ) -> tuple[Rows, bool]:
        """The rows of a page's new media and of its media due for their counters (read side by
        side); and whether the page reached the bookmark. A new media a pass cut short already
        read (its `counters` row, not due) is not read again. Raises `CutShort`, with the rows of
        the media read, when the run stops part way through the page."""
        reached = False
        new: list[dict[str, Any]] = []
        chosen: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        for item in page.items:
            old = _is_old(item, bookmark)
            reached = reached or old
            if str(item.get("id")) in due:
                chosen.append((item, due.pop(str(item.get("id")))))
            elif not old:
                new.append(item)
        read = set() if self.schedule.unavailable else self.schedule.get(f"{COUNTERS}:{item['id']}" for item in new)
        chosen += [(item, None) for item in new if f"{COUNTERS}:{item['id']}" not in read]
        observed_at = page.answer.observed_at
        rows: Rows = {}
        try:
            for media in self.client.map(lambda pair: self._media_rows(account_id, *pair, observed_at), chosen):
                merge_rows(rows, media)
        except (BudgetExhausted, RunStopped) as stop:
            raise CutShort(rows, stop) from None
        return rows, reached

    def _media_rows(
        self, account_id: str, item: dict[str, Any], row: dict[str, Any] | None, observed_at: datetime
    ) -> Rows:
        """A media's rows, its comments when they changed (or it is new), its insights, and its
        next `counters` row."""
        media_id = str(item["id"])
        rows = media_rows(item, account_id, observed_at)
        comments_count = item.get("comments_count")
        last_count = None if row is None else row["last_count"]
        if comments_count and comments_count != last_count:
            comments = self._comments(media_id, observed_at)
            if "extraction_errors" in comments:
                comments_count = last_count  # read again at its next age
            merge_rows(rows, comments)
        product_type = str(item.get("media_product_type") or "FEED")
        created_at = graph_time(item.get("timestamp"))
        if created_at is None or observed_at - created_at <= INSIGHTS_KEPT:  # §2: kept 2 years, then none
            merge_rows(rows, self.insights.rows_of(media_id, product_type))
        counters = aged_row(
            COUNTERS,
            media_id,
            created_at=created_at,
            read_at=observed_at,
            next_due_at=self.schedule.policy.media_due(created_at, observed_at),
            parent=f"account:{account_id}",
            last_count=comments_count,
        )
        return merge_rows(rows, self.schedule.write(counters))

    def _comments(self, media_id: str, observed_at: datetime) -> Rows:
        """The media's comments and their replies (§2: one level deep)."""
        rows: list[dict[str, Any]] = []
        params = {"fields": COMMENT_FIELDS, "limit": self.page_size}
        try:
            for page in self.client.pages(f"/{media_id}/comments", params, endpoint="GET /{ig-media-id}/comments"):
                for comment in page.items:
                    rows.append(comment_row(comment, media_id, page.answer.observed_at))
                    rows += self._replies(media_id, comment, page.answer.observed_at)
        except InstagramEntityError as error:
            return self.run.failed("comments", media_id, error)
        self.run.succeeded("comments", media_id, observed_at)
        return {"comments": rows}

    def _replies(self, media_id: str, comment: dict[str, Any], observed_at: datetime) -> list[dict[str, Any]]:
        """A comment's replies: those nested in its answer, and the further pages of its
        `replies` edge."""
        nested = comment.get("replies") or {}
        replies = [reply for reply in nested.get("data") or [] if isinstance(reply, dict)]
        more = next_page_query(nested.get("paging") or {})
        if more is not None:
            more = {**more, "fields": REPLY_FIELDS}
            for page in self.client.pages(f"/{comment['id']}/replies", more, endpoint="GET /{ig-comment-id}/replies"):
                replies += page.items
        return [comment_row({"parent_id": comment["id"], **reply}, media_id, observed_at) for reply in replies]

    def _unseen(self, due: dict[str, dict[str, Any]], items: list[dict[str, Any]], *, complete: bool) -> Rows:
        """Due media the pass went past without seeing (deleted, or beyond the newest 10,000
        the API lists): no longer scheduled."""
        oldest = graph_time(items[-1].get("timestamp")) if items else None
        gone = [
            row
            for row in due.values()
            if complete or (oldest is not None and row["created_at"] is not None and row["created_at"] >= oldest)
        ]
        rows: Rows = {}
        for row in gone:
            merge_rows(rows, self.schedule.write({**row, "active": False}))
            del due[row["entity_id"]]
        return rows


class CutShort(Exception):
    """The run stopped (`reason`) part way through a page; `rows`: those of the media read."""

    def __init__(self, rows: Rows, reason: BudgetExhausted | RunStopped):
        super().__init__(str(reason))
        self.rows = rows
        self.reason = reason


def _position(item: dict[str, Any]) -> dict[str, Any]:
    """A media's place in the list: its time, and its id (media can share a second)."""
    return {"timestamp": item.get("timestamp"), "ids": [str(item.get("id"))]}


def _is_old(item: dict[str, Any], bookmark: dict[str, Any] | None) -> bool:
    """Whether a media was read by an earlier complete pass: at or below the bookmark."""
    if bookmark is None:
        return False
    created, marked = graph_time(item.get("timestamp")), graph_time(bookmark["timestamp"])
    if created is None or marked is None:
        return False
    return created < marked or (created == marked and str(item.get("id")) in bookmark["ids"])


def _due_below(due: dict[str, dict[str, Any]], items: list[dict[str, Any]]) -> bool:
    """Whether media still due lie below the page (posted before its oldest media)."""
    oldest = graph_time(items[-1].get("timestamp")) if items else None
    return any(oldest is None or row["created_at"] is None or row["created_at"] < oldest for row in due.values())
