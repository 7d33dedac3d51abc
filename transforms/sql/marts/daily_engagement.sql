-- One row per (UTC day, owner) with activity: media posted, comments received (by their
-- created_time), likes gained (increase of like counters between two observations of the same
-- media, on the day of the later one) and follower change (last follower count of the day minus
-- the last one before that day).
WITH new_media AS (
    SELECT owner_id, CAST(created_at AT TIME ZONE 'UTC' AS DATE) AS day, count(*) AS new_media
    FROM {analytics}.stg_media
    WHERE created_at IS NOT NULL
    GROUP BY owner_id, CAST(created_at AT TIME ZONE 'UTC' AS DATE)
),

comments_received AS (
    SELECT
        media.owner_id,
        CAST(comments.created_at AT TIME ZONE 'UTC' AS DATE) AS day,
        count(*) AS comments_received
    FROM {analytics}.stg_comments AS comments
    INNER JOIN {analytics}.stg_media AS media ON media.media_id = comments.media_id
    WHERE comments.created_at IS NOT NULL
    GROUP BY media.owner_id, CAST(comments.created_at AT TIME ZONE 'UTC' AS DATE)
),

likes_gained AS (
    SELECT
        owner_id,
        CAST(observed_at AT TIME ZONE 'UTC' AS DATE) AS day,
        sum(likes_delta) AS likes_gained
    FROM {analytics}.media_engagement_history
    WHERE likes_delta IS NOT NULL
      AND owner_id IS NOT NULL
    GROUP BY owner_id, CAST(observed_at AT TIME ZONE 'UTC' AS DATE)
),

end_of_day_followers AS (
    SELECT user_id AS owner_id, day, followed_by_count
    FROM (
        SELECT
            user_id,
            CAST(observed_at AT TIME ZONE 'UTC' AS DATE) AS day,
            followed_by_count,
            row_number() OVER (
                PARTITION BY user_id, CAST(observed_at AT TIME ZONE 'UTC' AS DATE)
                ORDER BY observed_at DESC
            ) AS recency
        FROM {analytics}.stg_user_counts
    ) AS snapshots
    WHERE recency = 1
),

follower_changes AS (
    SELECT
        owner_id,
        day,
        followed_by_count AS followers_end_of_day,
        followed_by_count - lag(followed_by_count) OVER (PARTITION BY owner_id ORDER BY day)
            AS follower_delta
    FROM end_of_day_followers
),

owner_days AS (
    SELECT owner_id, day FROM new_media
    UNION
    SELECT owner_id, day FROM comments_received
    UNION
    SELECT owner_id, day FROM likes_gained
    UNION
    SELECT owner_id, day FROM follower_changes
)

SELECT
    owner_days.day,
    owner_days.owner_id,
    coalesce(new_media.new_media, 0) AS new_media,
    coalesce(likes_gained.likes_gained, 0) AS likes_gained,
    coalesce(comments_received.comments_received, 0) AS comments_received,
    follower_changes.followers_end_of_day,
    follower_changes.follower_delta
FROM owner_days
LEFT JOIN new_media
    ON new_media.owner_id = owner_days.owner_id AND new_media.day = owner_days.day
LEFT JOIN comments_received
    ON comments_received.owner_id = owner_days.owner_id AND comments_received.day = owner_days.day
LEFT JOIN likes_gained
    ON likes_gained.owner_id = owner_days.owner_id AND likes_gained.day = owner_days.day
LEFT JOIN follower_changes
    ON follower_changes.owner_id = owner_days.owner_id AND follower_changes.day = owner_days.day
