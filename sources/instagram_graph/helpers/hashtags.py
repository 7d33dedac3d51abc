"""Hashtags (instagram-graph/API.md §2): the recent media (the last 24 hours) and the top media
(the most popular) of the configured hashtags, read through an account of the token (Facebook
Login only).

Recent media are read newest first down to the newest media of the last complete read of that
hashtag (`newest_first.py`: a read cut short is resumed from its cursor); the top media, one
page of 50, whole at every read.

An account may query at most `MAX_HASHTAGS_PER_WINDOW` unique hashtags in a rolling
`HASHTAG_WINDOW_DAYS` days (code 24 past it). The source state (`hashtags`) remembers when each
configured hashtag was last queried and its id (found once by `ig_hashtag_search`): a hashtag
queried within the window costs nothing more; one past the limit waits, with a WARNING, until an
older one leaves the window (those never queried, or queried longest ago, go first).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ...common.errors import InstagramEntityError
from ...common.rows import Rows
from ...common.source_run import SourceRun
from ..settings import HASHTAG_MEDIA_FIELDS, HASHTAG_PAGE_SIZE, HASHTAG_WINDOW_DAYS, MAX_HASHTAGS_PER_WINDOW
from .client import GraphClient, GraphPage
from .newest_first import read_newest_first
from .shaping import hashtag_media_row, hashtag_top_media_row

logger = logging.getLogger("sources.instagram_graph")


def hashtag_name(text: str) -> str:
    """A configured hashtag as the API names it: without '#', lower case."""
    return text.strip().lstrip("#").lower()


class Hashtags:
    """Reads the configured hashtags' recent and top media, within the hashtag limit."""

    def __init__(
        self, run: SourceRun, client: GraphClient, names: Sequence[str], state: dict[str, Any], page_size: int
    ):
        """`state`: `{"queried": {name: ISO time of its last query}, "ids": {name: hashtag id},
        "recent": {name: its recent media's read (`newest_first.py`)}}` (source state)."""
        self.run = run
        self.client = client
        self.names = list(dict.fromkeys(hashtag_name(name) for name in names if hashtag_name(name)))
        self.queried: dict[str, str] = state.setdefault("queried", {})
        self.ids: dict[str, str] = state.setdefault("ids", {})
        self.recent_reads: dict[str, dict[str, Any]] = state.setdefault("recent", {})
        self.page_size = min(page_size, HASHTAG_PAGE_SIZE)

    def rows_of(self, account_id: str) -> Iterator[Rows]:
        """The recent and top media of each hashtag the limit allows, queried as `account_id`."""
        now = self.client.server_now()
        for name in self._allowed(now):
            if self.run.deferred("hashtag", name):
                continue
            try:
                hashtag_id = self.ids.get(name) or self._search(name, account_id)
                if hashtag_id is None:
                    continue
                self.queried[name] = now.isoformat()
                yield from self._recent_media(name, hashtag_id, account_id)
                yield self._top_media(name, hashtag_id, account_id)
            except InstagramEntityError as error:
                yield self.run.failed("hashtag", name, error)
                continue
            self.run.succeeded("hashtag", name)

    def _allowed(self, now: datetime) -> list[str]:
        """The configured hashtags that fit in the window: those queried within it, then the
        others, never queried or queried longest ago first, while fewer than the limit are; the
        rest wait (a WARNING names them)."""
        since = (now - timedelta(days=HASHTAG_WINDOW_DAYS)).isoformat()
        for name in [name for name, at in self.queried.items() if at <= since and name not in self.names]:
            del self.queried[name]  # neither configured nor counted any more
            self.recent_reads.pop(name, None)
        in_window = {name for name, at in self.queried.items() if at > since}
        allowed = [name for name in self.names if name in in_window]
        others = sorted(
            (name for name in self.names if name not in in_window), key=lambda name: self.queried.get(name, "")
        )
        room = max(0, MAX_HASHTAGS_PER_WINDOW - len(in_window))
        allowed += others[:room]
        if waiting := others[room:]:
            logger.warning(
                "hashtags %s wait: %d unique hashtags were queried in the last %d days, the most the API allows"
                " (instagram-graph/API.md §2); each is read once an older one leaves the window",
                waiting,
                len(in_window),
                HASHTAG_WINDOW_DAYS,
            )
            self.run.status.work_remains()
        return allowed

    def _search(self, name: str, account_id: str) -> str | None:
        """The hashtag's id (None: the API knows no such hashtag, a WARNING says so)."""
        answer = self.client.get(
            "/ig_hashtag_search", {"user_id": account_id, "q": name}, endpoint="GET /ig_hashtag_search"
        )
        found = [item for item in answer.data or [] if isinstance(item, dict) and item.get("id")]
        if not found:
            logger.warning("the Graph API knows no hashtag %r: correct it or remove it from the configuration", name)
            return None
        self.ids[name] = str(found[0]["id"])
        return self.ids[name]

    def _recent_media(self, name: str, hashtag_id: str, account_id: str) -> Iterator[Rows]:
        """The hashtag's recent media down to those of its last complete read, a page at a time."""
        params = {"user_id": account_id, "fields": HASHTAG_MEDIA_FIELDS, "limit": self.page_size}

        def pages(cursor: Mapping[str, str] | None) -> Iterator[GraphPage]:
            return self.client.pages(
                f"/{hashtag_id}/recent_media",
                {**params, **(cursor or {})},
                endpoint="GET /{ig-hashtag-id}/recent_media",
            )

        for page in read_newest_first(f"hashtag {name}", self.recent_reads.setdefault(name, {}), pages):
            observed_at = page.answer.observed_at
            yield {"hashtag_media": [hashtag_media_row(media, name, hashtag_id, observed_at) for media in page.items]}

    def _top_media(self, name: str, hashtag_id: str, account_id: str) -> Rows:
        """The hashtag's top media, each with its rank in the list (1: the most popular): one page
        of the most the API serves, never cut short by a small page size."""
        params = {"user_id": account_id, "fields": HASHTAG_MEDIA_FIELDS, "limit": HASHTAG_PAGE_SIZE}
        pages = self.client.pages(f"/{hashtag_id}/top_media", params, endpoint="GET /{ig-hashtag-id}/top_media")
        ranked = [(media, page.answer.observed_at) for page in pages for media in page.items]
        return {
            "hashtag_top_media": [
                hashtag_top_media_row(media, name, hashtag_id, rank, observed_at)
                for rank, (media, observed_at) in enumerate(ranked, start=1)
            ]
        }
