-- One row per (media, observation) from either source: the like and comment counters at that
-- moment (Graph media under their ids in the marts, `stg_graph_media_ids`).
SELECT DISTINCT
    CAST(media_id AS TEXT) AS media_id,
    observed_at,
    likes_count,
    comments_count
FROM {raw}.media_counts AS raw_media_counts
WHERE media_id IS NOT NULL
  AND observed_at IS NOT NULL
UNION
SELECT
    coalesce(ids.media_id, CAST(raw_graph_counts.media_id AS TEXT)) AS media_id,
    raw_graph_counts.observed_at,
    raw_graph_counts.like_count AS likes_count,
    raw_graph_counts.comments_count
FROM {graph_raw}.media_counts AS raw_graph_counts
LEFT JOIN {analytics}.stg_graph_media_ids AS ids ON ids.graph_media_id = CAST(raw_graph_counts.media_id AS TEXT)
WHERE raw_graph_counts.media_id IS NOT NULL
  AND raw_graph_counts.observed_at IS NOT NULL
