-- One row per story seen live: what it was, when it was posted, and its latest insights. The API
-- lists a story for 24 hours only, so its last read (`hours_after_posting`) came at most a day
-- after posting; its insights grow until it expires.
SELECT
    stories.story_id,
    stories.owner_id,
    stories.media_type,
    stories.created_at,
    stories.link,
    insights.reach,
    insights.views,
    insights.replies,
    insights.shares,
    insights.follows,
    insights.profile_visits,
    insights.navigation,
    insights.total_interactions,
    insights.observed_at,
    CAST(extract(epoch FROM insights.observed_at) - extract(epoch FROM stories.created_at) AS DOUBLE PRECISION)
    / 3600.0 AS hours_after_posting
FROM {analytics}.stg_graph_stories AS stories
LEFT JOIN {analytics}.int_media_latest_insights AS insights ON insights.media_id = stories.story_id
