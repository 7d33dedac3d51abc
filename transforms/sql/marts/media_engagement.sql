-- One row per media: its engagement (latest API counters, and what was loaded of its likers and
-- comments) against its owner's followers when it was posted.
WITH loaded_likes AS (
    SELECT media_id, count(*) AS likers_loaded
    FROM {analytics}.stg_likes
    GROUP BY media_id
),

loaded_comments AS (
    SELECT media_id, count(*) AS comments_loaded, count(DISTINCT commenter_id) AS unique_commenters
    FROM {analytics}.stg_comments
    GROUP BY media_id
)

SELECT
    media.media_id,
    media.owner_id,
    media.media_type,
    media.created_at,
    media.location_id,
    media.caption_text AS caption,
    media.link,
    media.image_url,
    media.likes_count AS likes,
    media.comments_count AS comments,
    media.likes_count + media.comments_count AS engagement,
    coalesce(loaded_likes.likers_loaded, 0) AS likers_loaded,
    coalesce(loaded_comments.comments_loaded, 0) AS comments_loaded,
    coalesce(loaded_comments.unique_commenters, 0) AS unique_commenters,
    followers.owner_followers,
    followers.owner_followers_observed_at,
    CASE
        WHEN followers.owner_followers > 0
            THEN CAST(media.likes_count + media.comments_count AS DOUBLE PRECISION) / followers.owner_followers
    END AS engagement_rate_by_followers,
    media.observed_at AS counters_observed_at
FROM {analytics}.stg_media AS media
LEFT JOIN loaded_likes ON loaded_likes.media_id = media.media_id
LEFT JOIN loaded_comments ON loaded_comments.media_id = media.media_id
LEFT JOIN {analytics}.int_media_owner_followers AS followers ON followers.media_id = media.media_id
