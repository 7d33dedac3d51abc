"""Readers: one entity or list → rows of the raw tables. Per-entity failures become
`extraction_errors` rows; the budget running out ends a reader quietly (work remains)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .client import Answer, BudgetExhausted, InstagramClient, InstagramEntityError, local_time
from .lists import MediaList
from .shaping import (
    Rows,
    error_row,
    location_row,
    merge_rows,
    shape_comments,
    shape_full_user,
    shape_likes,
    shape_media,
    tag_row,
    user_row,
)

logger = logging.getLogger("sources.instagram")


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


class Extraction:
    """What the resources of one source run share: the client, options and error bookkeeping."""

    def __init__(
        self,
        client: InstagramClient,
        *,
        media_page_size: int,
        follow_page_size: int,
        lookback_seconds: float,
    ):
        self.client = client
        self.media_page_size = media_page_size
        self.follow_page_size = follow_page_size
        self.lookback_seconds = lookback_seconds
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def error(self, kind: str, entity_id: str, error: InstagramEntityError) -> Rows:
        """An `extraction_errors` row for `error`; logs it once per run."""
        row = error_row(kind, entity_id, error, error.observed_at or self.client.first_observed_at or local_time())
        with self._lock:
            first = row["error_key"] not in self._logged
            self._logged.add(row["error_key"])
        if first:
            # expected in any real graph (private users, deleted media); the row is the record
            logger.info("skipping %s %s: %s", kind, entity_id, error)
        return {"extraction_errors": [row]}

    def until_budget(self, rows: Iterable[Rows]) -> Iterator[Rows]:
        """`rows` until the budget runs out; then the run ends normally with work remaining."""
        try:
            yield from rows
        except BudgetExhausted:
            self.client.work_remaining = True

    def detail(
        self, kind: str, entity_id: str, path: str, endpoint: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Answer | None, Rows]:
        """GET one object; on a per-entity failure, the error row instead."""
        try:
            return self.client.get(path, params, endpoint=endpoint), {}
        except InstagramEntityError as error:
            return None, self.error(kind, entity_id, error)

    # -- media lists --------------------------------------------------------------------------

    def media_list(
        self, media_list: MediaList, state: dict[str, Any], engagement: bool, link: Link | None = None
    ) -> Iterator[Rows]:
        """Rows of every new media of `media_list` (+ `link` rows such as `tag_media`).

        With `engagement`, each page's likes and comments to read are queued in `state`
        (`"engagement": [[media_id, "likes" | "comments"], ...]`) and each is dequeued once its
        rows are handed on. A run that runs out of budget leaves the rest queued, and the next
        run reads them first: no media loses its likers, however small the budget.
        """
        media_list.params.setdefault("count", self.media_page_size)
        queued: list[list[str]] = state.setdefault("engagement", [])
        try:
            yield from self._read_queued(queued)
            for page in media_list.read(self.client, state, self.lookback_seconds):
                rows = self.media_rows(page.items, page.observed_at, engagement=False)
                if link is not None:
                    merge_rows(rows, {link.table: [link.row(str(m["id"]), page.observed_at) for m in page.items]})
                if engagement:
                    inline, jobs = self._engagement_jobs(page.items, page.observed_at)
                    merge_rows(rows, inline)
                    queued.extend(jobs)
                yield rows
                yield from self._read_queued(queued)
        except InstagramEntityError as error:
            yield self.error("list", media_list.key, error)

    def _read_queued(self, queued: list[list[str]]) -> Iterator[Rows]:
        for job, rows in zip(list(queued), self.client.map(self._engagement_of, list(queued))):
            yield rows
            queued.remove(job)

    def user_feed(self, user_id: str, state: dict[str, Any], engagement: bool) -> Iterator[Rows]:
        """A user's recent media."""
        media_list = MediaList(
            f"user:{user_id}", f"/users/{user_id}/media/recent", "id", "GET /users/{id}/media/recent"
        )
        return self.media_list(media_list, state, engagement)

    def tag_feed(self, name: str, state: dict[str, Any], engagement: bool) -> Iterator[Rows]:
        """A tag's info and its recent media (nothing more for an unknown tag)."""
        answer, errors = self.detail("tag", name, f"/tags/{quote(name, safe='')}", "GET /tags/{name}")
        if answer is None:
            yield errors
            return
        yield {"tags": [tag_row({"name": name, **(answer.data or {})}, answer.observed_at)]}
        media_list = MediaList(
            f"tag:{name}", f"/tags/{quote(name, safe='')}/media/recent", "tag", "GET /tags/{name}/media/recent"
        )
        yield from self.media_list(media_list, state, engagement, Link("tag_media", "tag", name))

    def location_feed(self, location_id: str, state: dict[str, Any], engagement: bool) -> Iterator[Rows]:
        """A location's info and its recent media (nothing more for an unknown location)."""
        answer, errors = self.detail("location", location_id, f"/locations/{location_id}", "GET /locations/{id}")
        if answer is None:
            yield errors
            return
        row = location_row(answer.data or {})
        yield {"locations": [row] if row else []}
        media_list = MediaList(
            f"location:{location_id}",
            f"/locations/{location_id}/media/recent",
            "id",
            "GET /locations/{id}/media/recent",
        )
        yield from self.media_list(media_list, state, engagement, Link("location_media", "location_id", location_id))

    def geography_feed(self, geography_id: str, state: dict[str, Any], engagement: bool) -> Iterator[Rows]:
        """A geography's recent media."""
        media_list = MediaList(
            f"geography:{geography_id}",
            f"/geographies/{geography_id}/media/recent",
            "id",
            "GET /geographies/{id}/media/recent",
        )
        return self.media_list(media_list, state, engagement, Link("geography_media", "geography_id", geography_id))

    def self_feed(self, _: str, state: dict[str, Any], engagement: bool) -> Iterator[Rows]:
        """Media of the users the token user follows (and its own)."""
        return self.media_list(
            MediaList("feed:self", "/users/self/feed", "id", "GET /users/self/feed"), state, engagement
        )

    def liked_feed(self, _: str, state: dict[str, Any], engagement: bool) -> Iterator[Rows]:
        """Media the token user liked, newest like first."""
        media_list = MediaList("liked:self", "/users/self/media/liked", "like", "GET /users/self/media/liked")
        return self.media_list(media_list, state, engagement)

    def media_rows(self, media: list[dict[str, Any]], observed_at: datetime, engagement: bool) -> Rows:
        """Rows of media objects (with their likes and comments when `engagement`)."""
        rows: Rows = {}
        for item in media:
            merge_rows(rows, shape_media(item, observed_at))
        if engagement:
            for more in self.engagement(media, observed_at):
                merge_rows(rows, more)
        return rows

    def popular(self, engagement: bool) -> Iterator[Rows]:
        """The popular media (one answer, no paging)."""
        answer, errors = self.detail("list", "popular", "/media/popular", "GET /media/popular")  # all of them
        yield errors if answer is None else self.media_rows(answer.data or [], answer.observed_at, engagement)

    def media_details(self, media_ids: list[str], shortcodes: list[str], engagement: bool) -> Iterator[Rows]:
        """Single media by id and by shortcode."""
        lookups = [(mid, f"/media/{mid}", "GET /media/{id}") for mid in media_ids]
        lookups += [(code, f"/media/shortcode/{code}", "GET /media/shortcode/{shortcode}") for code in shortcodes]
        for entity_id, path, endpoint in lookups:
            answer, errors = self.detail("media", entity_id, path, endpoint)
            yield errors if answer is None else self.media_rows([answer.data], answer.observed_at, engagement)

    def engagement(self, media: list[dict[str, Any]], observed_at: datetime) -> list[Rows]:
        """Likes and comments of `media`, read in parallel. Raises `BudgetExhausted` if the
        budget runs out before all are read."""
        inline, jobs = self._engagement_jobs(media, observed_at)
        return [inline, *self.client.map(self._engagement_of, jobs)]

    def _engagement_jobs(self, media: list[dict[str, Any]], observed_at: datetime) -> tuple[Rows, list[list[str]]]:
        """The likes and comments of `media` that must be read (`[media_id, kind]`), and rows
        of those that need no request: a zero counter, or (legacy era) a complete inline list."""
        inline: Rows = {}
        jobs: list[list[str]] = []
        for item in media:
            mid = str(item["id"])
            for kind, shaper in (("likes", shape_likes), ("comments", shape_comments)):
                block = item.get(kind) or {}
                count = block.get("count") or 0
                data = block.get("data")
                if count and isinstance(data, list) and len(data) >= count:
                    merge_rows(inline, shaper(mid, data, observed_at))
                elif count:
                    jobs.append([mid, kind])
        return inline, jobs

    def _engagement_of(self, job: list[str]) -> Rows:
        mid, field_name = job
        answer, errors = self.detail("media", mid, f"/media/{mid}/{field_name}", f"GET /media/{{id}}/{field_name}")
        if answer is None:
            return errors
        shaper = shape_likes if field_name == "likes" else shape_comments
        return shaper(mid, answer.data or [], answer.observed_at)

    # -- single objects -------------------------------------------------------------------------

    def user_profile(self, user_id: str) -> tuple[str | None, Rows]:
        """A full profile (`users`, `user_counts`); returns the real id (None on failure)."""
        answer, errors = self.detail("user", user_id, f"/users/{user_id}", "GET /users/{id}")
        if answer is None:
            return None, errors
        return str(answer.data["id"]), shape_full_user(answer.data, answer.observed_at)

    def relationship(self, user_id: str) -> Rows:
        """`relationships` row of the token user towards `user_id`."""
        answer, errors = self.detail("user", user_id, f"/users/{user_id}/relationship", "GET /users/{id}/relationship")
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

    def search(self, kind: str, query: str | Mapping[str, Any]) -> Rows:
        """`search_results` and entity rows of one search (`kind`: users, tags, locations, media)."""
        params = {"q": query} if isinstance(query, str) else dict(query)
        if kind in ("users", "media"):
            params.setdefault("count", 50 if kind == "users" else self.media_page_size)
        label = (
            query if isinstance(query, str) else ",".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "count")
        )
        path = f"/{kind}/search"
        answer, errors = self.detail("search", f"{kind}:{label}", path, f"GET {path}", params)
        if answer is None:
            return errors
        items = answer.data or []
        key_of = (lambda item: str(item.get("name"))) if kind == "tags" else (lambda item: str(item.get("id")))
        rows: Rows = {
            "search_results": [
                {
                    "search_key": f"{kind}:{label}:{key_of(item)}",
                    "kind": kind,
                    "query": label,
                    "rank": rank,
                    "object_id": key_of(item),
                    "observed_at": answer.observed_at,
                }
                for rank, item in enumerate(items)
            ]
        }
        for item in items:
            if kind == "users":
                merge_rows(rows, {"users": [user_row(item, answer.observed_at)]})
            elif kind == "tags":
                merge_rows(rows, {"tags": [tag_row(item, answer.observed_at)]})
            elif kind == "locations":
                row = location_row(item)
                merge_rows(rows, {"locations": [row] if row else []})
            else:
                merge_rows(rows, shape_media(item, answer.observed_at))
        return rows

    def user_profiles(self, user_ids: Sequence[str]) -> Iterator[Rows]:
        """Full profiles of `user_ids`."""
        for user_id in user_ids:
            yield self.user_profile(user_id)[1]

    def relationships(self, user_ids: Sequence[str]) -> Iterator[Rows]:
        """Pending follow requests to the token user, then the token user's relationship to
        each requester and to each of `user_ids` (`self` excluded)."""
        requesters: list[str] = []
        try:
            for page in self.client.pages(
                "/users/self/requested-by", "cursor", endpoint="GET /users/self/requested-by"
            ):
                requesters += [str(user["id"]) for user in page.items]
                yield {"users": [user_row(user, page.observed_at) for user in page.items]}
        except InstagramEntityError as error:
            yield self.error("list", "requested_by:self", error)
        others = dict.fromkeys([uid for uid in user_ids if uid != "self"] + requesters)
        yield from self.client.map(self.relationship, list(others))

    def searches(self, queries: Mapping[str, Sequence[Any]]) -> Iterator[Rows]:
        """Every configured search, in parallel."""
        jobs = [(kind, query) for kind, kind_queries in queries.items() for query in kind_queries]
        yield from self.client.map(lambda job: self.search(*job), jobs)
