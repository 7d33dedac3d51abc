-- One row per (media, tag); tags are compared case-insensitively, as Instagram does.
SELECT DISTINCT
    CAST(media_id AS TEXT) AS media_id,
    lower(tag) AS tag
FROM {raw}.media_tags AS raw_media_tags
WHERE media_id IS NOT NULL
  AND tag IS NOT NULL
