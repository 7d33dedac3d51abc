"""Single objects: user profiles, relationships, popular media and media looked up by id."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ...common.errors import InstagramEntityError
from ...common.refresh_policy import schedule_row
from ...common.rows import Rows, merge_rows
from ...common.schedule import Schedule
from ...common.source_run import SourceRun
from .engagement import Engagement, content_fingerprint, created_at
from .paths import api_path
from .shaping import shape_full_user, user_row


@dataclass(frozen=True)
class Profile:
    """A full profile read: its real id (None when it could not be read: unknown, private,
    failed), its counts, the server time of the read, and its rows (for the first caller)."""

    real_id: str | None
    counts: dict[str, Any]
    observed_at: datetime | None
    rows: Rows


class Profiles:
    """Full user profiles; those of `shared` users are read at most once per run, whichever
    resource asks first.

    `user_profiles` and the follow crawl both need the seeds' profiles (`shared`); which of
    them runs (and first) depends only on what the run selected, so they share those reads
    here instead of one of them guessing what the other will do. Any other profile is asked
    for by the crawl alone, once per run: it is read and not kept, so that memory does not grow
    with the crawl.

    A profile's rows (`users`, and its counts in `user_counts`) are loaded when they changed
    since they were last loaded, or on first sight; either way its `user` row in the refresh
    schedule says when it was last confirmed, with the fingerprint of what was loaded.
    """

    def __init__(self, run: SourceRun, schedule: Schedule, shared: Sequence[str]):
        self.run = run
        self.schedule = schedule
        self._shared = frozenset(shared)
        self._read: dict[str, Profile] = {}
        self._locks = {user_id: threading.Lock() for user_id in self._shared}

    def profile(self, user_id: str) -> Profile:
        """The profile of `user_id`; a shared user's rows go to the first caller only."""
        lock = self._locks.get(user_id)
        if lock is None:
            return self._fetch(user_id)
        with lock:
            if user_id in self._read:
                return replace(self._read[user_id], rows={})
            profile = self._fetch(user_id)
            # kept without its rows: they go to this caller only
            self._read[user_id] = replace(profile, rows={})
            if profile.real_id in self._shared:  # `self` answers for its real id too
                self._read.setdefault(profile.real_id, self._read[user_id])
            return profile

    def _fetch(self, user_id: str) -> Profile:
        answer, errors = self.run.detail("user", user_id, api_path("/users/{user}", user=user_id), "GET /users/{id}")
        if answer is None:
            return Profile(None, {}, None, errors)
        counts = answer.data.get("counts") or {}
        real_id = str(answer.data["id"])
        rows = shape_full_user(answer.data, answer.observed_at)
        fingerprint = content_fingerprint(rows)
        confirmed = schedule_row(
            "user", real_id, read_at=answer.observed_at, next_due_at=None, last_count=fingerprint, active=False
        )
        schedule_rows, loaded = self.schedule.replace(confirmed, lambda _, new: new)
        if loaded is not None and loaded["last_count"] == fingerprint:
            rows = {}
        return Profile(real_id, counts, answer.observed_at, merge_rows(rows, schedule_rows))

    def rows_of(self, user_ids: Sequence[str], schedule: Schedule) -> Iterator[Rows]:
        """Rows of the full profiles of `user_ids` that are due (and their schedule rows)."""
        not_due = schedule.not_due("profile", user_ids, self.run.client.server_now)
        for user_id in user_ids:
            if user_id in not_due:
                continue
            profile = self.profile(user_id)
            yield profile.rows
            if profile.real_id is not None or not self.run.pending("user", user_id):
                yield schedule.read_detail("profile", user_id, profile.observed_at or self.run.client.server_now())


