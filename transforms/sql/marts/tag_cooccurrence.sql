-- Pairs of tags used on the same media, in both orders, with how many media carry both and the
-- pair's lift: how much more often they meet than if tags were chosen independently, so that a
-- tag on every other media (`love`) does not top every list.
WITH tag_media AS (
    SELECT tag, count(*) AS media
    FROM {analytics}.stg_media_tags
    GROUP BY tag
),

tagged AS (
    SELECT count(DISTINCT media_id) AS media
    FROM {analytics}.stg_media_tags
),

pairs AS (
    SELECT
        tags.tag,
        other_tags.tag AS cooccurring_tag,
        count(*) AS media_together
    FROM {analytics}.stg_media_tags AS tags
    INNER JOIN {analytics}.stg_media_tags AS other_tags
        ON other_tags.media_id = tags.media_id
        AND other_tags.tag <> tags.tag
    GROUP BY tags.tag, other_tags.tag
)

SELECT
    pairs.tag,
    pairs.cooccurring_tag,
    pairs.media_together,
    tag_counts.media AS tag_media,
    other_counts.media AS cooccurring_tag_media,
    CAST(pairs.media_together AS DOUBLE PRECISION) * tagged.media / (tag_counts.media * other_counts.media) AS lift
FROM pairs
CROSS JOIN tagged
INNER JOIN tag_media AS tag_counts ON tag_counts.tag = pairs.tag
INNER JOIN tag_media AS other_counts ON other_counts.tag = pairs.cooccurring_tag
