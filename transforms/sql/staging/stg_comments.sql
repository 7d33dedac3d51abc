-- One row per comment; `commenter_id` is who wrote it.
WITH ranked AS (
    SELECT
        CAST(id AS TEXT) AS comment_id,
        CAST(media_id AS TEXT) AS media_id,
        CAST(from_user_id AS TEXT) AS commenter_id,
        text,
        created_time AS created_at,
        observed_at,
        row_number() OVER (PARTITION BY id ORDER BY observed_at DESC) AS recency
    FROM {raw}.comments AS raw_comments
    WHERE id IS NOT NULL
)

SELECT comment_id, media_id, commenter_id, text, created_at, observed_at
FROM ranked
WHERE recency = 1
