-- One row per account, breakdown, group and read of the follower demographics (lifetime values,
-- read once a day), under the marts' user ids (`stg_graph_user_ids`).
SELECT
    coalesce(ids.user_id, CAST(raw_graph_audience.account_id AS TEXT)) AS user_id,
    raw_graph_audience.metric,
    raw_graph_audience.breakdown,
    raw_graph_audience.dimension_value,
    raw_graph_audience.value,
    raw_graph_audience.observed_at
FROM {graph_raw}.audience AS raw_graph_audience
LEFT JOIN {analytics}.stg_graph_user_ids AS ids ON ids.graph_user_id = CAST(raw_graph_audience.account_id AS TEXT)
WHERE raw_graph_audience.account_id IS NOT NULL
  AND raw_graph_audience.breakdown IS NOT NULL
  AND raw_graph_audience.observed_at IS NOT NULL
