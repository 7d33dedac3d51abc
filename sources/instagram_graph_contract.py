"""The raw-table contract of the Instagram Graph API source: the tables in
`instagram_graph_raw`, their columns in order (dlt data types and descriptions) and keys.

Like `sources/instagram_contract.py` it imports nothing of the source package, so that the docs
generator reads it without importing dlt resources; `sources.instagram_graph.settings`
re-exports `TABLES`. The failure record and the refresh schedule are the shared machinery's
(`sources/common/`), so their tables are v1's, column for column.
"""

from __future__ import annotations

from typing import Any

from .instagram_contract import BIGINT, BOOL, OBSERVED_AT, TEXT, TIMESTAMP
from .instagram_contract import TABLES as V1_TABLES

# What the API shows of another account's media (hashtag media, business discovery).
PUBLIC_MEDIA_COLUMNS = [
    ("media_type", TEXT, "IMAGE, VIDEO or CAROUSEL_ALBUM."),
    ("created_time", TIMESTAMP, "When it was posted (`timestamp`)."),
    ("caption", TEXT, "Caption."),
    ("permalink", TEXT, "Permalink."),
    ("like_count", BIGINT, "Likes when observed."),
    ("comments_count", BIGINT, "Comments when observed."),
    OBSERVED_AT,
]

