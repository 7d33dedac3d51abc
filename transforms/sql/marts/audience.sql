-- Each account's followers by age, gender, city and country, as its latest read of each
-- breakdown gave them (the demographics are read once a day), with each group's share of the
-- breakdown's followers and its rank in it.
WITH latest_reads AS (
    SELECT user_id, breakdown, max(observed_at) AS observed_at
    FROM {analytics}.stg_graph_audience
    WHERE metric = 'follower_demographics'
    GROUP BY user_id, breakdown
),

latest AS (
    SELECT audience.user_id, audience.breakdown, audience.dimension_value, audience.value, audience.observed_at
    FROM {analytics}.stg_graph_audience AS audience
    INNER JOIN latest_reads
        ON latest_reads.user_id = audience.user_id
        AND latest_reads.breakdown = audience.breakdown
        AND latest_reads.observed_at = audience.observed_at
    WHERE audience.metric = 'follower_demographics'
)

SELECT
    user_id,
    breakdown,
    dimension_value AS segment,
    value AS followers,
    CASE
        WHEN sum(value) OVER (PARTITION BY user_id, breakdown) > 0
            THEN CAST(value AS DOUBLE PRECISION) / sum(value) OVER (PARTITION BY user_id, breakdown)
    END AS share_of_followers,
    row_number() OVER (
        PARTITION BY user_id, breakdown ORDER BY value DESC NULLS LAST, dimension_value COLLATE "C"
    ) AS segment_rank,
    observed_at
FROM latest
