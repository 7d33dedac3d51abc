-- Communities of the undirected projection (each connected pair is one edge of weight 1), by
-- modularity-maximising label propagation (LPAm, the local-moving phase of Louvain): each node
-- moves to the neighbouring community that raises the modularity most,
--   gain(C) = links(node, C) - degree(node) * degree_sum(C without node) / 2m,
-- and stays put on ties. A third of the nodes move at a time (neighbours moving together could
-- keep swapping labels forever), and only they are scored (a third of the work). Stops when at
-- most 0.1% of them wanted to move (on graphs without community structure a few nodes can keep
-- trading places for a long time).
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

-- one third of the nodes moves per iteration: within each round of three iterations every node
-- gets exactly one turn, and who shares a turn is reshuffled every round
movers AS (
    SELECT node_index, community_index
    FROM {state}
    WHERE mod(
        mod(
            mod(node_index * node_index, 1000003) * 7919
                + node_index * (CAST({iteration} AS BIGINT) - mod({iteration} - 1, 3)) * 104729,
            1000003
        ) + {iteration},
        3
    ) = 0
),

community_degrees AS (
    SELECT state.community_index, sum(degrees.undirected_degree) AS degree_sum
    FROM {state} AS state
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = state.node_index
    GROUP BY state.community_index
),

-- a mover's links into each neighbouring community, and its own community with no link (staying
-- is always a candidate); only the movers' links are counted, a third of the work. Grouped by
-- (node, community) packed in one integer: faster than by the two columns
candidates AS (
    SELECT pair >> 32 AS node_index, mod(pair, 4294967296) AS community_index, sum(link) AS links
    FROM (
        SELECT movers.node_index * 4294967296 + neighbours.community_index AS pair, 1 AS link
        FROM movers
        INNER JOIN {analytics}.int_graph_adjacency AS adjacency ON adjacency.node_index = movers.node_index
        INNER JOIN {state} AS neighbours ON neighbours.node_index = adjacency.neighbor_index
        UNION ALL
        SELECT node_index * 4294967296 + community_index AS pair, 0 AS link FROM movers
    ) AS links
    GROUP BY pair
),

scored AS (
    SELECT
        candidates.node_index,
        candidates.community_index,
        candidates.community_index = movers.community_index AS is_current,
        candidates.links * twice_edges.two_m
            - degrees.undirected_degree * (
                community_degrees.degree_sum
                - CASE
                    WHEN candidates.community_index = movers.community_index
                        THEN degrees.undirected_degree
                    ELSE 0
                END
            ) AS score
    FROM candidates
    INNER JOIN movers ON movers.node_index = candidates.node_index
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = candidates.node_index
    INNER JOIN community_degrees ON community_degrees.community_index = candidates.community_index
    CROSS JOIN twice_edges
),

best_scores AS (
    SELECT node_index, max(score) AS score FROM scored GROUP BY node_index
),

-- among the best-scoring communities: the current one, else the smallest (two small-group
-- aggregations: a window ranking each node's candidates took most of the step)
best AS (
    SELECT
        scored.node_index,
        coalesce(
            min(CASE WHEN scored.is_current THEN scored.community_index END), min(scored.community_index)
        ) AS community_index
    FROM scored
    INNER JOIN best_scores ON best_scores.node_index = scored.node_index AND best_scores.score = scored.score
    GROUP BY scored.node_index
)

-- a node that had no turn keeps its community, and wants_to_move is NULL (not asked); in the
-- first round every mover counts as wanting to, so that none stops before each node had a turn
SELECT
    state.node_index,
    coalesce(best.community_index, state.community_index) AS community_index,
    CASE
        WHEN best.node_index IS NOT NULL
            THEN best.community_index <> state.community_index OR {iteration} < 3
    END AS wants_to_move
FROM {state} AS state
LEFT JOIN best ON best.node_index = state.node_index

-- @converged: of the nodes whose turn it was, (almost) none wanted to move
SELECT count(wants_to_move) > 0 AND sum(CASE WHEN wants_to_move THEN 1 ELSE 0 END) <= 0.001 * count(wants_to_move)
FROM {state}

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
