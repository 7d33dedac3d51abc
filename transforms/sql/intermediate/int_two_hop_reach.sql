-- For every crawl seed, how many distinct accounts are within two follower hops: its followers
-- and their followers (the audience a post can reach through one share), the seed excluded.
-- Works on node indexes: hashing integers keeps the second hop (followers x their followers) fast.
-- Built in parts of the seeds: the (seed, account reached) pairs number the seeds' followers
-- plus, for each of them, their own followers, which grows faster than the graph (218M pairs
-- over 1M edges), and their distinct set is one hash table. About 4M pairs per part keep it
-- within a DuckDB memory limit of 256 MB (pipelines/recipe.py) at any size.
-- materialized: partitioned

-- @partitions: one part per 4M pairs (an upper bound: every follower is counted, seed or not)
WITH followers AS (
    SELECT dst_index AS node_index, count(*) AS followers
    FROM {analytics}.int_graph_edges
    GROUP BY dst_index
)

SELECT CAST(ceil(coalesce(sum(1 + coalesce(followers.followers, 0)), 0) / 4e6) AS INTEGER)
FROM {analytics}.int_graph_edges AS edges
LEFT JOIN followers ON followers.node_index = edges.src_index

-- @select: the seeds of part {partition}
WITH seeds AS (
    SELECT nodes.node_index, nodes.user_id
    FROM {analytics}.int_seed_users AS seed_users
    INNER JOIN {analytics}.int_graph_nodes AS nodes ON nodes.user_id = seed_users.user_id
    WHERE nodes.node_index % {partitions} = {partition}
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

-- each (seed, account) pair packed in one integer: one-column hashing, half the memory (a
-- right shift by 32 bits unpacks the seed, in DuckDB and PostgreSQL alike)
pairs AS (
    SELECT DISTINCT seed_index * 4294967296 + reached_index AS pair
    FROM (
        SELECT seed_index, reached_index FROM first_hop UNION ALL SELECT seed_index, reached_index FROM second_hop
    ) AS reached
    WHERE reached_index <> seed_index
),

reach AS (
    SELECT pair >> 32 AS seed_index, count(*) AS two_hop_reach
    FROM pairs
    GROUP BY pair >> 32
)

SELECT
    seeds.user_id,
    coalesce(reach.two_hop_reach, 0) AS two_hop_reach
FROM seeds
LEFT JOIN reach ON reach.seed_index = seeds.node_index
