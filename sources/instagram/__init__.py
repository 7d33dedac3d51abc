"""dlt source for the Instagram API v1: users, media, tags, locations, geographies, likes,
comments, follow graph, relationships and searches, loaded as flat typed tables.

The tables and their keys are declared in `settings.TABLES` (documented in docs/tables.md).
HTTP, paging, pacing and shaping live in `helpers/`; the resources below only choose what
to read, hand the reads to a small thread pool and keep their bookmarks in dlt state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract.hints import make_hints
from dlt.extract.items import DataItemWithMeta
from dlt.extract.resource import DltResource

from .helpers import (
    Extraction,
    FollowCrawl,
    FullProfiles,
    InstagramAuthError,
    InstagramBadRequest,
    InstagramClient,
    InstagramError,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramPermissionError,
    InstagramTransientError,
    Rows,
    TableBatches,
    column_hints,
    fan_in,
    install_secret_filter,
    remove_rows_loaded_twice,
    to_arrow,
)
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_BUDGET_SHARE,
    DEFAULT_COUNTERS_LOOKBACK_DAYS,
    DEFAULT_CRAWL_DEPTH,
    DEFAULT_CRAWL_MAX_USERS,
    DEFAULT_REQUEST_ATTEMPTS,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY_BACKOFF_SECONDS,
    DEFAULT_WORKERS,
    FOLLOW_EDGES_DISPOSITION,
    MAX_FOLLOW_PAGE_SIZE,
    MAX_MEDIA_PAGE_SIZE,
    RESOURCES,
    ROWS_PER_BATCH,
    TABLES,
)

__all__ = [
    "instagram",
    "InstagramAuthError",
    "InstagramBadRequest",
    "InstagramError",
    "InstagramNotAllowed",
    "InstagramNotFound",
    "InstagramPermissionError",
    "InstagramTransientError",
    "install_secret_filter",
    "remove_rows_loaded_twice",
]


@dlt.source(name="instagram", max_table_nesting=0)
def instagram(
    access_token: TSecretStrValue = dlt.secrets.value,
    client_secret: TSecretStrValue | None = None,
    base_url: str = DEFAULT_BASE_URL,
    user_ids: Sequence[str] = ("self",),
    tags: Sequence[str] = (),
    location_ids: Sequence[str] = (),
    geography_ids: Sequence[str] = (),
    media_ids: Sequence[str] = (),
    shortcodes: Sequence[str] = (),
    user_search_queries: Sequence[str] = (),
    tag_search_queries: Sequence[str] = (),
    location_search_points: Sequence[Sequence[float]] = (),
    facebook_places_ids: Sequence[str] = (),
    media_search_points: Sequence[Sequence[float]] = (),
    resources: Sequence[str] | None = None,
    engagement_from: Sequence[str] = ("user_media", "media_details"),
    media_page_size: int = MAX_MEDIA_PAGE_SIZE,
    follow_page_size: int = MAX_FOLLOW_PAGE_SIZE,
    crawl_depth: int = DEFAULT_CRAWL_DEPTH,
    crawl_max_users: int = DEFAULT_CRAWL_MAX_USERS,
    budget_share: float = DEFAULT_BUDGET_SHARE,
    counters_lookback_days: float = DEFAULT_COUNTERS_LOOKBACK_DAYS,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    request_attempts: int = DEFAULT_REQUEST_ATTEMPTS,
    retry_backoff_seconds: float = DEFAULT_RETRY_BACKOFF_SECONDS,
    workers: int = DEFAULT_WORKERS,
) -> list[DltResource]:
    """Everything the v1 API can read for the configured entities.

    Args:
        access_token: the API token (secret).
        client_secret: set when the app enforces signed requests (adds `sig`, API.md §7.4).
        base_url: any server that speaks v1, e.g. the emulator's `http://127.0.0.1:PORT/v1`.
        user_ids: users whose profile and media are read, and the seeds of the follow crawl.
        tags, location_ids, geography_ids: feeds to read (with tag and location details).
        media_ids, shortcodes: single media to read.
        user_search_queries, tag_search_queries: texts to search users and tags for.
        location_search_points: `[lat, lng, distance_m]` points to search locations around.
        facebook_places_ids: Facebook place ids to search locations by.
        media_search_points: `[lat, lng, distance_m]` or `[lat, lng, distance_m, min_timestamp,
            max_timestamp]` to search media around (and within that time window).
        resources: names of the resources to run (default: all, see `settings.RESOURCES`).
        engagement_from: resources whose media also get their likes and comments read.
        media_page_size, follow_page_size: `count` per page (default: the API's maximum).
        crawl_depth, crawl_max_users: how far and how wide the follow crawl goes.
        budget_share: share of the hourly request allowance this source may spend.
        counters_lookback_days: media younger than this are read again to refresh counters.
        request_timeout, request_attempts: per request, before the run fails.
        retry_backoff_seconds: base of the exponential backoff (with jitter) between attempts.
        workers: parallel requests.

    Creating the source does no I/O; every request happens when the pipeline extracts.
    """
    chosen = set(RESOURCES if resources is None else resources)
    if chosen - set(RESOURCES):
        raise ValueError(f"unknown resources {sorted(chosen - set(RESOURCES))}; known: {', '.join(RESOURCES)}")
    searches = search_queries(
        user_search_queries, tag_search_queries, location_search_points, facebook_places_ids, media_search_points
    )
    client = InstagramClient(
        base_url,
        access_token,
        client_secret,
        timeout=request_timeout,
        attempts=request_attempts,
        budget_share=budget_share,
        workers=workers,
        backoff_seconds=retry_backoff_seconds,
    )
    x = Extraction(
        client,
        media_page_size=media_page_size,
        follow_page_size=follow_page_size,
        lookback_seconds=counters_lookback_days * 86400,
    )
    users = list(user_ids)

    def read_in_parallel(
        name: str, read: Callable[[str, dict, bool], Iterator[Rows]], keys: Sequence[str]
    ) -> Iterator[Any]:
        """`read(key, bookmarks, engagement)` for every key, side by side; each key keeps its
        bookmarks in the resource state."""
        bookmarks = dlt.current.resource_state().setdefault("lists", {})
        engagement = name in engagement_from

        def read_until_budget(key: str, state: dict) -> Iterator[Rows]:
            return x.until_budget(read(key, state, engagement))

        jobs = [functools.partial(read_until_budget, key, bookmarks.setdefault(key, {})) for key in keys]
        return _emit(client, fan_in(jobs, client.workers))

    readers: dict[str, Callable[[], Iterator[Any]]] = {
        # the crawl reads its seeds' profiles itself
        "user_profiles": lambda: _emit(
            client, x.until_budget(x.user_profiles([] if "follow_graph" in chosen else users))
        ),
        "user_media": lambda: read_in_parallel("user_media", x.user_feed, users),
        "feed": lambda: read_in_parallel("feed", x.self_feed, ["self"]),
        "liked_media": lambda: read_in_parallel("liked_media", x.liked_feed, ["self"]),
        "popular_media": lambda: _emit(client, x.until_budget(x.popular("popular_media" in engagement_from))),
        "tag_media": lambda: read_in_parallel("tag_media", x.tag_feed, tags),
        "location_media": lambda: read_in_parallel("location_media", x.location_feed, location_ids),
        "geography_media": lambda: read_in_parallel("geography_media", x.geography_feed, geography_ids),
        "media_details": lambda: _emit(
            client,
            x.until_budget(x.media_details(list(media_ids), list(shortcodes), "media_details" in engagement_from)),
        ),
        "follow_graph": lambda: _emit(
            client,
            FollowCrawl(
                x, dlt.current.resource_state().setdefault("crawl", {}), users, crawl_depth, crawl_max_users
            ).run(),
        ),
        "relationships": lambda: _emit(client, x.until_budget(x.relationships(users))),
        "search": lambda: _emit(client, x.until_budget(x.searches(searches))),
    }
    return [_resource(name, readers[name], name in chosen) for name in RESOURCES]


def search_queries(
    users: Sequence[str],
    tags: Sequence[str],
    location_points: Sequence[Sequence[float]],
    facebook_places_ids: Sequence[str],
    media_points: Sequence[Sequence[float]],
) -> dict[str, list[Any]]:
    """The configured searches as `{kind: [query text or query parameters]}`."""
    for point in location_points:
        if len(point) != 3:
            raise ValueError(f"location_search_points take [lat, lng, distance_m], got {list(point)}")
    for point in media_points:
        if len(point) not in (3, 5):
            raise ValueError(
                f"media_search_points take [lat, lng, distance_m(, min_timestamp, max_timestamp)], got {list(point)}"
            )
    names = ("lat", "lng", "distance", "min_timestamp", "max_timestamp")
    return {
        "users": list(users),
        "tags": list(tags),
        "locations": [dict(zip(names, p)) for p in location_points]
        + [{"facebook_places_id": f} for f in facebook_places_ids],
        "media": [dict(zip(names, p)) for p in media_points],
    }


def _emit(client: InstagramClient, produced: Iterator[Any]) -> Iterator[DataItemWithMeta]:
    """Turn `Rows` (or crawl events) into dlt items: Arrow batches per table; follow edges
    as dicts with the scd2 hints (their boundary is the run's observed time)."""
    batches = TableBatches(ROWS_PER_BATCH)
    profiles = FullProfiles(dlt.current.source_state().setdefault("full_profiles", []))
    for item in produced:
        kind, rows = item if isinstance(item, tuple) else ("rows", item)
        if kind == "edges":
            disposition = {**FOLLOW_EDGES_DISPOSITION, "boundary_timestamp": client.first_observed_at}
            hints = make_hints(table_name="follow_edges", write_disposition=disposition)
            yield dlt.mark.with_hints(rows, hints, create_table_variant=True)
            continue
        for table, arrow in batches.add(profiles.filter(rows)):
            yield dlt.mark.with_table_name(arrow, table)
    for table, arrow in batches.flush():
        yield dlt.mark.with_table_name(arrow, table)
    # every raw table exists from the first run on, even before it has rows (follow_edges
    # needs dlt's row hash, so it appears with the first completely read follow list)
    known = dlt.current.source_schema().tables
    for table in TABLES:
        if table != "follow_edges" and not known.get(table, {}).get("columns"):
            yield dlt.mark.with_table_name(to_arrow(table, []), table)
    dlt.current.source_state()["last_run"] = client.summary()


def _resource(name: str, read: Callable[[], Iterator[Any]], selected: bool) -> DltResource:
    """A resource that may write to any raw table, each with its own keys and disposition."""

    def items() -> Iterator[Any]:  # a generator: dlt runs it lazily, inside its extract context
        yield from read()

    resource = dlt.resource(items, name=name, selected=selected)
    for table, spec in TABLES.items():
        scd2 = table == "follow_edges"
        resource.apply_hints(
            table_name=table,
            write_disposition=FOLLOW_EDGES_DISPOSITION if scd2 else "merge",
            primary_key=None if scd2 else spec.get("primary_key"),
            columns=column_hints(table),
            create_table_variant=True,
        )
    return resource
