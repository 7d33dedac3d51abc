-- Per account and day, the daily insights the Graph API source loaded: accounts reached, views,
-- and new followers (`follower_count`: only for accounts of 100 followers or more). Each value is
-- the latest read of its day: values grow for up to 48 hours after the day.
SELECT
    user_id,
    day,
    max(CASE WHEN metric = 'reach' THEN value END) AS reach,
    max(CASE WHEN metric = 'views' THEN value END) AS views,
    max(CASE WHEN metric = 'follower_count' THEN value END) AS new_followers,
    max(observed_at) AS observed_at
FROM {analytics}.stg_graph_account_insights
GROUP BY user_id, day
