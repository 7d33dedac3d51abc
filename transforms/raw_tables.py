"""The raw tables the transforms read, with the columns and types of the contract.

`docs/architecture.md` fixes these names. A run that loaded only some resources leaves tables
(or columns: dlt creates a column only once it has seen a value) missing; the runner then reads
a typed empty stand-in, so every analytics table is still built with the right columns.
"""

from __future__ import annotations

TEXT = "TEXT"
BIGINT = "BIGINT"
DOUBLE = "DOUBLE"
BOOLEAN = "BOOLEAN"
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"

RAW_TABLES: dict[str, dict[str, str]] = {
    "users": {
        "id": TEXT,
        "username": TEXT,
        "full_name": TEXT,
        "profile_picture": TEXT,
        "bio": TEXT,
        "website": TEXT,
        "is_business": BOOLEAN,
        "observed_at": TIMESTAMPTZ,
    },
    "user_counts": {
        "snapshot_key": TEXT,
        "user_id": TEXT,
        "observed_at": TIMESTAMPTZ,
        "media_count": BIGINT,
        "follows_count": BIGINT,
        "followed_by_count": BIGINT,
    },
    "media": {
        "id": TEXT,
        "user_id": TEXT,
        "type": TEXT,
        "created_time": TIMESTAMPTZ,
        "link": TEXT,
        "shortcode": TEXT,
        "filter": TEXT,
        "caption_id": TEXT,
        "caption_text": TEXT,
        "location_id": TEXT,
        "likes_count": BIGINT,
        "comments_count": BIGINT,
        "image_url": TEXT,
        "video_url": TEXT,
        "observed_at": TIMESTAMPTZ,
    },
    "media_counts": {
        "snapshot_key": TEXT,
        "media_id": TEXT,
        "observed_at": TIMESTAMPTZ,
        "likes_count": BIGINT,
        "comments_count": BIGINT,
    },
    "media_tags": {"media_id": TEXT, "tag": TEXT},
    "comments": {
        "id": TEXT,
        "media_id": TEXT,
        "from_user_id": TEXT,
        "text": TEXT,
        "created_time": TIMESTAMPTZ,
        "observed_at": TIMESTAMPTZ,
    },
    "likes": {"like_key": TEXT, "media_id": TEXT, "user_id": TEXT, "observed_at": TIMESTAMPTZ},
    "follow_edges": {
        "edge_key": TEXT,
        "list_key": TEXT,
        "follower_id": TEXT,
        "followed_id": TEXT,
        "valid_from": TIMESTAMPTZ,
        "valid_to": TIMESTAMPTZ,
    },
    "locations": {
        "id": TEXT,
        "name": TEXT,
        "latitude": DOUBLE,
        "longitude": DOUBLE,
        "street_address": TEXT,
    },
}
