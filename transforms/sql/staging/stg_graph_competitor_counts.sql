-- One row per snapshot of a configured competitor's public counters (business discovery, once
-- per run).
SELECT DISTINCT
    username,
    CAST(account_id AS TEXT) AS account_id,
    observed_at,
    followers_count,
    follows_count,
    media_count
FROM {graph_raw}.competitor_counts AS raw_graph_competitor_counts
WHERE username IS NOT NULL
  AND observed_at IS NOT NULL
