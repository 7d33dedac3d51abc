-- One row per media the Graph API source loaded, under its id in the marts
-- (`stg_graph_media_ids`) and its owner's (`stg_graph_user_ids`), in v1's shape (`stg_media`
-- unions it with v1's media), with what only the Graph API tells of it: its product type (feed
-- post, reel), which decides its format and the insights it has.
SELECT
    ids.media_id,
    ids.graph_media_id,
    -- the Graph id when no account row names it (a run of the media resource alone)
    coalesce(owners.user_id, CAST(raw_graph_media.account_id AS TEXT)) AS owner_id,
    CASE raw_graph_media.media_type
        WHEN 'IMAGE' THEN 'image'
        WHEN 'VIDEO' THEN 'video'
        WHEN 'CAROUSEL_ALBUM' THEN 'carousel'
    END AS media_type,
    raw_graph_media.media_product_type,
    raw_graph_media.created_time AS created_at,
    raw_graph_media.like_count AS likes_count,
    raw_graph_media.comments_count,
    raw_graph_media.shortcode,
    raw_graph_media.permalink AS link,
    raw_graph_media.caption AS caption_text,
    coalesce(raw_graph_media.thumbnail_url, raw_graph_media.media_url) AS image_url,
    raw_graph_media.observed_at
FROM {graph_raw}.media AS raw_graph_media
INNER JOIN {analytics}.stg_graph_media_ids AS ids ON ids.graph_media_id = CAST(raw_graph_media.id AS TEXT)
LEFT JOIN {analytics}.stg_graph_user_ids AS owners
    ON owners.graph_user_id = CAST(raw_graph_media.account_id AS TEXT)