class Relationships:
    """The token user's relationships, each read again after the detail age."""

    def __init__(self, run: SourceRun, schedule: Schedule):
        self.run = run
        self.schedule = schedule

    def rows_of(self, user_ids: Sequence[str]) -> Iterator[Rows]:
        """Pending follow requests to the token user, then the token user's relationship to
        each requester and to each of `user_ids` (`self` excluded), where due."""
        clock = self.run.client.server_now
        requesters: list[str] = []
        if "self" not in self.schedule.not_due("requested_by", ["self"], clock):
            try:
                for page in self.run.client.pages(
                    "/users/self/requested-by", "cursor", endpoint="GET /users/self/requested-by"
                ):
                    requesters += [str(user["id"]) for user in page.items]
                    yield {"users": [user_row(user, page.observed_at) for user in page.items]}
                yield self.schedule.read_detail("requested_by", "self", clock())
            except InstagramEntityError as error:
                yield self.run.failed("list", "requested_by:self", error)
        others = dict.fromkeys([uid for uid in user_ids if uid != "self"])
        not_due = self.schedule.not_due("relationship", others, clock)
        others = dict.fromkeys([uid for uid in others if uid not in not_due] + requesters)
        yield from self.run.client.map(self.relationship, list(others))

    def relationship(self, user_id: str) -> Rows:
        """`relationships` row of the token user towards `user_id`."""
        answer, errors = self.run.detail(
            "user", user_id, api_path("/users/{user}/relationship", user=user_id), "GET /users/{id}/relationship"
        )
        if answer is None:
            return errors
        data = answer.data or {}
        row = {
            "user_id": user_id,
            "outgoing_status": data.get("outgoing_status"),
            "incoming_status": data.get("incoming_status"),
            "target_user_is_private": data.get("target_user_is_private"),
            "observed_at": answer.observed_at,
        }
        return merge_rows(
            {"relationships": [row]}, self.schedule.read_detail("relationship", user_id, answer.observed_at)
        )


class SingleMedia:
    """Media read one answer at a time: the popular list (every run, like a media list) and
    media looked up by id or shortcode (on their counters' schedule), with their likes and
    comments when asked."""

    def __init__(self, run: SourceRun, engagement: Engagement):
        self.run = run
        self.engagement = engagement

    def popular(self, with_engagement: bool) -> Iterator[Rows]:
        """The popular media (one answer, no paging), then the due counters of media that
        were popular and are no longer: one lookup each."""
        answer, errors = self.run.detail("list", "popular", "/media/popular", "GET /media/popular")
        if answer is None:
            yield errors
            return
        yield self._rows(answer.data or [], answer.observed_at, with_engagement, "popular")
        for row in self.engagement.schedule.due("counters", self.run.client.server_now(), parent="popular"):
            looked_up, rows = self.engagement.looked_up(row["entity_id"], "popular")
            if looked_up is not None and with_engagement:
                for more in self.engagement.of([looked_up.data], looked_up.observed_at, "popular"):
                    merge_rows(rows, more)
            yield rows

    def details(self, media_ids: Sequence[str], shortcodes: Sequence[str], with_engagement: bool) -> Iterator[Rows]:
        """Single media by id and by shortcode, when first asked and then at the engagement ages."""
        schedule = self.engagement.schedule
        lookups = [("media", mid, api_path("/media/{media}", media=mid), "GET /media/{id}") for mid in media_ids]
        lookups += [
            (
                "shortcode",
                code,
                api_path("/media/shortcode/{shortcode}", shortcode=code),
                "GET /media/shortcode/{shortcode}",
            )
            for code in shortcodes
        ]
        not_due = {
            kind: schedule.not_due(
                f"lookup_{kind}", [entity_id for k, entity_id, _, _ in lookups if k == kind], self.run.client.server_now
            )
            for kind in ("media", "shortcode")
        }
        for kind, entity_id, path, endpoint in lookups:
            if entity_id in not_due[kind]:
                continue
            answer, errors = self.run.detail("media", entity_id, path, endpoint)
            if answer is None:
                yield errors
                continue
            rows = self._rows([answer.data], answer.observed_at, with_engagement, "media_details")
            created = created_at(answer.data)
            due = schedule.policy.media_due(created, answer.observed_at)
            lookup = schedule_row(
                f"lookup_{kind}",
                entity_id,
                read_at=answer.observed_at,
                next_due_at=due,
                created_at=created,
                active=due is not None,
            )
            yield merge_rows(rows, schedule.write(lookup))

    def _rows(self, media: list[dict[str, Any]], observed_at: datetime, with_engagement: bool, parent: str) -> Rows:
        rows = self.engagement.sighted(media, observed_at, parent)
        if with_engagement:
            for more in self.engagement.of(media, observed_at, parent):
                merge_rows(rows, more)
        return rows
