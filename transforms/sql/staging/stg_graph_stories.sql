-- One row per story the Graph API source saw while it was live (the API lists a story for 24
-- hours only), its owner under the marts' id (`stg_graph_user_ids`). Stories keep their Graph
-- ids: v1 has none.
SELECT
    CAST(raw_graph_stories.id AS TEXT) AS story_id,
    coalesce(owners.user_id, CAST(raw_graph_stories.account_id AS TEXT)) AS owner_id,
    CASE raw_graph_stories.media_type WHEN 'IMAGE' THEN 'image' WHEN 'VIDEO' THEN 'video' END AS media_type,
    raw_graph_stories.created_time AS created_at,
    raw_graph_stories.permalink AS link,
    raw_graph_stories.observed_at
FROM {graph_raw}.stories AS raw_graph_stories
LEFT JOIN {analytics}.stg_graph_user_ids AS owners
    ON owners.graph_user_id = CAST(raw_graph_stories.account_id AS TEXT)
WHERE raw_graph_stories.id IS NOT NULL
