-- One row per user of the current follow graph: degrees, reciprocity, centrality, components,
-- communities, clustering, reach and follower growth.
SELECT
    nodes.user_id,
    users.username,
    degrees.followers,
    degrees.following,
    degrees.mutual_follows,
    CASE
        WHEN degrees.following > 0 THEN CAST(degrees.mutual_follows AS DOUBLE PRECISION) / degrees.following
    END AS follow_back_ratio,
    pagerank.pagerank,
    components.component_id,
    count(*) OVER (PARTITION BY components.component_id) AS component_size,
    communities.community_id,
    count(*) OVER (PARTITION BY communities.community_id) AS community_size,
    clustering.clustering_coefficient,
    seeds.user_id IS NOT NULL AS is_seed,
    reach.two_hop_reach,
    latest_counts.followed_by_count AS followers_reported,
    latest_counts.follows_count AS following_reported,
    latest_counts.follower_growth_7d,
    latest_counts.follower_growth_30d
FROM {analytics}.int_graph_nodes AS nodes
INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = nodes.node_index
INNER JOIN {analytics}.int_pagerank AS pagerank ON pagerank.node_index = nodes.node_index
INNER JOIN {analytics}.int_weak_components AS components ON components.node_index = nodes.node_index
INNER JOIN {analytics}.int_communities AS communities ON communities.node_index = nodes.node_index
INNER JOIN {analytics}.int_clustering AS clustering ON clustering.node_index = nodes.node_index
LEFT JOIN {analytics}.int_seed_users AS seeds ON seeds.user_id = nodes.user_id
LEFT JOIN {analytics}.int_two_hop_reach AS reach ON reach.user_id = nodes.user_id
LEFT JOIN {analytics}.int_user_latest_counts AS latest_counts ON latest_counts.user_id = nodes.user_id
LEFT JOIN {analytics}.stg_users AS users ON users.user_id = nodes.user_id
