"""Constants of the Instagram Graph API source: the version, fields, metric sets and limits
(instagram-graph/API.md). The raw tables (`TABLES`) are declared in
`sources/instagram_graph_contract.py`, outside this package so that the docs generator reads
them without importing the source; they are re-exported here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from dlt.common.configuration import configspec

from ..common.tuning import Tuning
from ..instagram_graph_contract import TABLES as TABLES

DEFAULT_BASE_URL = "https://graph.facebook.com"
# Paths carry a version; a missing one means the oldest still served (§1).
DEFAULT_API_VERSION = "v24.0"

# `limit` of a list page: the most the API serves (§3).
MAX_PAGE_SIZE = 100

# Fields asked for (§2): every one the tables keep.
ACCOUNT_FIELDS = "id,username,name,biography,website,profile_picture_url,followers_count,follows_count,media_count"
CHILD_FIELDS = "id,media_type,media_url,permalink"
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,"
    f"like_count,comments_count,is_comment_enabled,children{{{CHILD_FIELDS}}}"
)
STORY_FIELDS = "id,media_type,media_url,thumbnail_url,permalink,timestamp"
HASHTAG_MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,like_count,comments_count"
TAGGED_MEDIA_FIELDS = f"{HASHTAG_MEDIA_FIELDS},username,owner{{id}}"
# Business discovery (§2): a competitor's public counters and its newest media, in one request.
COMPETITOR_MEDIA_LIMIT = 25
COMPETITOR_FIELDS = (
    "id,username,followers_count,follows_count,media_count,"
    f"media.limit({COMPETITOR_MEDIA_LIMIT}){{{HASHTAG_MEDIA_FIELDS}}}"
)
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id"
# replies nested in their comment, as many as a page holds (§2: one level deep)
COMMENT_FIELDS = f"{REPLY_FIELDS},replies.limit({MAX_PAGE_SIZE}){{{REPLY_FIELDS}}}"

# The lifetime metrics asked of a media, per `media_product_type` (§2). A metric the API
# refuses (retired, or not for that type) is dropped for that type and version and remembered
# in the source state, so the sets may name metrics the API has since retired.
COMMON_MEDIA_METRICS = ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions")
MEDIA_METRICS: dict[str, tuple[str, ...]] = {
    "FEED": (*COMMON_MEDIA_METRICS, "follows", "profile_visits"),
    "REELS": (*COMMON_MEDIA_METRICS, "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"),
    "STORY": ("reach", "views", "replies", "shares", "follows", "profile_visits", "navigation", "total_interactions"),
}
# How long the API keeps a media's insights (§2): an older media is not asked for them.
INSIGHTS_KEPT = timedelta(days=730)
# Daily account metrics (§2: `period=day`), read once a day for the last two days: values of
# the latest day keep growing until it ends.
ACCOUNT_METRICS = ("reach", "views", "follower_count")
ACCOUNT_INSIGHTS_DAYS = 2
ACCOUNT_INSIGHTS_REFRESH_HOURS = 24.0
# The audience (§2): lifetime metrics, read once a day (every `ACCOUNT_INSIGHTS_REFRESH_HOURS`)
# with the refresh schedule's kind `audience`. The demographics answer one breakdown a request;
# `online_followers` answers per hour for the days the API gives by default (yesterday, today).
FOLLOWER_DEMOGRAPHICS = "follower_demographics"
DEMOGRAPHIC_BREAKDOWNS = ("age", "gender", "city", "country")
ONLINE_FOLLOWERS = "online_followers"

# Ages after posting at which a story's insights are read (§2: a story is listed for 24 hours,
# its insights growing until then): once they have mostly come, and in the last hourly run
# before it expires.
STORY_INSIGHTS_AGES_HOURS = (6.0, 23.0)

# Hashtags (§2): an account may query at most this many unique hashtags in a rolling window,
# and a page of hashtag media holds at most 50.
MAX_HASHTAGS_PER_WINDOW = 30
HASHTAG_WINDOW_DAYS = 7
HASHTAG_PAGE_SIZE = 50

# A token expiring sooner than this is warned about at every run (§6). An Instagram Login token
# with fewer days left than `TOKEN_REFRESH_DAYS` is refreshed (once a month for a 60-day token,
# leaving weeks to notice a refresh that keeps failing), when `token_file` says where to keep it;
# the API refreshes a token only once it is a day old.
TOKEN_WARNING_DAYS = 7
TOKEN_REFRESH_DAYS = 30
TOKEN_REFRESH_MIN_AGE_HOURS = 24

# Usage pacing (§5): requests start to wait from this fraction of the run's share of the limit,
# up to this long each at the share itself, where the run stops.
PACING_FROM_SHARE = 0.75
MAX_PACING_PAUSE_SECONDS = 1.0

# Error codes (§4): throttling (the business-use-case throttles are 80000-80014), passing
# faults, and the token's.
THROTTLING_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2, 341, 368})
TOKEN_CODE = 190
NOT_ENOUGH_VIEWERS_CODE = 10
PERMISSION_CODES = frozenset({10, *range(200, 300)})
NO_SUCH_OBJECT_SUBCODE = 33

# Ages after posting at which a media's counters and insights are read again, then never: each
# read costs a request for its insights, and insights lag up to 48 h (§2), so fewer ages than
# v1's counters, which come with the list pages.
DEFAULT_ENGAGEMENT_AGES_HOURS = (6.0, 24.0, 72.0, 168.0, 720.0)


@configspec
class GraphTuning(Tuning):
    """How the Graph API source reads (`[sources.instagram_graph.tuning]`), beside what `Tuning`
    shares. `budget_share` is the share of the usage limit (§5) it may use before it stops.

    media_page_size: `limit` per page of media and comments.
    engagement_ages_hours: ages after posting at which a media's counters, comments (when their
        count changed) and insights are read again, then never again.
    """

    media_page_size: int = MAX_PAGE_SIZE
    engagement_ages_hours: Sequence[float] = DEFAULT_ENGAGEMENT_AGES_HOURS
