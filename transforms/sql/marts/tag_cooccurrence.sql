-- Pairs of tags used on the same media, in both orders, with how many media carry both.
SELECT
    tags.tag,
    other_tags.tag AS cooccurring_tag,
    count(*) AS media_together
FROM {analytics}.stg_media_tags AS tags
INNER JOIN {analytics}.stg_media_tags AS other_tags
    ON other_tags.media_id = tags.media_id
    AND other_tags.tag <> tags.tag
GROUP BY tags.tag, other_tags.tag
