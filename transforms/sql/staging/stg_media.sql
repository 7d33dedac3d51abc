-- One row per media with its latest counters; `owner_id` is the author.
WITH ranked AS (
    SELECT
        CAST(id AS TEXT) AS media_id,
        CAST(user_id AS TEXT) AS owner_id,
        type AS media_type,
        created_time AS created_at,
        CAST(location_id AS TEXT) AS location_id,
        coalesce(likes_count, 0) AS likes_count,
        coalesce(comments_count, 0) AS comments_count,
        shortcode,
        link,
        filter,
        caption_text,
        image_url,
        observed_at,
        row_number() OVER (PARTITION BY id ORDER BY observed_at DESC) AS recency
    FROM {raw}.media AS raw_media
    WHERE id IS NOT NULL
)

SELECT
    media_id, owner_id, media_type, created_at, location_id, likes_count, comments_count,
    shortcode, link, filter, caption_text, image_url, observed_at
FROM ranked
WHERE recency = 1