TABLES: dict[str, dict[str, Any]] = {
    "accounts": {
        "description": (
            "The professional accounts the token reads (instagram-graph/API.md §1), with their latest profile fields."
        ),
        "primary_key": "id",
        "columns": [
            ("id", TEXT, "Instagram professional account id (IG user id)."),
            ("username", TEXT, "User name."),
            ("name", TEXT, "Display name."),
            ("biography", TEXT, "Biography."),
            ("website", TEXT, "Website."),
            ("profile_picture_url", TEXT, "Profile picture URL."),
            ("login", TEXT, "How the token reaches it: 'facebook' (through a Page) or 'instagram'."),
            ("page_id", TEXT, "The Facebook Page linked to it (Facebook Login only)."),
            OBSERVED_AT,
        ],
    },
    "account_counts": {
        "description": "A snapshot of an account's counters, once per run that read the account.",
        "primary_key": "snapshot_key",
        "columns": [
            ("snapshot_key", TEXT, "account_id + ':' + observed_at (unix seconds)."),
            ("account_id", TEXT, "Account id."),
            OBSERVED_AT,
            ("followers_count", BIGINT, "Followers."),
            ("follows_count", BIGINT, "Accounts it follows."),
            ("media_count", BIGINT, "Media it posted."),
        ],
    },
    "media": {
        "description": "One row per media of the accounts, with its latest counters.",
        "primary_key": "id",
        "dedup_sort": ("observed_at", "desc"),
        "columns": [
            ("id", TEXT, "Media id."),
            ("account_id", TEXT, "Owner's account id."),
            ("media_type", TEXT, "IMAGE, VIDEO or CAROUSEL_ALBUM."),
            ("media_product_type", TEXT, "FEED, REELS, STORY or AD."),
            ("created_time", TIMESTAMP, "When it was posted (`timestamp`)."),
            ("caption", TEXT, "Caption."),
            ("permalink", TEXT, "Permalink."),
            ("shortcode", TEXT, "Shortcode."),
            ("media_url", TEXT, "Media URL."),
            ("thumbnail_url", TEXT, "Thumbnail URL (videos)."),
            ("like_count", BIGINT, "Likes when observed."),
            ("comments_count", BIGINT, "Comments when observed."),
            ("is_comment_enabled", BOOL, "Whether comments are enabled."),
            OBSERVED_AT,
        ],
    },
    "media_children": {
        "description": "The items of an album (`children`), in album order.",
        "primary_key": "id",
        "merge_key": "media_id",
        "columns": [
            ("id", TEXT, "Child id."),
            ("media_id", TEXT, "The album's media id."),
            ("position", BIGINT, "Place in the album, from 0."),
            ("media_type", TEXT, "IMAGE or VIDEO."),
            ("media_url", TEXT, "Media URL."),
            ("permalink", TEXT, "Permalink."),
        ],
    },
    "media_counts": {
        "description": (
            "A snapshot of a media's counters each time they were read (new, or due on the refresh"
            " schedule, kind 'counters')."
        ),
        "primary_key": "snapshot_key",
        "columns": [
            ("snapshot_key", TEXT, "media_id + ':' + observed_at (unix seconds)."),
            ("media_id", TEXT, "Media id."),
            OBSERVED_AT,
            ("like_count", BIGINT, "Likes."),
            ("comments_count", BIGINT, "Comments."),
        ],
    },
    "comments": {
        "description": "Comments of the media, and their replies (one level deep, `parent_id`).",
        "primary_key": "id",
        "columns": [
            ("id", TEXT, "Comment id."),
            ("media_id", TEXT, "Media id."),
            ("parent_id", TEXT, "The comment it replies to (NULL for a top-level comment)."),
            ("text", TEXT, "Text."),
            ("created_time", TIMESTAMP, "When it was written (`timestamp`)."),
            ("username", TEXT, "Commenter's user name."),
            ("from_id", TEXT, "Commenter's id (`from.id`)."),
            ("like_count", BIGINT, "Likes of the comment when observed."),
            ("hidden", BOOL, "Hidden by the account."),
            OBSERVED_AT,
        ],
    },
    "media_insights": {
        "description": (
            "Lifetime insights of a media (`/{media-id}/insights`), a snapshot per metric each time"
            " they were read: new media, then at the refresh schedule's engagement ages."
        ),
        "primary_key": ("media_id", "metric", "observed_at"),
        "columns": [
            ("media_id", TEXT, "Media id."),
            ("metric", TEXT, "Metric name (reach, views, saved, ...)."),
            ("value", BIGINT, "Lifetime value when observed."),
            ("media_product_type", TEXT, "FEED, REELS or STORY: the metric set asked for."),
            OBSERVED_AT,
            ("api_version", TEXT, "The API version asked (`v24.0`): which metrics exist changes with it (§2)."),
        ],
    },
    "account_insights": {
        "description": "Daily insights of an account (`period=day`); the last two days are read again each day.",
        "primary_key": ("account_id", "metric", "end_time"),
        "columns": [
            ("account_id", TEXT, "Account id."),
            ("metric", TEXT, "Metric name (reach, views, follower_count)."),
            ("end_time", TIMESTAMP, "End of the day the value covers."),
            ("value", BIGINT, "Value of that day."),
            OBSERVED_AT,
        ],
    },
    "audience": {
        "description": (
            "The demographics of an account's followers (`follower_demographics`, lifetime, §2), a snapshot per"
            " breakdown each time they were read: once a day (the refresh schedule, kind 'audience'). The API"
            " leaves them out for accounts under 100 followers."
        ),
        "primary_key": ("account_id", "metric", "breakdown", "dimension_value", "observed_at"),
        "columns": [
            ("account_id", TEXT, "Account id."),
            ("metric", TEXT, "Metric name (follower_demographics)."),
            ("breakdown", TEXT, "age, gender, city or country."),
            ("dimension_value", TEXT, "The group: an age range ('25-34'), a gender (F, M, U), a city, a country code."),
            ("value", BIGINT, "Followers in the group."),
            OBSERVED_AT,
        ],
    },
    "online_followers": {
        "description": (
            "How many of an account's followers were online in each hour of a day (`online_followers`, lifetime,"
            " §2), read with the audience once a day for the days the API answers (yesterday and today); the"
            " latest read of a day wins. The API leaves it out for accounts under 100 followers."
        ),
        "primary_key": ("account_id", "end_time", "hour"),
        "columns": [
            ("account_id", TEXT, "Account id."),
            (
                "end_time",
                TIMESTAMP,
                "End of the 24 hours the values cover (the API's days end at 07:00 UTC, midnight UTC-07:00).",
            ),
            (
                "hour",
                BIGINT,
                "The hour of those 24 hours, 0 to 23, as the API keys it: hour 0 starts 24 h before end_time.",
            ),
            ("value", BIGINT, "Followers online in that hour."),
            OBSERVED_AT,
        ],
    },
    "stories": {
        "description": (
            "The accounts' stories (`/{ig-user-id}/stories`): the API lists a story for 24 hours only, so"
            " each run loads those live, and their insights into `media_insights` (STORY)."
        ),
        "primary_key": "id",
        "columns": [
            ("id", TEXT, "Story id."),
            ("account_id", TEXT, "Owner's account id."),
            ("media_type", TEXT, "IMAGE or VIDEO."),
            ("created_time", TIMESTAMP, "When it was posted (`timestamp`)."),
            ("permalink", TEXT, "Permalink."),
            ("media_url", TEXT, "Media URL."),
            ("thumbnail_url", TEXT, "Thumbnail URL (videos)."),
            OBSERVED_AT,
        ],
    },
    "tagged_media": {
        "description": "Media in which an account is tagged (`/{ig-user-id}/tags`), latest per media.",
        "primary_key": ("account_id", "media_id"),
        "columns": [
            ("account_id", TEXT, "The tagged account's id."),
            ("media_id", TEXT, "Media id."),
            ("owner_id", TEXT, "The media owner's account id."),
            ("username", TEXT, "The media owner's user name."),
            *PUBLIC_MEDIA_COLUMNS,
        ],
    },
    "hashtag_media": {
        "description": (
            "Recent media of the configured hashtags (`/{hashtag-id}/recent_media`: the last 24 hours),"
            " as the API shows them to the account that searched the hashtag."
        ),
        "primary_key": ("hashtag", "media_id"),
        "dedup_sort": ("observed_at", "desc"),
        "columns": [
            ("hashtag", TEXT, "Hashtag name, without '#', lower case."),
            ("media_id", TEXT, "Media id."),
            ("hashtag_id", TEXT, "The hashtag's id (`ig_hashtag_search`)."),
            *PUBLIC_MEDIA_COLUMNS,
        ],
    },
    "competitor_counts": {
        "description": (
            "A snapshot of a configured competitor's public counters (business discovery, §2), once per"
            " run: benchmarks over time."
        ),
        "primary_key": "snapshot_key",
        "columns": [
            ("snapshot_key", TEXT, "username + ':' + observed_at (unix seconds)."),
            ("username", TEXT, "The competitor's user name, as configured."),
            ("account_id", TEXT, "The competitor's account id."),
            OBSERVED_AT,
            ("followers_count", BIGINT, "Followers."),
            ("follows_count", BIGINT, "Accounts it follows."),
            ("media_count", BIGINT, "Media it posted."),
        ],
    },
    "competitor_media": {
        "description": "A competitor's newest media with their public counters (business discovery), latest per media.",
        "primary_key": "media_id",
        "columns": [
            ("media_id", TEXT, "Media id."),
            ("username", TEXT, "The competitor's user name."),
            *PUBLIC_MEDIA_COLUMNS,
        ],
    },
    "extraction_errors": V1_TABLES["extraction_errors"],
    "refresh_schedule": V1_TABLES["refresh_schedule"],
}
