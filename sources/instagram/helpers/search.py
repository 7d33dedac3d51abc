"""Searches: users, tags, locations and media, each query one answer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...common.rows import Rows, merge_rows
from ...common.schedule import Schedule
from ...common.source_run import SourceRun
from ...common.validation import InstagramConfigError
from ..settings import MAX_USER_SEARCH_COUNT
from .shaping import location_row, search_result_rows, shape_media, tag_row, user_row

# What a point of `location_search_points` / `media_search_points` holds, in order.
POINT_PARAMETERS = ("lat", "lng", "distance", "min_timestamp", "max_timestamp")

SearchQuery = str | Mapping[str, Any]


def search_queries(
    users: Sequence[str],
    tags: Sequence[str],
    location_points: Sequence[Sequence[float]],
    facebook_places_ids: Sequence[str],
    media_points: Sequence[Sequence[float]],
) -> dict[str, list[SearchQuery]]:
    """The configured searches as `{kind: [query text or query parameters]}`; raises
    `InstagramConfigError` for a malformed point."""
    for point in location_points:
        if len(point) != 3:
            raise InstagramConfigError(f"location_search_points take [lat, lng, distance_m], got {list(point)}")
    for point in media_points:
        if len(point) not in (3, 5):
            raise InstagramConfigError(
                f"media_search_points take [lat, lng, distance_m(, min_timestamp, max_timestamp)], got {list(point)}"
            )
    return {
        "users": list(users),
        "tags": list(tags),
        "locations": [dict(zip(POINT_PARAMETERS, p)) for p in location_points]
        + [{"facebook_places_id": f} for f in facebook_places_ids],
        "media": [dict(zip(POINT_PARAMETERS, p)) for p in media_points],
    }


class Searches:
    """Runs the configured searches."""

    def __init__(self, run: SourceRun, schedule: Schedule, *, media_page_size: int):
        self.run = run
        self.schedule = schedule
        self.media_page_size = media_page_size

    def rows_of(self, queries: Mapping[str, Sequence[SearchQuery]]) -> Iterator[Rows]:
        """Every configured search that is due (again after the detail age), in parallel."""
        jobs = {
            self._label(kind, query): (kind, query) for kind, kind_queries in queries.items() for query in kind_queries
        }
        not_due = self.schedule.not_due("search", jobs, self.run.client.server_now)
        yield from self.run.client.map(
            lambda job: self.search(*job), [job for key, job in jobs.items() if key not in not_due]
        )

    def _params(self, kind: str, query: SearchQuery) -> dict[str, Any]:
        params = {"q": query} if isinstance(query, str) else dict(query)
        if kind in ("users", "media"):
            params.setdefault("count", MAX_USER_SEARCH_COUNT if kind == "users" else self.media_page_size)
        return params

    def _label(self, kind: str, query: SearchQuery) -> str:
        """`kind:label`, the search's entity id (its text, or its parameters but `count`)."""
        params = self._params(kind, query)
        label = (
            query if isinstance(query, str) else ",".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "count")
        )
        return f"{kind}:{label}"

    def search(self, kind: str, query: SearchQuery) -> Rows:
        """`search_results` and entity rows of one search (`kind`: users, tags, locations, media)."""
        params = self._params(kind, query)
        key = self._label(kind, query)
        label = key.split(":", 1)[1]
        path = f"/{kind}/search"
        answer, errors = self.run.detail("search", key, path, f"GET {path}", params)
        if answer is None:
            return errors
        items = answer.data or []
        rows = search_result_rows(kind, label, items, answer.observed_at)
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
        return merge_rows(rows, self.schedule.read_detail("search", key, answer.observed_at))
