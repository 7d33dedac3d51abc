-- One row per community of the current graph, named after its member of highest PageRank (its
-- central member), so that a reader sees "@maya's community", not a 10-digit id.
WITH ranked AS (
    SELECT
        community_id,
        user_id,
        username,
        row_number() OVER (PARTITION BY community_id ORDER BY pagerank DESC, user_id) AS centrality,
        count(*) OVER (PARTITION BY community_id) AS members
    FROM {analytics}.user_graph_metrics
)

SELECT
    community_id,
    members,
    user_id AS central_user_id,
    username AS central_username,
    '@' || coalesce(username, user_id) || '''s community' AS community_name
FROM ranked
WHERE centrality = 1
