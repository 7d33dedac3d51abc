"""dlt source for the Instagram Graph API (instagram-graph/API.md): the professional accounts a
token reads, their profiles and counters, media with album children, comments and replies,
media and account insights, the accounts' audience, loaded as flat tables into `instagram_graph_raw`.

The tables and their keys are declared in `settings.TABLES` (documented in docs/tables.md).
It runs on the machinery it shares with the v1 source (`sources/common/`: the HTTP core,
retries, pacing, redaction, the run's status, failure bookkeeping, the refresh schedule); what
is the Graph API's own lives in `helpers/`, and the resources below only choose what to read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from ..common.refresh_policy import RefreshPolicy
from ..common.rows import Rows, merge_rows
from ..common.schedule import Schedule
from ..common.source_run import SourceRun, begin_resource, end_resource
from ..common.tables import column_hints
from ..common.validation import InstagramConfigError, check_base_url
from .helpers.account_lists import AccountLists
from .helpers.accounts import FACEBOOK, Accounts
from .helpers.client import GraphClient
from .helpers.competitors import Competitors, check_usernames
from .helpers.hashtags import Hashtags
from .helpers.insights import MediaInsights, account_insights, audience
from .helpers.media import AccountMedia
from .helpers.token import TokenFile
from .settings import (
    ACCOUNT_INSIGHTS_REFRESH_HOURS,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    MEDIA_METRICS,
    TABLES,
    GraphTuning,
)

ACCOUNT_INSIGHTS = "account_insights"
AUDIENCE = "audience"
logger = logging.getLogger("sources.instagram_graph")


@dlt.source(name="instagram_graph", max_table_nesting=0)
def instagram_graph(
    access_token: TSecretStrValue = dlt.secrets.value,
    app_secret: TSecretStrValue | None = None,
    base_url: str = DEFAULT_BASE_URL,
    api_version: str = DEFAULT_API_VERSION,
    accounts: Sequence[str] = (),
    hashtags: Sequence[str] = (),
    competitors: Sequence[str] = (),
    media_metrics: Mapping[str, Sequence[str]] | None = None,
    token_file: str | None = None,
    tuning: GraphTuning = None,
) -> list[DltResource]:
    """Everything the Graph API gives of the token's professional accounts.

    Args:
        access_token: a Facebook Login (user or Page) or Instagram Login token (secret).
        app_secret: set when the app requires `appsecret_proof` (secret).
        base_url: the API's host, e.g. https://graph.facebook.com, or the emulator's
            `http://127.0.0.1:PORT` (`python -m emulator --api graph`).
        api_version: the version every path carries (`v24.0`).
        accounts: ids or user names of the accounts to read (default: every account the
            token can see).
        hashtags: hashtags whose recent media to read (Facebook Login only; at most 30 unique
            in 7 days, §2).
        competitors: user names of other professional accounts whose public counters and
            newest media to read (business discovery, Facebook Login only).
        media_metrics: the lifetime metrics asked of media per `media_product_type` (default:
            `settings.MEDIA_METRICS`); a metric the API refuses is dropped and remembered.
        token_file: a file where the source keeps the Instagram Login token it refreshes, and
            reads it back at the next runs (`helpers/token.py`); without it, the token is only
            warned about when it is about to expire.
        tuning: how the source reads: pace, retries, page size, the media's refresh ages
            (`settings.GraphTuning`; dlt reads it from `[sources.instagram_graph.tuning]`).

    Creating the source does no I/O; every request happens when the pipeline extracts.
    """
    if not access_token:
        raise InstagramConfigError("no access token configured (sources.instagram_graph.access_token)")
    check_base_url(base_url, DEFAULT_BASE_URL)
    tuning = (tuning or GraphTuning()).checked("instagram_graph")
    client = GraphClient(
        base_url,
        access_token,
        app_secret,
        api_version=api_version,
        budget_share=tuning.budget_share,
        timeout=tuning.request_timeout,
        attempts=tuning.request_attempts,
        workers=tuning.workers,
        backoff_seconds=tuning.retry_backoff_seconds,
    )
    run = SourceRun(client, max_failed_runs=tuning.failure_max_runs)
    ages = tuple(float(age) for age in tuning.engagement_ages_hours)
    policy = RefreshPolicy(ACCOUNT_INSIGHTS_REFRESH_HOURS, ACCOUNT_INSIGHTS_REFRESH_HOURS, 0.0, ages)
    schedule = Schedule(policy)
    kept = TokenFile(token_file, access_token) if token_file else None
    found = Accounts(run, client, [str(account) for account in accounts], kept)
    competitor_names = check_usernames(competitors)
    metrics = media_metrics or MEDIA_METRICS

    def items(produced: Iterable[Rows]) -> Iterator[Any]:
        """dlt items of what a resource read; then the run's figures, in source state."""
        begin_resource(run, schedule)
        for rows in run.until_budget(produced):
            for table, table_rows in merge_rows(rows, run.take_resolved()).items():  # with the failures it ended
                if table_rows:
                    yield dlt.mark.with_table_name(table_rows, table)
        for table, table_rows in run.take_resolved().items():
            yield dlt.mark.with_table_name(table_rows, table)
        end_resource(client, schedule)

    def profiles() -> Iterator[Any]:
        """The accounts and a snapshot of their counters."""
        yield from items(found.rows())

    def each_account(read: Callable[[str], Iterator[Rows]]) -> Iterator[Rows]:
        """`read(account id)` for every account of the run (found when it first runs)."""
        for account in found.found():
            yield from read(account.id)

    def media() -> Iterator[Any]:
        """Each account's media, with children, comments, insights and counters."""
        reader = AccountMedia(run, client, schedule, media_insights(), tuning.media_page_size)
        bookmarks = dlt.current.resource_state().setdefault("accounts", {})
        yield from items(
            each_account(lambda account_id: reader.rows_of(account_id, bookmarks.setdefault(account_id, {})))
        )

    def media_insights() -> MediaInsights:
        """The media insights reader, with the metrics refused so far (source state)."""
        return MediaInsights(run, client, metrics, dlt.current.source_state().setdefault("metrics_dropped", {}))

    def stories() -> Iterator[Any]:
        """Each account's live stories, with their insights."""
        yield from items(
            each_account(AccountLists(run, client, schedule, media_insights(), tuning.media_page_size).stories)
        )

    def tagged_media() -> Iterator[Any]:
        """The media each account is tagged in."""
        yield from items(
            each_account(AccountLists(run, client, schedule, media_insights(), tuning.media_page_size).tags)
        )

    def through_facebook_login(what: str, read: Callable[[str], Iterator[Rows]]) -> Iterator[Rows]:
        """`read(account id)` as the first Facebook Login account: only that way in serves
        hashtags and business discovery (§1)."""
        through = [account.id for account in found.found() if account.login == FACEBOOK]
        if not through:
            logger.warning("%s are read through an account of a Facebook Login token only (§1): none", what)
            return
        yield from read(through[0])

    def hashtag_media() -> Iterator[Any]:
        """The recent media of `hashtags`."""
        reader = Hashtags(run, client, hashtags, dlt.current.source_state().setdefault("hashtags", {}))
        yield from items(through_facebook_login("hashtags", reader.rows_of) if reader.names else iter(()))

    def competitor_snapshots() -> Iterator[Any]:
        """The public counters and newest media of `competitors` (business discovery)."""
        reader = Competitors(run, client, competitor_names)
        yield from items(through_facebook_login("competitors", reader.rows_of) if competitor_names else iter(()))

    def account_insights_daily() -> Iterator[Any]:
        """Each account's daily insights, once a day, the last two days each time."""

        def read(account_id: str) -> Iterator[Rows]:
            if schedule.not_due(ACCOUNT_INSIGHTS, [account_id], client.server_now):
                return
            rows = account_insights(run, client, account_id, client.server_now())
            if ACCOUNT_INSIGHTS in rows:  # read (not failed, nor waiting out a failure's backoff)
                rows = {**rows, **schedule.read_detail(ACCOUNT_INSIGHTS, account_id, client.server_now())}
            yield rows

        yield from items(each_account(read))

    def account_audience() -> Iterator[Any]:
        """Each account's follower demographics and followers online per hour (lifetime
        metrics), once a day."""

        def read(account_id: str) -> Iterator[Rows]:
            if schedule.not_due(AUDIENCE, [account_id], client.server_now):
                return
            rows = audience(run, client, account_id)
            if AUDIENCE in rows:  # read whole
                rows = {**rows, **schedule.read_detail(AUDIENCE, account_id, client.server_now())}
            yield rows

        yield from items(each_account(read))

    readers: dict[str, Callable[[], Iterator[Any]]] = {
        "accounts": profiles,
        "media": media,
        "account_insights": account_insights_daily,
        "audience": account_audience,
        "stories": stories,
        "tagged_media": tagged_media,
        "hashtag_media": hashtag_media,
        "competitors": competitor_snapshots,
    }
    return [raw_tables_resource(name, reader) for name, reader in readers.items()]


def raw_tables_resource(name: str, reader: Callable[[], Iterator[Any]]) -> DltResource:
    """A resource that may write to any raw table, each with its own keys."""
    resource = dlt.resource(reader, name=name)
    for table, spec in TABLES.items():
        resource.apply_hints(
            table_name=table,
            write_disposition="merge",
            primary_key=spec.get("primary_key"),
            columns=column_hints(spec),
            create_table_variant=True,
        )
    return resource
