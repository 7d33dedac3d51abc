"""Single objects: user profiles, relationships, popular media and media looked up by id."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from .engagement import Engagement
from .errors import InstagramEntityError
from .media_lists import media_rows
from .reading import SourceRun
from .shaping import Rows, merge_rows, shape_full_user, user_row


class Profiles:
    """Full user profiles, each read at most once per run whichever resource asks first.

    `user_profiles` and the follow crawl both need the seeds' profiles; which of them runs
    (and first) depends only on what the run selected, so they share the reads here instead of
    one of them guessing what the other will do.
    """

    def __init__(self, run: SourceRun):
        self.run = run
        self._read: dict[str, str | None] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def read(self, user_id: str) -> tuple[str | None, Rows]:
        """`(real id, rows)` of a profile; the rows are returned to the first caller only, and
        the real id is None when the profile could not be read (unknown, private)."""
        with self._guard:
            lock = self._locks.setdefault(user_id, threading.Lock())
        with lock:
            if user_id in self._read:
                return self._read[user_id], {}
            answer, errors = self.run.detail("user", user_id, f"/users/{user_id}", "GET /users/{id}")
            real_id = None if answer is None else str(answer.data["id"])
            self._read[user_id] = real_id
            return real_id, errors if answer is None else shape_full_user(answer.data, answer.observed_at)

    def rows_of(self, user_ids: Sequence[str]) -> Iterator[Rows]:
        """Rows of the full profiles of `user_ids`."""
        for user_id in user_ids:
            yield self.read(user_id)[1]


class Relationships:
    """The token user's relationships."""

    def __init__(self, run: SourceRun):
        self.run = run

    def rows_of(self, user_ids: Sequence[str]) -> Iterator[Rows]:
        """Pending follow requests to the token user, then the token user's relationship to
        each requester and to each of `user_ids` (`self` excluded)."""
        requesters: list[str] = []
        try:
            for page in self.run.client.pages(
                "/users/self/requested-by", "cursor", endpoint="GET /users/self/requested-by"
            ):
                requesters += [str(user["id"]) for user in page.items]
                yield {"users": [user_row(user, page.observed_at) for user in page.items]}
        except InstagramEntityError as error:
            yield self.run.error("list", "requested_by:self", error)
        others = dict.fromkeys([uid for uid in user_ids if uid != "self"] + requesters)
        yield from self.run.client.map(self.relationship, list(others))

    def relationship(self, user_id: str) -> Rows:
        """`relationships` row of the token user towards `user_id`."""
        answer, errors = self.run.detail(
            "user", user_id, f"/users/{user_id}/relationship", "GET /users/{id}/relationship"
        )
        if answer is None:
            return errors
        data = answer.data or {}
        return {
            "relationships": [
                {
                    "user_id": user_id,
                    "outgoing_status": data.get("outgoing_status"),
                    "incoming_status": data.get("incoming_status"),
                    "target_user_is_private": data.get("target_user_is_private"),
                    "observed_at": answer.observed_at,
                }
            ]
        }


class SingleMedia:
    """Media read one answer at a time: the popular list and media looked up by id or
    shortcode, with their likes and comments when asked."""

    def __init__(self, run: SourceRun, engagement: Engagement):
        self.run = run
        self.engagement = engagement

    def popular(self, with_engagement: bool) -> Iterator[Rows]:
        """The popular media (one answer, no paging)."""
        answer, errors = self.run.detail("list", "popular", "/media/popular", "GET /media/popular")
        yield errors if answer is None else self._rows(answer.data or [], answer.observed_at, with_engagement)

    def details(self, media_ids: Sequence[str], shortcodes: Sequence[str], with_engagement: bool) -> Iterator[Rows]:
        """Single media by id and by shortcode."""
        lookups = [(mid, f"/media/{mid}", "GET /media/{id}") for mid in media_ids]
        lookups += [(code, f"/media/shortcode/{code}", "GET /media/shortcode/{shortcode}") for code in shortcodes]
        for entity_id, path, endpoint in lookups:
            answer, errors = self.run.detail("media", entity_id, path, endpoint)
            yield errors if answer is None else self._rows([answer.data], answer.observed_at, with_engagement)

    def _rows(self, media: list[dict[str, Any]], observed_at: datetime, with_engagement: bool) -> Rows:
        rows = media_rows(media, observed_at)
        if with_engagement:
            for more in self.engagement.of(media, observed_at):
                merge_rows(rows, more)
        return rows
