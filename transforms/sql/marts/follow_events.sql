-- Every follow and unfollow, when observed. 'follow': the edge appeared between two reads of a
-- list; 'initial': it was already there at the first read of its list(s), so only its first
-- observation is known; 'unfollow': a later complete read no longer showed it.
SELECT
    follower_id,
    followed_id,
    CASE WHEN began_before_first_read THEN 'initial' ELSE 'follow' END AS event_type,
    started_at AS observed_at
FROM {analytics}.int_follow_edge_periods

UNION ALL

SELECT
    follower_id,
    followed_id,
    'unfollow' AS event_type,
    ended_at AS observed_at
FROM {analytics}.int_follow_edge_periods
WHERE ended_at IS NOT NULL
