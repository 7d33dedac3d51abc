-- Weakly connected components: every node repeatedly takes the smallest label among itself, its
-- neighbours (either direction) and its label's own label (a shortcut that halves long chains),
-- until nothing changes. A component is named after its smallest user_id.
-- materialized: iterative
-- max_iterations: 1000

-- @init: every node is its own component
SELECT node_index, node_index AS component_index
FROM {analytics}.int_graph_nodes

-- @step
WITH neighbour_labels AS (
    SELECT adjacency.node_index, min(neighbours.component_index) AS component_index
    FROM {analytics}.int_graph_adjacency AS adjacency
    INNER JOIN {state} AS neighbours ON neighbours.node_index = adjacency.neighbor_index
    GROUP BY adjacency.node_index
)

SELECT
    state.node_index,
    least(
        state.component_index,
        coalesce(neighbour_labels.component_index, state.component_index),
        label_of_label.component_index
    ) AS component_index
FROM {state} AS state
INNER JOIN {state} AS label_of_label ON label_of_label.node_index = state.component_index
LEFT JOIN neighbour_labels ON neighbour_labels.node_index = state.node_index

-- @converged: no label changed
SELECT count(*) = 0
FROM {state} AS state
INNER JOIN {previous} AS previous ON previous.node_index = state.node_index
WHERE state.component_index <> previous.component_index

-- @final: name each component after its smallest user_id (node indexes follow user_id order)
SELECT state.node_index, nodes.user_id AS component_id
FROM {state} AS state
INNER JOIN {analytics}.int_graph_nodes AS nodes ON nodes.node_index = state.component_index
