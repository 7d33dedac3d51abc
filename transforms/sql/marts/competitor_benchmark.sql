-- The configured competitors (Graph API business discovery) beside the user's own accounts, one
-- row per account and day, from its last snapshot that day: followers and their change since
-- its previous day, media posted, and posting cadence and engagement over the newest 25 media it
-- had posted by then. Business discovery gives a competitor's newest 25 media
-- (`COMPETITOR_MEDIA_LIMIT` of the source's settings), so every account is measured over the
-- same window; the media's likes and comments are as last seen. A competitor is known by its
-- configured user name, an own account by its id.
WITH snapshots AS (
    SELECT
        FALSE AS is_own_account,
        username AS account_key,
        account_id,
        username,
        observed_at,
        followers_count AS followers,
        media_count
    FROM {analytics}.stg_graph_competitor_counts
    UNION ALL
    SELECT
        TRUE AS is_own_account,
        counts.user_id AS account_key,
        counts.user_id AS account_id,
        users.username,
        counts.observed_at,
        counts.followed_by_count AS followers,
        counts.media_count
    FROM {analytics}.stg_user_counts AS counts
    INNER JOIN {analytics}.stg_configured_users AS configured ON configured.user_id = counts.user_id
    LEFT JOIN {analytics}.stg_users AS users ON users.user_id = counts.user_id
),

posts AS (
    SELECT FALSE AS is_own_account, username AS account_key, created_at, likes_count + comments_count AS interactions
    FROM {analytics}.stg_graph_competitor_media
    UNION ALL
    SELECT TRUE AS is_own_account, media.owner_id AS account_key, media.created_at, media.likes_count + media.comments_count
    FROM {analytics}.stg_media AS media
    INNER JOIN {analytics}.stg_configured_users AS configured ON configured.user_id = media.owner_id
),

ranked_snapshots AS (
    SELECT
        snapshots.*,
        CAST(observed_at AT TIME ZONE 'UTC' AS DATE) AS day,
        row_number() OVER (
            PARTITION BY is_own_account, account_key, CAST(observed_at AT TIME ZONE 'UTC' AS DATE)
            ORDER BY observed_at DESC
        ) AS recency
    FROM snapshots
),

days AS (
    SELECT
        is_own_account,
        account_key,
        account_id,
        username,
        day,
        observed_at,
        followers,
        followers - lag(followers) OVER (PARTITION BY is_own_account, account_key ORDER BY day) AS follower_change,
        media_count
    FROM ranked_snapshots
    WHERE recency = 1
),

-- the media each account had posted by each day's snapshot, newest first
posted_by_then AS (
    SELECT
        days.is_own_account,
        days.account_key,
        days.day,
        days.observed_at,
        posts.created_at,
        posts.interactions,
        row_number() OVER (
            PARTITION BY days.is_own_account, days.account_key, days.day ORDER BY posts.created_at DESC
        ) AS newness
    FROM days
    INNER JOIN posts
        ON posts.is_own_account = days.is_own_account
        AND posts.account_key = days.account_key
        AND posts.created_at <= days.observed_at
),

windows AS (
    SELECT
        is_own_account,
        account_key,
        day,
        count(*) AS media_seen,
        CAST(extract(epoch FROM max(observed_at)) - extract(epoch FROM min(created_at)) AS DOUBLE PRECISION)
        / (7 * 86400.0) AS weeks_covered,
        CAST(avg(interactions) AS DOUBLE PRECISION) AS mean_likes_comments
    FROM posted_by_then
    WHERE newness <= 25
    GROUP BY is_own_account, account_key, day
)

SELECT
    days.account_id,
    days.username,
    days.is_own_account,
    days.day,
    days.observed_at,
    days.followers,
    days.follower_change,
    days.media_count,
    coalesce(windows.media_seen, 0) AS media_seen,
    CASE WHEN windows.weeks_covered > 0 THEN windows.media_seen / windows.weeks_covered END AS posts_per_week,
    windows.mean_likes_comments,
    CASE WHEN days.followers > 0 THEN windows.mean_likes_comments / days.followers END AS engagement_rate_by_followers
FROM days
LEFT JOIN windows
    ON windows.is_own_account = days.is_own_account
    AND windows.account_key = days.account_key
    AND windows.day = days.day
