-- One row per media, from either source or both, with its latest counters; `owner_id` is the
-- author. A media both sources read (by its ids in `stg_graph_media_ids`) takes its counters
-- from the latest observation of either, and its other fields from v1 where v1 has them (only
-- v1 gives a location and a filter).
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
        ids.media_id,
        -- the Graph id when no account row names it (a run of the media resource alone)
        coalesce(owners.user_id, CAST(raw_graph_media.account_id AS TEXT)) AS owner_id,
        CASE raw_graph_media.media_type
            WHEN 'IMAGE' THEN 'image'
            WHEN 'VIDEO' THEN 'video'
            WHEN 'CAROUSEL_ALBUM' THEN 'carousel'
        END AS media_type,
        raw_graph_media.created_time AS created_at,
        CAST(NULL AS TEXT) AS location_id,
        raw_graph_media.like_count AS likes_count,
        raw_graph_media.comments_count,
        raw_graph_media.shortcode,
        raw_graph_media.permalink AS link,
        CAST(NULL AS TEXT) AS filter,
        raw_graph_media.caption AS caption_text,
        coalesce(raw_graph_media.thumbnail_url, raw_graph_media.media_url) AS image_url,
        raw_graph_media.observed_at,
        2 AS source_order
    FROM {graph_raw}.media AS raw_graph_media
    INNER JOIN {analytics}.stg_graph_media_ids AS ids ON ids.graph_media_id = CAST(raw_graph_media.id AS TEXT)
    LEFT JOIN {analytics}.stg_graph_user_ids AS owners
        ON owners.graph_user_id = CAST(raw_graph_media.account_id AS TEXT)
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
