-- For every crawl seed, how many distinct accounts are within two follower hops: its followers
-- and their followers (the audience a post can reach through one share), the seed excluded.
-- Works on node indexes: hashing integers keeps the second hop (followers x their followers) fast.
WITH seeds AS (
    SELECT nodes.node_index, nodes.user_id
    FROM {analytics}.int_seed_users AS seed_users
    INNER JOIN {analytics}.int_graph_nodes AS nodes ON nodes.user_id = seed_users.user_id
),

first_hop AS (
    SELECT seeds.node_index AS seed_index, edges.src_index AS reached_index
    FROM seeds
    INNER JOIN {analytics}.int_graph_edges AS edges ON edges.dst_index = seeds.node_index
),

second_hop AS (
    SELECT first_hop.seed_index, edges.src_index AS reached_index
    FROM first_hop
    INNER JOIN {analytics}.int_graph_edges AS edges ON edges.dst_index = first_hop.reached_index
),

reached AS (
    SELECT seed_index, reached_index FROM first_hop
    UNION
    SELECT seed_index, reached_index FROM second_hop
)

SELECT
    seeds.user_id,
    count(reached.reached_index) AS two_hop_reach
FROM seeds
LEFT JOIN reached
    ON reached.seed_index = seeds.node_index
    AND reached.reached_index <> seeds.node_index
GROUP BY seeds.user_id
