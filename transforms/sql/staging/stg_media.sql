-- One row per media, from either source or both (the Graph API's in v1's shape and ids:
-- `stg_graph_media`), with its latest counters; `owner_id` is the author. A media both sources
-- read takes its counters from the latest observation of either, and its other fields from v1
-- where v1 has them (only v1 gives a location and a filter).
WITH v1_media AS (
    SELECT
        CAST(id AS TEXT) AS media_id,
        CAST(user_id AS TEXT) AS owner_id,
        type AS media_type,
        created_time AS created_at,
        CAST(location_id AS TEXT) AS location_id,
        likes_count,
        comments_count,
        shortcode,
        link,
        filter,
        caption_text,
        image_url,
        observed_at,
        1 AS source_order
    FROM {raw}.media AS raw_media
    WHERE id IS NOT NULL
),

graph_media AS (
    SELECT
        media_id,
        owner_id,
        media_type,
        created_at,
        CAST(NULL AS TEXT) AS location_id,
        likes_count,
        comments_count,
        shortcode,
        link,
        CAST(NULL AS TEXT) AS filter,
        caption_text,
        image_url,
        observed_at,
        2 AS source_order
    FROM {analytics}.stg_graph_media
),

observations AS (
    SELECT * FROM v1_media
    UNION ALL
    SELECT * FROM graph_media
),

ranked AS (
    SELECT
        observations.*,
        row_number() OVER (PARTITION BY media_id ORDER BY source_order, observed_at DESC) AS field_rank,
        row_number() OVER (PARTITION BY media_id ORDER BY observed_at DESC, source_order) AS counter_rank
    FROM observations
),

fields AS (
    SELECT * FROM ranked WHERE field_rank = 1
),

counters AS (
    SELECT media_id, likes_count, comments_count, observed_at FROM ranked WHERE counter_rank = 1
)

SELECT
    fields.media_id,
    fields.owner_id,
    fields.media_type,
    fields.created_at,
    fields.location_id,
    coalesce(counters.likes_count, 0) AS likes_count,
    coalesce(counters.comments_count, 0) AS comments_count,
    fields.shortcode,
    fields.link,
    fields.filter,
    fields.caption_text,
    fields.image_url,
    counters.observed_at
FROM fields
INNER JOIN counters ON counters.media_id = fields.media_id
