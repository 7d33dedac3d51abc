-- One row per tag: how much its media are engaged with, its best media and its most frequent
-- companion tag.
WITH top_companions AS (
    SELECT
        tag,
        cooccurring_tag,
        media_together,
        row_number() OVER (PARTITION BY tag ORDER BY media_together DESC, cooccurring_tag)
            AS companion_rank
    FROM {analytics}.tag_cooccurrence
)

SELECT
    tags.group_key AS tag,
    tags.media,
    tags.distinct_authors,
    tags.total_likes,
    tags.total_comments,
    tags.total_engagement,
    tags.median_engagement_per_media,
    tags.top_media_id,
    tags.top_media_engagement,
    top_companions.cooccurring_tag AS top_cooccurring_tag,
    top_companions.media_together AS top_cooccurring_tag_media
FROM {analytics}.int_media_group_engagement AS tags
LEFT JOIN top_companions
    ON top_companions.tag = tags.group_key
    AND top_companions.companion_rank = 1
WHERE tags.group_kind = 'tag'
