-- Per account and format (feed image, feed video, carousel, reel, story), over the media and
-- stories the Graph API source loaded: how many, their share of the account's, and their mean
-- reach and engagement over those with insights. Stories are loaded only while live (from the
-- first run on), media back to the account's first.
SELECT
    owner_id,
    format,
    count(*) AS posts,
    CAST(count(*) AS DOUBLE PRECISION) / sum(count(*)) OVER (PARTITION BY owner_id) AS share_of_posts,
    count(observed_at) AS posts_with_insights,
    CAST(avg(reach) AS DOUBLE PRECISION) AS mean_reach,
    CAST(avg(engagement) AS DOUBLE PRECISION) AS mean_engagement,
    CAST(avg(engagement_rate_by_reach) AS DOUBLE PRECISION) AS mean_engagement_rate_by_reach
FROM {analytics}.media_insights
WHERE owner_id IS NOT NULL
GROUP BY owner_id, format
