-- Per account, each day of the week and hour (UTC): how many of its followers are online then,
-- on average over the days loaded (`online_followers`), ranked from the best hour to post (1).
WITH hours AS (
    SELECT
        user_id,
        CAST(extract(isodow FROM hour_start AT TIME ZONE 'UTC') AS BIGINT) AS day_of_week,
        CAST(extract(hour FROM hour_start AT TIME ZONE 'UTC') AS BIGINT) AS hour_utc,
        value
    FROM {analytics}.stg_graph_online_followers
    WHERE value IS NOT NULL
),

slots AS (
    SELECT
        user_id,
        day_of_week,
        hour_utc,
        CAST(avg(value) AS DOUBLE PRECISION) AS mean_online_followers,
        count(*) AS days_observed
    FROM hours
    GROUP BY user_id, day_of_week, hour_utc
)

SELECT
    user_id,
    day_of_week,
    hour_utc,
    mean_online_followers,
    days_observed,
    row_number() OVER (
        PARTITION BY user_id ORDER BY mean_online_followers DESC, day_of_week, hour_utc
    ) AS slot_rank
FROM slots
