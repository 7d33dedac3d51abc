-- Each configured account's days: its follower count at the day's last snapshot, the follows
-- and unfollows of it observed that day, and the media it posted that day.
WITH snapshots AS (
    SELECT
        counts.user_id,
        CAST(counts.observed_at AT TIME ZONE 'UTC' AS DATE) AS day,
        counts.followed_by_count,
        row_number() OVER (
            PARTITION BY counts.user_id, CAST(counts.observed_at AT TIME ZONE 'UTC' AS DATE)
            ORDER BY counts.observed_at DESC
        ) AS recency
    FROM {analytics}.stg_user_counts AS counts
    INNER JOIN {analytics}.accounts AS accounts ON accounts.user_id = counts.user_id
),

events AS (
    SELECT
        events.followed_id AS user_id,
        CAST(events.observed_at AT TIME ZONE 'UTC' AS DATE) AS day,
        count(CASE WHEN events.event_type = 'follow' THEN 1 END) AS new_followers,
        count(CASE WHEN events.event_type = 'unfollow' THEN 1 END) AS lost_followers
    FROM {analytics}.follow_events AS events
    INNER JOIN {analytics}.accounts AS accounts ON accounts.user_id = events.followed_id
    WHERE events.event_type <> 'initial'
    GROUP BY events.followed_id, CAST(events.observed_at AT TIME ZONE 'UTC' AS DATE)
),

posts AS (
    SELECT media.owner_id AS user_id, CAST(media.created_at AT TIME ZONE 'UTC' AS DATE) AS day, count(*) AS posts
    FROM {analytics}.media_engagement AS media
    INNER JOIN {analytics}.accounts AS accounts ON accounts.user_id = media.owner_id
    WHERE media.created_at IS NOT NULL
    GROUP BY media.owner_id, CAST(media.created_at AT TIME ZONE 'UTC' AS DATE)
),

days AS (
    SELECT user_id, day FROM snapshots WHERE recency = 1
    UNION
    SELECT user_id, day FROM events
    UNION
    SELECT user_id, day FROM posts
)

SELECT
    days.user_id,
    days.day,
    snapshots.followed_by_count AS followers,
    coalesce(events.new_followers, 0) AS new_followers,
    coalesce(events.lost_followers, 0) AS lost_followers,
    coalesce(posts.posts, 0) AS posts
FROM days
LEFT JOIN snapshots ON snapshots.user_id = days.user_id AND snapshots.day = days.day AND snapshots.recency = 1
LEFT JOIN events ON events.user_id = days.user_id AND events.day = days.day
LEFT JOIN posts ON posts.user_id = days.user_id AND posts.day = days.day
