-- One row per account, metric and day of the accounts' daily insights, under the marts' user ids
-- (`stg_graph_user_ids`). A day's values keep growing for up to 48 hours (the API's lag), and the
-- source reads each day again the next day: the latest read of a day wins. The API's days end at
-- `end_time`, midnight in UTC-07:00 or -08:00, so a day is named by the UTC date it starts on.
WITH reads AS (
    SELECT
        coalesce(ids.user_id, CAST(raw_graph_insights.account_id AS TEXT)) AS user_id,
        raw_graph_insights.metric,
        CAST((raw_graph_insights.end_time - INTERVAL '1 day') AT TIME ZONE 'UTC' AS DATE) AS day,
        raw_graph_insights.value,
        raw_graph_insights.observed_at
    FROM {graph_raw}.account_insights AS raw_graph_insights
    LEFT JOIN {analytics}.stg_graph_user_ids AS ids
        ON ids.graph_user_id = CAST(raw_graph_insights.account_id AS TEXT)
    WHERE raw_graph_insights.account_id IS NOT NULL
      AND raw_graph_insights.metric IS NOT NULL
      AND raw_graph_insights.end_time IS NOT NULL
),

ranked AS (
    SELECT
        reads.*,
        row_number() OVER (PARTITION BY user_id, metric, day ORDER BY observed_at DESC NULLS LAST) AS recency
    FROM reads
)

SELECT user_id, metric, day, value, observed_at
FROM ranked
WHERE recency = 1
