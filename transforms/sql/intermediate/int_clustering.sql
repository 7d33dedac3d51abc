-- Local clustering coefficient of every node on the directed graph, exactly as
-- networkx.clustering computes it for a DiGraph (Fagiolo 2007):
--   c(u) = T(u) / (2 * (d_tot(u) * (d_tot(u) - 1) - 2 * d_mutual(u)))
-- where d_tot = followers + following, d_mutual = mutual follows and T(u) the number of directed
-- triangles through u. With s(u, v) = 1 for a one-way pair and 2 for a mutual pair, T(u) is twice
-- the sum over the undirected triangles {u, v, w} of s(u, v) * s(v, w) * s(w, u).
-- Triangles are listed once each by orienting every pair from the lower- to the higher-degree
-- end (a standard trick that bounds the work by m^1.5 even with celebrity hubs).
WITH weighted_pairs AS (
    SELECT
        adjacency.node_index AS low_index,
        adjacency.neighbor_index AS high_index,
        CASE WHEN adjacency.is_mutual THEN 2 ELSE 1 END AS weight
    FROM {analytics}.int_graph_adjacency AS adjacency
    INNER JOIN {analytics}.int_node_degrees AS low ON low.node_index = adjacency.node_index
    INNER JOIN {analytics}.int_node_degrees AS high ON high.node_index = adjacency.neighbor_index
    WHERE low.undirected_degree < high.undirected_degree
       OR (low.undirected_degree = high.undirected_degree
           AND adjacency.node_index < adjacency.neighbor_index)
),

triangles AS (
    SELECT
        first_pair.low_index AS a_index,
        first_pair.high_index AS b_index,
        second_pair.high_index AS c_index,
        first_pair.weight * second_pair.weight * closing_pair.weight AS weight
    FROM weighted_pairs AS first_pair
    INNER JOIN weighted_pairs AS second_pair
        ON second_pair.low_index = first_pair.low_index
    INNER JOIN weighted_pairs AS closing_pair
        ON closing_pair.low_index = first_pair.high_index
        AND closing_pair.high_index = second_pair.high_index
),

triangle_weights AS (
    SELECT node_index, sum(weight) AS weight
    FROM (
        SELECT a_index AS node_index, weight FROM triangles
        UNION ALL
        SELECT b_index AS node_index, weight FROM triangles
        UNION ALL
        SELECT c_index AS node_index, weight FROM triangles
    ) AS corners
    GROUP BY node_index
)

SELECT
    degrees.node_index,
    coalesce(triangle_weights.weight, 0) AS triangle_weight,
    CASE
        WHEN coalesce(triangle_weights.weight, 0) = 0 THEN 0.0
        ELSE CAST(triangle_weights.weight AS DOUBLE PRECISION) / (
            (degrees.followers + degrees.following) * (degrees.followers + degrees.following - 1)
            - 2 * degrees.mutual_follows
        )
    END AS clustering_coefficient
FROM {analytics}.int_node_degrees AS degrees
LEFT JOIN triangle_weights ON triangle_weights.node_index = degrees.node_index
