-- Engagement of media grouped by tag and by location (the measures both marts share): media,
-- distinct authors, totals, median engagement per media, the most engaged media (ties by
-- media_id), the most frequent co-occurring tag, and how old the counters behind it are. Engagement = likes + comments (the API's
-- counters).
WITH engaged_media AS (
    SELECT *, likes + comments AS engagement FROM {analytics}.int_grouped_media
),

totals AS (
    SELECT
        group_kind,
        group_key,
        count(*) AS media,
        count(DISTINCT owner_id) AS distinct_authors,
        sum(likes) AS total_likes,
        sum(comments) AS total_comments,
        sum(engagement) AS total_engagement,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY engagement) AS median_engagement_per_media,
        min(counters_observed_at) AS oldest_counters_observed_at,
        max(counters_observed_at) AS latest_counters_observed_at
    FROM engaged_media
    GROUP BY group_kind, group_key
),

ranked_media AS (
    SELECT
        group_kind,
        group_key,
        media_id,
        engagement,
        row_number() OVER (
            PARTITION BY group_kind, group_key ORDER BY engagement DESC, media_id
        ) AS media_rank
    FROM engaged_media
)

SELECT
    totals.*,
    ranked_media.media_id AS top_media_id,
    ranked_media.engagement AS top_media_engagement,
    group_tags.top_cooccurring_tag,
    group_tags.top_cooccurring_tag_media
FROM totals
INNER JOIN ranked_media
    ON ranked_media.group_kind = totals.group_kind
    AND ranked_media.group_key = totals.group_key
    AND ranked_media.media_rank = 1
LEFT JOIN {analytics}.int_media_group_tags AS group_tags
    ON group_tags.group_kind = totals.group_kind
    AND group_tags.group_key = totals.group_key
