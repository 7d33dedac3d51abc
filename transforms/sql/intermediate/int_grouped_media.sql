-- Media by the groups the engagement marts measure: one row per (tag, media) and per
-- (location, media), with the media's author, latest like and comment counters, and when those
-- counters were observed.
SELECT
    'tag' AS group_kind,
    tags.tag AS group_key,
    media.media_id,
    media.owner_id,
    media.likes_count AS likes,
    media.comments_count AS comments,
    media.observed_at AS counters_observed_at
FROM {analytics}.stg_media_tags AS tags
INNER JOIN {analytics}.stg_media AS media ON media.media_id = tags.media_id

UNION ALL

SELECT
    'location' AS group_kind,
    location_id AS group_key,
    media_id,
    owner_id,
    likes_count AS likes,
    comments_count AS comments,
    observed_at AS counters_observed_at
FROM {analytics}.stg_media
WHERE location_id IS NOT NULL
