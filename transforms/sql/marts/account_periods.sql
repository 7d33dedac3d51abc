-- Headline figures of each configured account over the last 7, 30, 90 and 365 days. Every
-- period ends at the warehouse's newest profile read (the latest `user_counts` snapshot of any
-- user), so that the accounts are compared over the same days.
WITH periods AS (
    SELECT 7 AS period_days
    UNION ALL SELECT 30
    UNION ALL SELECT 90
    UNION ALL SELECT 365
),

bounds AS (
    SELECT
        accounts.user_id,
        periods.period_days,
        newest.period_end - periods.period_days * INTERVAL '1 day' AS period_start,
        newest.period_end
    FROM {analytics}.accounts AS accounts
    CROSS JOIN periods
    CROSS JOIN (SELECT max(observed_at) AS period_end FROM {analytics}.stg_user_counts) AS newest
),

-- the follower count at the period's start: the newest snapshot at or before it (snapshots are
-- taken when a profile changes), else the account's first snapshot, inside the period
start_counts AS (
    SELECT
        bounds.user_id,
        bounds.period_days,
        snapshots.followed_by_count,
        snapshots.observed_at,
        row_number() OVER (
            PARTITION BY bounds.user_id, bounds.period_days
            ORDER BY
                CASE WHEN snapshots.observed_at <= bounds.period_start THEN 0 ELSE 1 END,
                CASE WHEN snapshots.observed_at <= bounds.period_start THEN snapshots.observed_at END DESC,
                snapshots.observed_at
        ) AS preference
    FROM bounds
    INNER JOIN {analytics}.stg_user_counts AS snapshots
        ON snapshots.user_id = bounds.user_id
        AND snapshots.observed_at <= bounds.period_end
),

events AS (
    SELECT
        bounds.user_id,
        bounds.period_days,
        count(CASE WHEN events.event_type = 'follow' THEN 1 END) AS new_followers,
        count(CASE WHEN events.event_type = 'unfollow' THEN 1 END) AS lost_followers
    FROM bounds
    INNER JOIN {analytics}.follow_events AS events
        ON events.followed_id = bounds.user_id
        AND events.observed_at > bounds.period_start
        AND events.observed_at <= bounds.period_end
    GROUP BY bounds.user_id, bounds.period_days
),

posts AS (
    SELECT
        bounds.user_id,
        bounds.period_days,
        media.media_id,
        media.likes,
        media.comments,
        media.engagement,
        media.engagement_rate_by_followers,
        row_number() OVER (
            PARTITION BY bounds.user_id, bounds.period_days
            ORDER BY media.engagement DESC, media.media_id
        ) AS engagement_rank
    FROM bounds
    INNER JOIN {analytics}.media_engagement AS media
        ON media.owner_id = bounds.user_id
        AND media.created_at > bounds.period_start
        AND media.created_at <= bounds.period_end
),

post_totals AS (
    SELECT
        user_id,
        period_days,
        count(*) AS posts,
        sum(likes) AS likes,
        sum(comments) AS comments,
        avg(engagement_rate_by_followers) AS mean_engagement_rate_by_followers,
        max(CASE WHEN engagement_rank = 1 THEN media_id END) AS best_media_id
    FROM posts
    GROUP BY user_id, period_days
)

SELECT
    bounds.user_id,
    bounds.period_days,
    bounds.period_start,
    bounds.period_end,
    latest.followed_by_count AS followers,
    start_counts.followed_by_count AS followers_at_start,
    start_counts.observed_at AS followers_at_start_observed_at,
    latest.followed_by_count - start_counts.followed_by_count AS follower_change,
    coalesce(events.new_followers, 0) AS new_followers,
    coalesce(events.lost_followers, 0) AS lost_followers,
    coalesce(post_totals.posts, 0) AS posts,
    coalesce(post_totals.likes, 0) AS likes,
    coalesce(post_totals.comments, 0) AS comments,
    post_totals.mean_engagement_rate_by_followers,
    post_totals.best_media_id
FROM bounds
LEFT JOIN {analytics}.int_user_latest_counts AS latest ON latest.user_id = bounds.user_id
LEFT JOIN start_counts
    ON start_counts.user_id = bounds.user_id
    AND start_counts.period_days = bounds.period_days
    AND start_counts.preference = 1
LEFT JOIN events ON events.user_id = bounds.user_id AND events.period_days = bounds.period_days
LEFT JOIN post_totals ON post_totals.user_id = bounds.user_id AND post_totals.period_days = bounds.period_days
