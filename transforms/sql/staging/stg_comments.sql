-- One row per comment from either source, its latest version; `commenter_id` is who wrote it.
-- Graph comments come under the marts' ids of their media and authors (`stg_graph_media_ids`,
-- `stg_graph_user_ids`); a comment keeps its id on both APIs, so one both read is one row.
WITH observations AS (
    SELECT
        CAST(id AS TEXT) AS comment_id,
        CAST(media_id AS TEXT) AS media_id,
        CAST(from_user_id AS TEXT) AS commenter_id,
        CAST(NULL AS TEXT) AS parent_comment_id,
        text,
        created_time AS created_at,
        observed_at
    FROM {raw}.comments AS raw_comments
    WHERE id IS NOT NULL
    UNION ALL
    SELECT
        CAST(raw_graph_comments.id AS TEXT) AS comment_id,
        coalesce(media.media_id, CAST(raw_graph_comments.media_id AS TEXT)) AS media_id,
        coalesce(authors.user_id, CAST(raw_graph_comments.from_id AS TEXT)) AS commenter_id,
        CAST(raw_graph_comments.parent_id AS TEXT) AS parent_comment_id,
        raw_graph_comments.text,
        raw_graph_comments.created_time AS created_at,
        raw_graph_comments.observed_at
    FROM {graph_raw}.comments AS raw_graph_comments
    LEFT JOIN {analytics}.stg_graph_media_ids AS media
        ON media.graph_media_id = CAST(raw_graph_comments.media_id AS TEXT)
    LEFT JOIN {analytics}.stg_graph_user_ids AS authors
        ON authors.graph_user_id = CAST(raw_graph_comments.from_id AS TEXT)
    WHERE raw_graph_comments.id IS NOT NULL
),

ranked AS (
    SELECT
        observations.*,
        -- the reply link only the Graph API gives survives a later v1 read
        max(parent_comment_id) OVER (PARTITION BY comment_id) AS any_parent_comment_id,
        row_number() OVER (PARTITION BY comment_id ORDER BY observed_at DESC) AS recency
    FROM observations
)

SELECT
    comment_id, media_id, commenter_id, any_parent_comment_id AS parent_comment_id, text, created_at, observed_at
FROM ranked
WHERE recency = 1
