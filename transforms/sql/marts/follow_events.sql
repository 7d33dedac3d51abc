-- Every follow and unfollow, when observed, as the newest complete read of either list that can
-- show an edge (`follows:{follower}`, `followed_by:{followed}`) decides it. 'initial': the edge
-- was there at the very first complete read of either list, so only that it began earlier is
-- known; 'follow': it appeared after a complete read of one of the lists (an empty one included)
-- had lacked it; 'unfollow': a complete read of either list, newer than every read showing it,
-- no longer held it.
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
