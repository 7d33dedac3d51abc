-- One row per (media, observation) of a configured competitor's media: its like and comment
-- counters each time business discovery listed it.
SELECT DISTINCT
    CAST(media_id AS TEXT) AS media_id,
    observed_at,
    like_count AS likes_count,
    comments_count
FROM {graph_raw}.competitor_media_counts AS raw_graph_competitor_media_counts
WHERE media_id IS NOT NULL
  AND observed_at IS NOT NULL
