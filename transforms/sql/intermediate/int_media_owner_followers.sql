-- For every media, its owner's follower count from the user_counts snapshot nearest in time to
-- when the media was posted (or, without a created_time, first observed); the earlier snapshot
-- wins a tie.
WITH media_times AS (
    SELECT
        media.media_id,
        media.owner_id,
        coalesce(media.created_at, first_counts.first_observed_at, media.observed_at) AS posted_at
    FROM {analytics}.stg_media AS media
    LEFT JOIN (
        SELECT media_id, min(observed_at) AS first_observed_at
        FROM {analytics}.stg_media_counts
        GROUP BY media_id
    ) AS first_counts ON first_counts.media_id = media.media_id
),

ranked AS (
    SELECT
        media_times.media_id,
        snapshots.followed_by_count,
        snapshots.observed_at,
        row_number() OVER (
            PARTITION BY media_times.media_id
            ORDER BY
                abs(extract(epoch FROM snapshots.observed_at) - extract(epoch FROM media_times.posted_at)),
                snapshots.observed_at
        ) AS nearness
    FROM media_times
    INNER JOIN {analytics}.stg_user_counts AS snapshots ON snapshots.user_id = media_times.owner_id
)

SELECT
    media_id,
    followed_by_count AS owner_followers,
    observed_at AS owner_followers_observed_at
FROM ranked
WHERE nearness = 1
