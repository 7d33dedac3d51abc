"""The raw-table contract of the Instagram source: the single source of truth for the tables in
`instagram_raw`, their columns in order (dlt data types and descriptions), keys and write
dispositions.

Everything else derives from this module: the source's dlt hints and Arrow schemas
(`sources/instagram/helpers/shaping.py`, through `settings.TABLES`), the typed stand-ins of the
transforms (`transforms/raw_tables.py`) and the raw section of `docs/tables.md`
(`scripts/gen_docs.py`). To add a column, add it here, run `.venv/bin/python scripts/gen_docs.py`
and extend its test (`tests/source/test_schema.py` checks what a load creates against this).

It lives outside the `sources.instagram` package on purpose and imports nothing of the project: importing any
module of that package runs its `__init__` (dlt resources, the HTTP client, pyarrow), which the
transforms and the docs generator must not depend on. `sources.instagram.settings` re-exports
`TABLES` and `FOLLOW_EDGES_DISPOSITION` for the source's own code.
"""

from __future__ import annotations

from typing import Any

TEXT, BIGINT, DOUBLE, BOOL, TIMESTAMP = "text", "bigint", "double", "bool", "timestamp"

# How dlt's DuckDB destination stores each data type (`information_schema` shows TEXT as VARCHAR).
DUCKDB_TYPES: dict[str, str] = {
    TEXT: "TEXT",
    BIGINT: "BIGINT",
    DOUBLE: "DOUBLE",
    BOOL: "BOOLEAN",
    TIMESTAMP: "TIMESTAMP WITH TIME ZONE",
}

# The same types as the transforms' SQL spells them (the typed stand-ins of raw tables or
# columns never loaded, transforms/raw_tables.py): spellings DuckDB and PostgreSQL both take
# (PostgreSQL has no DOUBLE).
SQL_TYPES: dict[str, str] = {**DUCKDB_TYPES, DOUBLE: "DOUBLE PRECISION"}

OBSERVED_AT = ("observed_at", TIMESTAMP, "When the source saw this value: the API server's Date header.")

