-- One row per media of a configured competitor seen (business discovery gives its newest ones),
-- with its public counters as last seen.
SELECT
    CAST(media_id AS TEXT) AS media_id,
    username,
    created_time AS created_at,
    like_count AS likes_count,
    comments_count,
    observed_at
FROM {graph_raw}.competitor_media AS raw_graph_competitor_media
WHERE media_id IS NOT NULL
  AND username IS NOT NULL
