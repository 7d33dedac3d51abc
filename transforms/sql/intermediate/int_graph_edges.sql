-- The current directed follow graph on node indexes, one row per edge, with the follower's
-- out-degree (PageRank spreads a node's rank evenly over the accounts it follows).
WITH edges AS (
    SELECT
        followers.node_index AS src_index,
        followed.node_index AS dst_index
    FROM {analytics}.int_follow_edge_periods AS periods
    INNER JOIN {analytics}.int_graph_nodes AS followers ON followers.user_id = periods.follower_id
    INNER JOIN {analytics}.int_graph_nodes AS followed ON followed.user_id = periods.followed_id
    WHERE periods.is_current
)

SELECT
    src_index,
    dst_index,
    count(*) OVER (PARTITION BY src_index) AS src_out_degree
FROM edges
