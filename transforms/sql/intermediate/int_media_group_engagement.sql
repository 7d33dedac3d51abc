-- Engagement of media grouped by tag and by location (the measures both marts share): media,
-- distinct authors, totals, median engagement per media, and the most engaged media (ties by
-- media_id). Engagement = likes + comments (the API's counters).
WITH grouped_media AS (
    SELECT
        'tag' AS group_kind,
        tags.tag AS group_key,
        media.media_id,
        media.owner_id,
        media.likes_count AS likes,
        media.comments_count AS comments
    FROM {analytics}.stg_media_tags AS tags
    INNER JOIN {analytics}.stg_media AS media ON media.media_id = tags.media_id

    UNION ALL

    SELECT
        'location' AS group_kind,
        location_id AS group_key,
        media_id,
        owner_id,
        likes_count AS likes,
        comments_count AS comments
    FROM {analytics}.stg_media
    WHERE location_id IS NOT NULL
),

engaged_media AS (
    SELECT *, likes + comments AS engagement FROM grouped_media
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
        percentile_cont(0.5) WITHIN GROUP (ORDER BY engagement) AS median_engagement_per_media
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
    ranked_media.engagement AS top_media_engagement
FROM totals
INNER JOIN ranked_media
    ON ranked_media.group_kind = totals.group_kind
    AND ranked_media.group_key = totals.group_key
    AND ranked_media.media_rank = 1
