-- PageRank of every node by power iteration, as networkx.pagerank computes it: damping 0.85,
-- uniform teleport, and the rank of nodes that follow nobody (dangling) spread uniformly.
-- Stops when the summed absolute change of one iteration is below 1e-11 per node
-- (networkx's own default test is 1e-6 per node).
-- Sums run over DECIMAL(18, 17) (ranks are below 1; 1e-17 steps): exact, so the order of a
-- parallel aggregation cannot change a bit of the result and reruns are identical. (That is
-- also faster than summing doubles in 128-bit decimals.)
-- materialized: iterative
-- max_iterations: 300

-- @init: every node starts with 1 / N
SELECT node_index, 1.0 / (SELECT count(*) FROM {analytics}.int_graph_nodes) AS pagerank
FROM {analytics}.int_graph_nodes

-- @step: one power iteration
WITH node_count AS (
    SELECT count(*) AS nodes FROM {state}
),

dangling_rank AS (
    SELECT coalesce(sum(CAST(state.pagerank AS DECIMAL(18, 17))), 0) AS pagerank
    FROM {state} AS state
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = state.node_index
    WHERE degrees.following = 0
),

inflow AS (
    SELECT
        edges.dst_index AS node_index,
        sum(CAST(state.pagerank / edges.src_out_degree AS DECIMAL(18, 17))) AS pagerank
    FROM {analytics}.int_graph_edges AS edges
    INNER JOIN {state} AS state ON state.node_index = edges.src_index
    GROUP BY edges.dst_index
)

SELECT
    state.node_index,
    CAST(
        0.85 * coalesce(inflow.pagerank, 0)
        + (0.15 + 0.85 * dangling_rank.pagerank) / node_count.nodes
        AS DOUBLE PRECISION
    ) AS pagerank
FROM {state} AS state
CROSS JOIN node_count
CROSS JOIN dangling_rank
LEFT JOIN inflow ON inflow.node_index = state.node_index

-- @converged
SELECT
    coalesce(sum(CAST(abs(state.pagerank - previous.pagerank) AS DECIMAL(18, 17))), 0)
        <= count(*) * 1e-11
FROM {state} AS state
INNER JOIN {previous} AS previous ON previous.node_index = state.node_index

-- @final
SELECT node_index, pagerank FROM {state}
