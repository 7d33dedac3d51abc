-- Each user's profile counters at their latest snapshot, and follower growth over 7 and 30 days:
-- the latest followed_by_count minus the one at the newest snapshot taken at least that long
-- before the latest (NULL when no snapshot is that old).
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY user_id ORDER BY observed_at DESC) AS recency
    FROM {analytics}.stg_user_counts
),

latest AS (
    SELECT user_id, observed_at, media_count, follows_count, followed_by_count
    FROM ranked
    WHERE recency = 1
),

-- snapshots at least 7 days older than the latest
baselines AS (
    SELECT
        latest.user_id,
        snapshots.followed_by_count,
        snapshots.observed_at,
        snapshots.observed_at <= latest.observed_at - INTERVAL '30 days' AS is_30d_old
    FROM latest
    INNER JOIN {analytics}.stg_user_counts AS snapshots
        ON snapshots.user_id = latest.user_id
        AND snapshots.observed_at <= latest.observed_at - INTERVAL '7 days'
),

baseline_7d AS (
    SELECT user_id, followed_by_count,
           row_number() OVER (PARTITION BY user_id ORDER BY observed_at DESC) AS recency
    FROM baselines
),

baseline_30d AS (
    SELECT user_id, followed_by_count,
           row_number() OVER (PARTITION BY user_id ORDER BY observed_at DESC) AS recency
    FROM baselines
    WHERE is_30d_old
)

SELECT
    latest.user_id,
    latest.observed_at,
    latest.media_count,
    latest.follows_count,
    latest.followed_by_count,
    latest.followed_by_count - baseline_7d.followed_by_count AS follower_growth_7d,
    latest.followed_by_count - baseline_30d.followed_by_count AS follower_growth_30d
FROM latest
LEFT JOIN baseline_7d ON baseline_7d.user_id = latest.user_id AND baseline_7d.recency = 1
LEFT JOIN baseline_30d ON baseline_30d.user_id = latest.user_id AND baseline_30d.recency = 1
