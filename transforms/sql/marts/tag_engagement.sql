-- One row per tag: how much its media are engaged with, its best media and its most frequent
-- companion tag.
SELECT
    tags.group_key AS tag,
    tags.media,
    tags.distinct_authors,
    tags.total_likes,
    tags.total_comments,
    tags.total_engagement,
    tags.median_engagement_per_media,
    tags.oldest_counters_observed_at,
    tags.latest_counters_observed_at,
    tags.top_media_id,
    tags.top_media_engagement,
    tags.top_cooccurring_tag,
    tags.top_cooccurring_tag_media
FROM {analytics}.int_media_group_engagement AS tags
WHERE tags.group_kind = 'tag'
