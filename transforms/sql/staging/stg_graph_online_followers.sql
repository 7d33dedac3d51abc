-- One row per account and hour: how many of its followers were online in that hour, the latest
-- read, under the marts' user ids (`stg_graph_user_ids`). The API keys the hours of a day 0 to 23
-- from 24 hours before the day's `end_time` (days end at midnight UTC-07:00), so the hour's start
-- is an instant, which the marts read in UTC.
WITH reads AS (
    SELECT
        coalesce(ids.user_id, CAST(raw_graph_online.account_id AS TEXT)) AS user_id,
        raw_graph_online.end_time - INTERVAL '1 day' + raw_graph_online.hour * INTERVAL '1 hour' AS hour_start,
        raw_graph_online.value,
        raw_graph_online.observed_at
    FROM {graph_raw}.online_followers AS raw_graph_online
    LEFT JOIN {analytics}.stg_graph_user_ids AS ids ON ids.graph_user_id = CAST(raw_graph_online.account_id AS TEXT)
    WHERE raw_graph_online.account_id IS NOT NULL
      AND raw_graph_online.end_time IS NOT NULL
      AND raw_graph_online.hour BETWEEN 0 AND 23
),

ranked AS (
    SELECT
        reads.*,
        row_number() OVER (PARTITION BY user_id, hour_start ORDER BY observed_at DESC NULLS LAST) AS recency
    FROM reads
)

SELECT user_id, hour_start, value, observed_at
FROM ranked
WHERE recency = 1
