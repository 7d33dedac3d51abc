-- The current follow graph: one row per (follower, followed) pair whose newest evidence (the
-- newest complete read of `follows:{follower}` or `followed_by:{followed}`) shows it, however many
-- lists show it. `last_confirmed_at` is that newest read: an edge is current as of then.
WITH list_last_reads AS (
    SELECT list_key, max(read_at) AS last_read_at
    FROM {analytics}.int_follow_list_reads
    GROUP BY list_key
)

SELECT
    current_edges.follower_id,
    current_edges.followed_id,
    current_edges.started_at AS first_seen_at,
    current_edges.began_before_first_read AS first_seen_at_first_read,
    greatest(
        coalesce(follows_reads.last_read_at, followed_by_reads.last_read_at),
        coalesce(followed_by_reads.last_read_at, follows_reads.last_read_at)
    ) AS last_confirmed_at,
    reverse_edges.follower_id IS NOT NULL AS is_mutual,
    current_edges.seen_in_follows_list,
    current_edges.seen_in_followed_by_list
FROM {analytics}.int_follow_edge_periods AS current_edges
LEFT JOIN {analytics}.int_follow_edge_periods AS reverse_edges
    ON reverse_edges.follower_id = current_edges.followed_id
    AND reverse_edges.followed_id = current_edges.follower_id
    AND reverse_edges.is_current
LEFT JOIN list_last_reads AS follows_reads
    ON follows_reads.list_key = 'follows:' || current_edges.follower_id
LEFT JOIN list_last_reads AS followed_by_reads
    ON followed_by_reads.list_key = 'followed_by:' || current_edges.followed_id
WHERE current_edges.is_current
