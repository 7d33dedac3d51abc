-- One row per (user, observation) from either source: the profile counters at that moment
-- (Graph accounts under their ids in the marts, `stg_graph_user_ids`).
SELECT DISTINCT
    CAST(user_id AS TEXT) AS user_id,
    observed_at,
    media_count,
    follows_count,
    followed_by_count
FROM {raw}.user_counts AS raw_user_counts
WHERE user_id IS NOT NULL
  AND observed_at IS NOT NULL
UNION
SELECT
    coalesce(ids.user_id, CAST(raw_graph_counts.account_id AS TEXT)) AS user_id,
    raw_graph_counts.observed_at,
    raw_graph_counts.media_count,
    raw_graph_counts.follows_count,
    raw_graph_counts.followers_count AS followed_by_count
FROM {graph_raw}.account_counts AS raw_graph_counts
LEFT JOIN {analytics}.stg_graph_user_ids AS ids ON ids.graph_user_id = CAST(raw_graph_counts.account_id AS TEXT)
WHERE raw_graph_counts.account_id IS NOT NULL
  AND raw_graph_counts.observed_at IS NOT NULL
