-- One row per (media, observation): the like and comment counters at that moment.
SELECT DISTINCT
    CAST(media_id AS TEXT) AS media_id,
    observed_at,
    likes_count,
    comments_count
FROM {raw}.media_counts AS raw_media_counts
WHERE media_id IS NOT NULL
  AND observed_at IS NOT NULL
