-- One row per media and story the Graph API source loaded: its format, its latest lifetime
-- insights (NULL where its product type has no such metric, or where the API gave none: too few
-- viewers, too young, older than two years) and engagement by reach.
WITH posts AS (
    SELECT media_id, owner_id, media_product_type, media_type, created_at
    FROM {analytics}.stg_graph_media
    UNION ALL
    SELECT story_id AS media_id, owner_id, 'STORY' AS media_product_type, media_type, created_at
    FROM {analytics}.stg_graph_stories
),

-- a story's replies are its comments; each media type counts what it has
engagement AS (
    SELECT
        media_id,
        coalesce(likes, 0) + coalesce(comments, 0) + coalesce(saved, 0) + coalesce(shares, 0)
        + coalesce(replies, 0) AS engagement
    FROM {analytics}.int_media_latest_insights
)

SELECT
    posts.media_id,
    posts.owner_id,
    posts.media_product_type,
    posts.media_type,
    CASE
        WHEN posts.media_product_type = 'STORY' THEN 'story'
        WHEN posts.media_product_type = 'REELS' THEN 'reel'
        WHEN posts.media_product_type <> 'FEED' THEN 'other'
        WHEN posts.media_type = 'carousel' THEN 'carousel'
        WHEN posts.media_type = 'video' THEN 'feed_video'
        ELSE 'feed_image'
    END AS format,
    posts.created_at,
    insights.reach,
    insights.views,
    insights.likes,
    insights.comments,
    insights.saved,
    insights.shares,
    insights.replies,
    insights.total_interactions,
    insights.follows,
    insights.profile_visits,
    engagement.engagement,
    CASE
        WHEN insights.reach > 0 THEN CAST(engagement.engagement AS DOUBLE PRECISION) / insights.reach
    END AS engagement_rate_by_reach,
    insights.observed_at
FROM posts
LEFT JOIN {analytics}.int_media_latest_insights AS insights ON insights.media_id = posts.media_id
LEFT JOIN engagement ON engagement.media_id = posts.media_id
