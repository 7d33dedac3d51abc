-- One row per observed state of the follow graph, appended run after run: size, reciprocity,
-- density, components, communities and their modularity. `as_of` (the latest change of the follow
-- history: a follow or unfollow observed) keys the row, so rerunning over the same data replaces
-- it instead of adding one.
-- materialized: incremental
-- unique_key: as_of
WITH observations AS (
    SELECT max(coalesce(ended_at, started_at)) AS as_of
    FROM {analytics}.int_follow_edge_periods
),

graph_size AS (
    SELECT
        (SELECT count(*) FROM {analytics}.int_graph_nodes) AS nodes,
        (SELECT count(*) FROM {analytics}.int_graph_edges) AS edges,
        (SELECT sum(mutual_follows) FROM {analytics}.int_node_degrees) AS reciprocated_edges,
        (SELECT sum(undirected_degree) FROM {analytics}.int_node_degrees) AS twice_undirected_edges
),

components AS (
    SELECT count(*) AS components, max(size) AS largest_component_size
    FROM (
        SELECT component_id, count(*) AS size
        FROM {analytics}.int_weak_components
        GROUP BY component_id
    ) AS component_sizes
),

community_sizes AS (
    SELECT community_id, count(*) AS size
    FROM {analytics}.int_communities
    GROUP BY community_id
),

-- modularity of the undirected projection: sum over communities of
-- internal_edges / m - (degree_sum / 2m)^2
community_links AS (
    SELECT
        communities.community_id,
        sum(degrees.undirected_degree) AS degree_sum
    FROM {analytics}.int_communities AS communities
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = communities.node_index
    GROUP BY communities.community_id
),

internal_links AS (
    SELECT node_communities.community_id, count(*) AS twice_internal_edges
    FROM {analytics}.int_graph_adjacency AS adjacency
    INNER JOIN {analytics}.int_communities AS node_communities
        ON node_communities.node_index = adjacency.node_index
    INNER JOIN {analytics}.int_communities AS neighbour_communities
        ON neighbour_communities.node_index = adjacency.neighbor_index
    WHERE node_communities.community_id = neighbour_communities.community_id
    GROUP BY node_communities.community_id
),

modularity AS (
    SELECT CAST(sum(CAST(
        coalesce(internal_links.twice_internal_edges, 0) * 1.0 / graph_size.twice_undirected_edges
        - (community_links.degree_sum * 1.0 / graph_size.twice_undirected_edges)
        * (community_links.degree_sum * 1.0 / graph_size.twice_undirected_edges)
        AS DECIMAL(38, 24)  -- an exact sum: the same result whatever the summation order
    )) AS DOUBLE PRECISION) AS modularity
    FROM community_links
    CROSS JOIN graph_size
    LEFT JOIN internal_links ON internal_links.community_id = community_links.community_id
    WHERE graph_size.twice_undirected_edges > 0
)

SELECT
    observations.as_of,
    graph_size.nodes,
    graph_size.edges,
    graph_size.reciprocated_edges,
    CASE WHEN graph_size.edges > 0 THEN CAST(graph_size.reciprocated_edges AS DOUBLE PRECISION) / graph_size.edges END
        AS reciprocity,
    CASE
        WHEN graph_size.nodes > 1
            THEN CAST(graph_size.edges AS DOUBLE PRECISION) / (graph_size.nodes * (graph_size.nodes - 1))
    END AS density,
    components.components,
    components.largest_component_size,
    (SELECT count(*) FROM community_sizes) AS communities,
    (SELECT max(size) FROM community_sizes) AS largest_community_size,
    modularity.modularity
FROM observations
CROSS JOIN graph_size
CROSS JOIN components
CROSS JOIN modularity
WHERE observations.as_of IS NOT NULL
