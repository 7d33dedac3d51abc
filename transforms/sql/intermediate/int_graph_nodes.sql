-- The nodes of the current follow graph: every endpoint of a current edge and every crawl seed,
-- numbered densely in user_id order so that the graph algorithms join on integers.
WITH current_edges AS (
    SELECT follower_id, followed_id
    FROM {analytics}.int_follow_edge_periods
    WHERE is_current
),

graph_users AS (
    SELECT follower_id AS user_id FROM current_edges
    UNION
    SELECT followed_id AS user_id FROM current_edges
    UNION
    SELECT user_id FROM {analytics}.int_seed_users
)

SELECT
    row_number() OVER (ORDER BY user_id) AS node_index,
    user_id
FROM graph_users
