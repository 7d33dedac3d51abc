"""dlt source for the Instagram API v1: users, media, tags, locations, geographies, likes,
comments, follow graph, relationships and searches, loaded as flat typed tables.

The tables and their keys are declared in `settings.TABLES` (documented in docs/tables.md).
HTTP, paging, pacing, shaping and batching live in `helpers/`; the resources below only choose
what to read and where each list keeps its bookmarks in dlt state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ..common.errors import (
    InstagramAuthError,
    InstagramBadRequest,
    InstagramError,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramPermissionError,
    InstagramTransientError,
    causes_of,
    duckdb_is_busy,
)
from ..common.fan_in import fan_in
from ..common.http_client import request_stop
from ..common.redaction import install_secret_filter
from ..common.refresh_policy import RefreshPolicy
from ..common.rows import Rows
from ..common.schedule import Schedule
from ..common.source_run import SourceRun, begin_resource, end_resource
from ..common.status import (
    DueReads,
    LastRun,
    RunStatus,
    ScheduleStatus,
    StopReason,
    failure_record,
    last_run,
    schedule_status,
)
from ..common.validation import InstagramConfigError
from .helpers import (
    Engagement,
    FollowCrawl,
    InstagramClient,
    MediaLists,
    Profiles,
    Relationships,
    Searches,
    SingleMedia,
    column_hints,
    dlt_items,
    refused_entities,
    remove_rows_loaded_twice,
    search_queries,
)
from .helpers.items import FollowListRead, FullProfiles
from .helpers.validation import check_ids, check_settings, check_shard_name, distinct
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CRAWL_DEPTH,
    DEFAULT_CRAWL_MAX_USERS,
    FOLLOW_EDGES_DISPOSITION,
    TABLES,
    InstagramTuning,
)

__all__ = [
    "instagram",
    "InstagramTuning",
    # what the runner reads of a run, after its load (common/status.py)
    "DueReads",
    "LastRun",
    "ScheduleStatus",
    "StopReason",
    "failure_record",
    "last_run",
    "refused_entities",
    "schedule_status",
    "InstagramAuthError",
    "InstagramConfigError",
    "InstagramBadRequest",
    "InstagramError",
    "InstagramNotAllowed",
    "InstagramNotFound",
    "InstagramPermissionError",
    "InstagramTransientError",
    "causes_of",
    "check_shard_name",
    "duckdb_is_busy",
    "install_secret_filter",
    "remove_rows_loaded_twice",
    "request_stop",
]

# A media-list reader: `(key, bookmarks, with_engagement)` → rows.
ListReader = Callable[[str, dict[str, Any], bool], Iterator[Rows]]


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
    crawl_depth: int = DEFAULT_CRAWL_DEPTH,
    crawl_max_users: int = DEFAULT_CRAWL_MAX_USERS,
    tuning: InstagramTuning = None,
    shard: str | None = None,
) -> list[DltResource]:
    """Everything the v1 API can read for the configured entities.

    Args:
        access_token: the API token (secret).
        client_secret: set when the app enforces signed requests (adds `sig`, docs/api.md §7.4).
        base_url: any server that speaks v1, e.g. the emulator's `http://127.0.0.1:PORT/v1`.
        user_ids: users whose profile and media are read, and the seeds of the follow crawl.
        tags, location_ids, geography_ids: feeds to read (with tag and location details).
        media_ids, shortcodes: single media to read.
        user_search_queries, tag_search_queries: texts to search users and tags for.
        location_search_points: `[lat, lng, distance_m]` points to search locations around.
        facebook_places_ids: Facebook place ids to search locations by.
        media_search_points: `[lat, lng, distance_m]` or `[lat, lng, distance_m, min_timestamp,
            max_timestamp]` to search media around (and within that time window).
        resources: names of the resources to select (default: all); `with_resources(...)`
            on the source does the same.
        engagement_from: resources whose media also get their likes and comments read.
        crawl_depth, crawl_max_users: how far and how wide the follow crawl goes.
        tuning: how the source reads: pace, retries, page sizes, the refresh policy
            (`settings.InstagramTuning`; dlt reads it from `[sources.instagram.tuning]`).
        shard: the name of the shard this source reads for (its pipeline is its own); its
            follow history and list reads carry it (None: the unsharded pipeline).

    Creating the source does no I/O; every request happens when the pipeline extracts. A
    setting that cannot work raises `InstagramConfigError` here.
    """
    if not access_token:
        raise InstagramConfigError("no access token configured (sources.instagram.access_token)")
    check_ids(
        {"user_ids": user_ids, "media_ids": media_ids, "location_ids": location_ids, "geography_ids": geography_ids}
    )
    user_ids, tags, location_ids, geography_ids, media_ids, shortcodes = (
        distinct(ids) for ids in (user_ids, tags, location_ids, geography_ids, media_ids, shortcodes)
    )
    tuning = (tuning or InstagramTuning()).checked("instagram")
    check_settings(base_url, {"crawl_depth": crawl_depth, "crawl_max_users": crawl_max_users})
    if shard is not None:
        check_shard_name(shard)
    searches = search_queries(
        user_search_queries, tag_search_queries, location_search_points, facebook_places_ids, media_search_points
    )
    status = RunStatus()
    client = InstagramClient(
        base_url,
        access_token,
        client_secret,
        timeout=tuning.request_timeout,
        attempts=tuning.request_attempts,
        budget_share=tuning.budget_share,
        workers=tuning.workers,
        backoff_seconds=tuning.retry_backoff_seconds,
        status=status,
    )
    run = SourceRun(client, max_failed_runs=tuning.failure_max_runs)
    policy = RefreshPolicy(
        tuning.seed_refresh_hours,
        tuning.crawl_refresh_hours,
        tuning.list_max_age_hours,
        tuple(float(age) for age in tuning.engagement_ages_hours),
    )
    schedule = Schedule(policy)
    full_profiles = FullProfiles(schedule)
    engagement = Engagement(run, schedule)
    media_lists = MediaLists(run, engagement, page_size=tuning.media_page_size)
    profiles = Profiles(run, schedule, shared=user_ids)
    single_media = SingleMedia(run, engagement)

    def each_list(resource_name: str, read: ListReader, keys: Sequence[str]) -> Iterator[Rows]:
        """`read` for every key, side by side; each key keeps its bookmarks in the resource
        state under `lists`."""
        bookmarks = dlt.current.resource_state().setdefault("lists", {})
        with_engagement = resource_name in engagement_from

        def read_one(key: str) -> Iterator[Rows]:
            return run.until_budget(read(key, bookmarks[key], with_engagement))

        for key in keys:
            bookmarks.setdefault(key, {})
        return fan_in([lambda key=key: read_one(key) for key in keys], client.workers)

    def items(produced: Iterable[Rows | FollowListRead]) -> Iterator[Any]:
        """dlt items of what a resource read; then the run's figures, in source state."""
        begin_resource(run, schedule)
        dlt.current.source_state().pop("full_profiles", None)  # the set the warehouse now holds
        yield from dlt_items(produced, run, full_profiles, shard)
        end_resource(client, schedule)

    def user_profiles() -> Iterator[Any]:
        """Full profiles of `user_ids` (shared with the crawl: each is read once per run)."""
        yield from items(run.until_budget(profiles.rows_of(user_ids, schedule)))

    def user_media() -> Iterator[Any]:
        """Recent media of `user_ids`."""
        yield from items(each_list("user_media", media_lists.user_feed, user_ids))

    def feed() -> Iterator[Any]:
        """The token user's feed."""
        yield from items(each_list("feed", media_lists.self_feed, ["self"]))

    def liked_media() -> Iterator[Any]:
        """Media the token user liked."""
        yield from items(each_list("liked_media", media_lists.liked_feed, ["self"]))

    def popular_media() -> Iterator[Any]:
        """The popular media."""
        yield from items(run.until_budget(single_media.popular("popular_media" in engagement_from)))

    def tag_media() -> Iterator[Any]:
        """Tag info and recent media of `tags`."""
        yield from items(each_list("tag_media", media_lists.tag_feed, tags))

    def location_media() -> Iterator[Any]:
        """Location info and recent media of `location_ids`."""
        yield from items(each_list("location_media", media_lists.location_feed, location_ids))

    def geography_media() -> Iterator[Any]:
        """Recent media of `geography_ids`."""
        yield from items(each_list("geography_media", media_lists.geography_feed, geography_ids))

    def media_details() -> Iterator[Any]:
        """Media of `media_ids` and `shortcodes`."""
        with_engagement = "media_details" in engagement_from
        yield from items(run.until_budget(single_media.details(media_ids, shortcodes, with_engagement)))

    def follow_graph() -> Iterator[Any]:
        """The follow graph, crawled breadth first from `user_ids`."""
        crawl = FollowCrawl(
            run,
            profiles,
            schedule,
            dlt.current.resource_state().setdefault("crawl", {}),
            seeds=user_ids,
            depth=crawl_depth,
            max_users=crawl_max_users,
            page_size=tuning.follow_page_size,
        )
        yield from items(crawl.crawl())

    def relationships() -> Iterator[Any]:
        """Follow requests to the token user, and its relationship to requesters and `user_ids`."""
        yield from items(run.until_budget(Relationships(run, schedule).rows_of(user_ids)))

    def search() -> Iterator[Any]:
        """The configured searches."""
        yield from items(
            run.until_budget(Searches(run, schedule, media_page_size=tuning.media_page_size).rows_of(searches))
        )

    # The media lists first: dlt starts the resources in this order, and the scheduled readers
    # after them then find the server's clock in their answers instead of asking for it.
    readers = (
        user_media,
        feed,
        liked_media,
        popular_media,
        tag_media,
        location_media,
        geography_media,
        user_profiles,
        media_details,
        follow_graph,
        relationships,
        search,
    )
    names = [reader.__name__ for reader in readers]
    unknown = sorted(set(resources or ()) - set(names))
    if unknown:
        raise InstagramConfigError(f"unknown resources {unknown}; known: {', '.join(names)}")
    return [raw_tables_resource(reader, resources is None or reader.__name__ in resources) for reader in readers]


def raw_tables_resource(reader: Callable[[], Iterator[Any]], selected: bool) -> DltResource:
    """A resource that may write to any raw table, each with its own keys and disposition."""
    resource = dlt.resource(reader, name=reader.__name__, selected=selected)
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