TABLES: dict[str, dict[str, Any]] = {
    "users": {
        "description": "Every user seen, with the latest profile fields known.",
        "primary_key": "id",
        "columns": [
            ("id", TEXT, "User id."),
            ("username", TEXT, "User name."),
            ("full_name", TEXT, "Display name."),
            ("profile_picture", TEXT, "Profile picture URL."),
            ("bio", TEXT, "Biography; NULL when only the short profile was seen."),
            ("website", TEXT, "Website; NULL when only the short profile was seen."),
            ("is_business", BOOL, "Business account flag (2017+ full profiles only)."),
            OBSERVED_AT,
            (
                "is_full_profile",
                BOOL,
                "True for a full profile (bio or website read), false for the short one from a list;"
                " of one load's rows of a user, a full one is kept. NULL in rows loaded before it existed.",
            ),
        ],
        # a short profile never wins over a full one seen in the same load: a sort key the source
        # always fills, not `bio`, whose NULL sorts first in PostgreSQL's descending order and
        # last in DuckDB's (docs/destinations.md)
        "dedup_sort": ("is_full_profile", "desc"),
    },
    "user_counts": {
        "description": (
            "Counter snapshot of a user's full profile: a row when the profile changed since the last"
            " row, or on first sight. When the counts were last confirmed unchanged is in"
            " `refresh_schedule` (kind 'user', `last_read_at`)."
        ),
        "primary_key": "snapshot_key",
        "columns": [
            ("snapshot_key", TEXT, "user_id + ':' + observed_at (unix seconds)."),
            ("user_id", TEXT, "User id."),
            OBSERVED_AT,
            ("media_count", BIGINT, "Number of media the user posted."),
            ("follows_count", BIGINT, "Number of accounts the user follows."),
            ("followed_by_count", BIGINT, "Number of followers."),
        ],
    },
    "media": {
        "description": "One row per media, with its latest counters.",
        "primary_key": "id",
        # two lists may show a media in one run: the load keeps the later sighting
        "dedup_sort": ("observed_at", "desc"),
        "columns": [
            ("id", TEXT, "Media id."),
            ("user_id", TEXT, "Owner's user id."),
            ("type", TEXT, "image, video or carousel."),
            ("created_time", TIMESTAMP, "When it was posted."),
            ("link", TEXT, "Permalink."),
            ("shortcode", TEXT, "Shortcode (the permalink part after /p/)."),
            ("filter", TEXT, "Filter name."),
            ("caption_id", TEXT, "Caption comment id."),
            ("caption_text", TEXT, "Caption text."),
            ("location_id", TEXT, "Location id, if any."),
            ("likes_count", BIGINT, "Likes when observed."),
            ("comments_count", BIGINT, "Comments when observed."),
            ("image_url", TEXT, "Standard resolution image URL."),
            ("video_url", TEXT, "Standard resolution video URL (videos only)."),
            OBSERVED_AT,
        ],
    },
    "media_counts": {
        "description": (
            "Counter snapshot of a media: a row when the media changed since the last row (its"
            " counters, mostly), or on first sight. When the counters were last confirmed unchanged"
            " is in `refresh_schedule` (kind 'counters', `last_read_at`)."
        ),
        "primary_key": "snapshot_key",
        "columns": [
            ("snapshot_key", TEXT, "media_id + ':' + observed_at (unix seconds)."),
            ("media_id", TEXT, "Media id."),
            OBSERVED_AT,
            ("likes_count", BIGINT, "Likes."),
            ("comments_count", BIGINT, "Comments."),
        ],
    },
    "media_tags": {
        "description": "Tags of each media (replaced as a set whenever the media is read).",
        "primary_key": ("media_id", "tag"),
        "merge_key": "media_id",
        "columns": [
            ("media_id", TEXT, "Media id."),
            ("tag", TEXT, "Tag name, without '#'."),
        ],
    },
    "media_users_in_photo": {
        "description": "People tagged in photos, with their position.",
        "primary_key": ("media_id", "user_id"),
        "merge_key": "media_id",
        "columns": [
            ("media_id", TEXT, "Media id."),
            ("user_id", TEXT, "Tagged user's id."),
            ("position_x", DOUBLE, "Horizontal position, 0..1."),
            ("position_y", DOUBLE, "Vertical position, 0..1."),
        ],
    },
    "media_carousel_items": {
        "description": "Children of carousel media.",
        "primary_key": ("media_id", "position"),
        "merge_key": "media_id",
        "columns": [
            ("media_id", TEXT, "Carousel media id."),
            ("position", BIGINT, "0-based position in the carousel."),
            ("type", TEXT, "image or video."),
            ("image_url", TEXT, "Standard resolution image URL."),
            ("video_url", TEXT, "Standard resolution video URL (videos only)."),
        ],
    },
    "tag_media": {
        "description": "Which tag feed found which media.",
        "primary_key": "tag_media_key",
        "columns": [
            ("tag_media_key", TEXT, "tag + ':' + media_id."),
            ("tag", TEXT, "Tag name."),
            ("media_id", TEXT, "Media id."),
            OBSERVED_AT,
        ],
    },
    "location_media": {
        "description": "Which location feed found which media.",
        "primary_key": "location_media_key",
        "columns": [
            ("location_media_key", TEXT, "location_id + ':' + media_id."),
            ("location_id", TEXT, "Location id."),
            ("media_id", TEXT, "Media id."),
            OBSERVED_AT,
        ],
    },
    "geography_media": {
        "description": "Which geography feed found which media.",
        "primary_key": "geography_media_key",
        "columns": [
            ("geography_media_key", TEXT, "geography_id + ':' + media_id."),
            ("geography_id", TEXT, "Geography id."),
            ("media_id", TEXT, "Media id."),
            OBSERVED_AT,
        ],
    },
    "comments": {
        "description": "Comments of the media whose comments were read (the set is replaced per media).",
        "primary_key": "id",
        "merge_key": "media_id",
        "columns": [
            ("id", TEXT, "Comment id."),
            ("media_id", TEXT, "Media id."),
            ("from_user_id", TEXT, "Author's user id."),
            ("text", TEXT, "Comment text."),
            ("created_time", TIMESTAMP, "When it was written."),
            OBSERVED_AT,
        ],
    },
    "likes": {
        "description": "Current likers of each media whose likes were read (the set is replaced per media).",
        "primary_key": "like_key",
        "merge_key": "media_id",
        "columns": [
            ("like_key", TEXT, "media_id + ':' + user_id."),
            ("media_id", TEXT, "Media id."),
            ("user_id", TEXT, "Liker's user id."),
            OBSERVED_AT,
        ],
    },
    "follow_edges": {
        "description": (
            "Follow edges with validity (scd2). A list is read completely before its edges are"
            " loaded, so an edge is only retired by a complete read of its list. An edge A -> B can be"
            " held by two lists, 'follows:A' and 'followed_by:B'."
        ),
        "columns": [
            ("edge_key", TEXT, "list_key + ':' + the other user's id."),
            ("list_key", TEXT, "'follows:{uid}' or 'followed_by:{uid}': the list that holds the edge."),
            ("follower_id", TEXT, "Who follows."),
            ("followed_id", TEXT, "Who is followed."),
            ("valid_from", TIMESTAMP, "Observed time of the first complete read that held the edge."),
            ("valid_to", TIMESTAMP, "Observed time of the first complete read without it; NULL while current."),
            (
                "shard",
                TEXT,
                "The shard whose pipeline read the list; NULL for the unsharded pipeline. Each shard keeps"
                " its own history of a list (its loads come in its own order); stg_follow_edges merges them.",
            ),
        ],
    },
    "follow_list_reads": {
        "description": (
            "One row per complete read of a follow list, empty lists included: the evidence, beside"
            " follow_edges, of when each list was read. An edge A -> B is decided by the newest complete"
            " read of 'follows:A' or 'followed_by:B', also when that read left follow_edges unchanged."
        ),
        "primary_key": "read_key",
        "columns": [
            ("read_key", TEXT, "[shard + ':'] + list_key + ':' + observed_at (unix seconds)."),
            ("list_key", TEXT, "'follows:{uid}' or 'followed_by:{uid}': the list read."),
            ("user_id", TEXT, "The list's owner."),
            ("list_kind", TEXT, "follows (whom the owner follows) or followed_by (who follows the owner)."),
            (
                "observed_at",
                TIMESTAMP,
                "The run's observed time (the server's Date header of the run's first answer): the instant"
                " follow_edges gives the edges this read added (valid_from) or retired (valid_to).",
            ),
            ("member_count", BIGINT, "Users in the list at this read (0 for an empty list)."),
            ("shard", TEXT, "The shard whose pipeline read the list; NULL for the unsharded pipeline."),
        ],
    },
    "relationships": {
        "description": "The token user's relationship to each user looked up.",
        "primary_key": "user_id",
        "columns": [
            ("user_id", TEXT, "The other user's id."),
            ("outgoing_status", TEXT, "none, follows or requested."),
            ("incoming_status", TEXT, "none, followed_by, requested_by or blocked_by_you."),
            ("target_user_is_private", BOOL, "Whether the other user is private."),
            OBSERVED_AT,
        ],
    },
    "tags": {
        "description": "Tag info.",
        "primary_key": "name",
        "columns": [
            ("name", TEXT, "Tag name."),
            ("media_count", BIGINT, "Media carrying the tag when observed."),
            OBSERVED_AT,
        ],
    },
    "locations": {
        "description": "Locations (from location lookups, searches and media).",
        "primary_key": "id",
        "columns": [
            ("id", TEXT, "Location id."),
            ("name", TEXT, "Name."),
            ("latitude", DOUBLE, "Latitude."),
            ("longitude", DOUBLE, "Longitude."),
            ("street_address", TEXT, "Street address (often empty)."),
        ],
    },
    "search_results": {
        "description": "Which search query found which object, with its rank.",
        "primary_key": "search_key",
        "columns": [
            ("search_key", TEXT, "kind + ':' + query + ':' + object_id."),
            ("kind", TEXT, "users, tags, locations or media."),
            ("query", TEXT, "The query: the search text, or 'lat=..,lng=..,distance=..' style parameters."),
            ("rank", BIGINT, "0-based position in the answer."),
            ("object_id", TEXT, "Id (or tag name) of the object found."),
            OBSERVED_AT,
        ],
    },
    "refresh_schedule": {
        "description": (
            "The source's refresh schedule: one row per thing it reads again (a crawled user, a"
            " follow list, a media's counters, likers or comments, a profile, tag, location,"
            " relationship or search), with its last complete read and when it is due next. The"
            " source reads it at the start of each run to spend the budget on work that is due."
            " Rows of kind 'counters' (a media) and 'user' (a full profile) also say when what the"
            " warehouse holds was last confirmed: `media` and `media_counts`, `users` and"
            " `user_counts` get rows only when something changed."
        ),
        # one schedule per source state: shards (each its own pipeline and state) keep their own
        "primary_key": ("entity_key", "epoch"),
        # a run may write a key more than once (a media two lists show); its last write wins
        "dedup_sort": ("write_order", "desc"),
        "columns": [
            ("entity_key", TEXT, "kind + ':' + entity_id."),
            (
                "kind",
                TEXT,
                "crawl, follows, followed_by, profile, user, counters, likes, comments, tag, location,"
                " relationship, requested_by or search (docs/refresh.md).",
            ),
            ("entity_id", TEXT, "The user id, media id, tag name, location id or search label."),
            (
                "parent",
                TEXT,
                "For media kinds: the media list that refreshes the media's counters (e.g. 'user:123'):"
                " of the lists that showed it, the seeds' media first, then the feed, liked media,"
                " locations, tags, geographies, popular.",
            ),
            ("depth", BIGINT, "For users: crawl depth (0: a configured user id); its priority."),
            ("created_at", TIMESTAMP, "For media kinds: when the media was posted (its refresh ages count from it)."),
            (
                "last_read_at",
                TIMESTAMP,
                "Server time of the last complete read (for counters and user: when the loaded rows"
                " were last confirmed); NULL if never read.",
            ),
            (
                "last_count",
                BIGINT,
                "Follow lists: the profile's follows / followed_by count at that read; likes and"
                " comments: the media's counter at that read; counters and user: a fingerprint of the"
                " rows last loaded for the media or profile (equal: nothing changed).",
            ),
            ("next_due_at", TIMESTAMP, "When it is due again; NULL: never again (a media past its last age)."),
            ("active", BOOL, "False once a crawled user left the frontier (no longer reachable)."),
            (
                "epoch",
                TEXT,
                "The source state that wrote the row (each shard's pipeline has its own); rows of an"
                " earlier, dropped state are ignored.",
            ),
            (
                "write_order",
                BIGINT,
                "Order of the row among the run's writes: when a run writes a key more than once,"
                " the load keeps its last write. Not comparable across runs.",
            ),
        ],
    },
    "extraction_errors": {
        "description": (
            "Per-entity failures, once per entity and error type (the latest occurrence): refusals"
            " (unknown, private, deleted, missing scope), answers that could not be used, and reads"
            " that outlasted their retries, which later runs retry with backoff until they give up."
            " A row stays as history once its entity is read again: `resolved_at` then says when."
            " What is failing now: `SELECT * FROM instagram_raw.extraction_errors WHERE resolved_at"
            " IS NULL` (open failures; RepairedText rows, notes on loaded rows, are never open)."
        ),
        "primary_key": "error_key",
        "columns": [
            ("error_key", TEXT, "entity_kind + ':' + entity_id + ':' + error_type."),
            ("entity_kind", TEXT, "user, media, likes, comments (of a media), tag, location, geography, list, search."),
            ("entity_id", TEXT, "The entity's id (or name)."),
            ("endpoint", TEXT, "Endpoint template, e.g. 'GET /users/{id}'."),
            (
                "error_type",
                TEXT,
                "The API's error_type (e.g. APINotFoundError), or HTTPnnn for an answer without one;"
                " TransientError for a connection that failed; for answers the source refused:"
                " AnswerTooDeep (nested too deep to decode), AnswerTooLarge (a body over the byte"
                " limit), PageTooLarge (far more items than the count asked for), CursorLoop (a"
                " cursor leading back to a page already read), InvalidId (an id from an answer not"
                " of its kind's shape, e.g. a media id not `<digits>_<digits>`: nothing was"
                " requested); RepairedText: not a failure but a note that the row of table"
                " entity_kind with key entity_id was loaded with lone UTF-16 surrogates replaced"
                " with U+FFFD (resolved_at = observed_at).",
            ),
            ("message", TEXT, "The API's error message, or what failed (secrets masked)."),
            ("attempts", BIGINT, "Requests made for the read in that run, retries included."),
            (
                "failed_runs",
                BIGINT,
                "Runs in which the read outlasted its retries (NULL for a refusal, which is not retried).",
            ),
            ("gave_up", BOOL, "True when the source stopped retrying the read; NULL for a refusal."),
            OBSERVED_AT,
            (
                "resolved_at",
                TIMESTAMP,
                "When the entity was read successfully after this failure (the server's time of"
                " that read); NULL while the failure is open. An entity failing again later gets"
                " its row back open. RepairedText notes are resolved when written (= observed_at).",
            ),
        ],
    },
}

FOLLOW_EDGES_DISPOSITION: dict[str, Any] = {
    "disposition": "merge",
    "strategy": "scd2",
    "validity_column_names": ["valid_from", "valid_to"],
    # One marker row per completely read list lets an empty list retire its edges: the scope
    # counts every staged row, the source filter keeps markers out of the table.
    # Each shard's pipeline keeps its own history of a list (a shard's loads arrive in the order
    # it read, two shards' loads do not): the scope is the staged lists of the staged shard.
    "destination_scope": (
        "(list_key, coalesce(shard, '')) IN (SELECT list_key, coalesce(shard, '') FROM {staging_table})"
    ),
    "source_filter": "follower_id IS NOT NULL",
}
