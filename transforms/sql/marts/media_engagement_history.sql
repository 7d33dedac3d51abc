-- One row per counter snapshot of a media: likes and comments then, the change since the media's
-- previous snapshot, and the media's age.
SELECT
    counts.media_id,
    media.owner_id,
    counts.observed_at,
    counts.likes_count AS likes,
    counts.comments_count AS comments,
    counts.likes_count - lag(counts.likes_count) OVER media_snapshots AS likes_delta,
    counts.comments_count - lag(counts.comments_count) OVER media_snapshots AS comments_delta,
    -- a double in both dialects (PostgreSQL's extract gives a numeric)
    CAST(extract(epoch FROM counts.observed_at) - extract(epoch FROM media.created_at) AS DOUBLE PRECISION) / 3600.0
        AS hours_since_posted
FROM {analytics}.stg_media_counts AS counts
LEFT JOIN {analytics}.stg_media AS media ON media.media_id = counts.media_id
WINDOW media_snapshots AS (PARTITION BY counts.media_id ORDER BY counts.observed_at)
