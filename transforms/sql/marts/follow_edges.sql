-- The current follow graph: one row per (follower, followed) pair that a list shows now, however
-- many lists show it.
SELECT
    current_edges.follower_id,
    current_edges.followed_id,
    current_edges.started_at AS first_seen_at,
    current_edges.began_before_first_read AS first_seen_at_first_read,
    reverse_edges.follower_id IS NOT NULL AS is_mutual,
    current_edges.seen_in_follows_list,
    current_edges.seen_in_followed_by_list
FROM {analytics}.int_follow_edge_periods AS current_edges
LEFT JOIN {analytics}.int_follow_edge_periods AS reverse_edges
    ON reverse_edges.follower_id = current_edges.followed_id
    AND reverse_edges.followed_id = current_edges.follower_id
    AND reverse_edges.is_current
WHERE current_edges.is_current
