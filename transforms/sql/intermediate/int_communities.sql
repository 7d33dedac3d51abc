-- Communities of the undirected projection (each connected pair is one edge of weight 1), by
-- modularity-maximising label propagation (LPAm, the local-moving phase of Louvain): each node
-- moves to the neighbouring community that raises the modularity most,
--   gain(C) = links(node, C) - degree(node) * degree_sum(C without node) / 2m,
-- and stays put on ties. A third of the nodes move at a time (neighbours moving together could
-- keep swapping labels forever). Stops when at most 0.1% of the nodes still want to move (on
-- graphs without community structure a few nodes can keep trading places for a long time).
-- Scores are compared multiplied by 2m, in integers, so ties are exact.
-- materialized: iterative
-- max_iterations: 100

-- @init: every node is its own community
SELECT node_index, node_index AS community_index, TRUE AS wants_to_move
FROM {analytics}.int_graph_nodes

-- @step
WITH twice_edges AS (
    SELECT sum(undirected_degree) AS two_m FROM {analytics}.int_node_degrees
),

community_degrees AS (
    SELECT state.community_index, sum(degrees.undirected_degree) AS degree_sum
    FROM {state} AS state
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = state.node_index
    GROUP BY state.community_index
),

links_to_communities AS (
    SELECT adjacency.node_index, neighbours.community_index, count(*) AS links
    FROM {analytics}.int_graph_adjacency AS adjacency
    INNER JOIN {state} AS neighbours ON neighbours.node_index = adjacency.neighbor_index
    GROUP BY adjacency.node_index, neighbours.community_index
),

candidates AS (
    SELECT node_index, community_index FROM links_to_communities
    UNION
    SELECT node_index, community_index FROM {state}
),

scored AS (
    SELECT
        candidates.node_index,
        candidates.community_index,
        candidates.community_index = state.community_index AS is_current,
        coalesce(links_to_communities.links, 0) * twice_edges.two_m
            - degrees.undirected_degree * (
                community_degrees.degree_sum
                - CASE
                    WHEN candidates.community_index = state.community_index
                        THEN degrees.undirected_degree
                    ELSE 0
                END
            ) AS score
    FROM candidates
    INNER JOIN {state} AS state ON state.node_index = candidates.node_index
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = candidates.node_index
    INNER JOIN community_degrees ON community_degrees.community_index = candidates.community_index
    CROSS JOIN twice_edges
    LEFT JOIN links_to_communities
        ON links_to_communities.node_index = candidates.node_index
        AND links_to_communities.community_index = candidates.community_index
),

ranked AS (
    SELECT
        node_index,
        community_index,
        row_number() OVER (
            PARTITION BY node_index
            ORDER BY score DESC, CASE WHEN is_current THEN 0 ELSE 1 END, community_index
        ) AS preference
    FROM scored
),

best AS (
    SELECT node_index, community_index FROM ranked WHERE preference = 1
)

SELECT
    state.node_index,
    CASE
        -- one third of the nodes moves per iteration: within each round of three iterations
        -- every node gets exactly one turn, and who shares a turn is reshuffled every round
        WHEN mod(
            mod(
                mod(state.node_index * state.node_index, 1000003) * 7919
                    + state.node_index * (CAST({iteration} AS BIGINT) - mod({iteration} - 1, 3)) * 104729,
                1000003
            ) + {iteration},
            3
        ) = 0
            THEN best.community_index
        ELSE state.community_index
    END AS community_index,
    best.community_index <> state.community_index AS wants_to_move
FROM {state} AS state
INNER JOIN best ON best.node_index = state.node_index

-- @converged: in the state this step started from, (almost) no node wanted to move
SELECT count(*) <= 0.001 * (SELECT count(*) FROM {state}) FROM {state} WHERE wants_to_move

-- @final: name each community after its smallest member's user_id
WITH members AS (
    SELECT state.node_index, state.community_index, nodes.user_id
    FROM {state} AS state
    INNER JOIN {analytics}.int_graph_nodes AS nodes ON nodes.node_index = state.node_index
)

SELECT
    node_index,
    min(user_id) OVER (PARTITION BY community_index) AS community_id
FROM members
