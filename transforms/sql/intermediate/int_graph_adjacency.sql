-- The undirected projection of the follow graph: for each node, each neighbour it follows or is
-- followed by (both orientations stored), and whether the two follow each other.
WITH directed AS (
    SELECT src_index AS node_index, dst_index AS neighbor_index FROM {analytics}.int_graph_edges
    UNION ALL
    SELECT dst_index AS node_index, src_index AS neighbor_index FROM {analytics}.int_graph_edges
)

SELECT
    node_index,
    neighbor_index,
    count(*) = 2 AS is_mutual
FROM directed
GROUP BY node_index, neighbor_index
