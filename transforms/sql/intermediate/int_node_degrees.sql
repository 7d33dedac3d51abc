-- Degrees of every node: followers (in), following (out), mutual follows, and the degree in the
-- undirected projection (distinct neighbours).
WITH out_degrees AS (
    SELECT src_index AS node_index, count(*) AS following
    FROM {analytics}.int_graph_edges
    GROUP BY src_index
),

in_degrees AS (
    SELECT dst_index AS node_index, count(*) AS followers
    FROM {analytics}.int_graph_edges
    GROUP BY dst_index
),

neighbourhoods AS (
    SELECT
        node_index,
        count(*) AS undirected_degree,
        sum(CASE WHEN is_mutual THEN 1 ELSE 0 END) AS mutual_follows
    FROM {analytics}.int_graph_adjacency
    GROUP BY node_index
)

SELECT
    nodes.node_index,
    coalesce(in_degrees.followers, 0) AS followers,
    coalesce(out_degrees.following, 0) AS following,
    coalesce(neighbourhoods.mutual_follows, 0) AS mutual_follows,
    coalesce(neighbourhoods.undirected_degree, 0) AS undirected_degree
FROM {analytics}.int_graph_nodes AS nodes
LEFT JOIN out_degrees ON out_degrees.node_index = nodes.node_index
LEFT JOIN in_degrees ON in_degrees.node_index = nodes.node_index
LEFT JOIN neighbourhoods ON neighbourhoods.node_index = nodes.node_index
