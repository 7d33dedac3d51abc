-- The warehouse's user id for each account the Graph API source names (the accounts it reads,
-- the authors of comments). The two APIs number users differently, and a user name names one
-- account at a time: an account whose latest name is the latest name of a user v1 loaded keeps
-- v1's id, so that the marts count it once; any other keeps its Graph id.
WITH graph_names AS (
    SELECT CAST(id AS TEXT) AS graph_user_id, username, observed_at
    FROM {graph_raw}.accounts AS raw_graph_accounts
    WHERE id IS NOT NULL AND username IS NOT NULL
    UNION ALL
    SELECT CAST(from_id AS TEXT) AS graph_user_id, username, observed_at
    FROM {graph_raw}.comments AS raw_graph_comments
    WHERE from_id IS NOT NULL AND username IS NOT NULL
),

latest_graph_names AS (
    SELECT
        graph_user_id,
        username,
        row_number() OVER (
            PARTITION BY graph_user_id ORDER BY observed_at DESC NULLS LAST, username COLLATE "C"
        ) AS recency
    FROM graph_names
),

-- the v1 user whose latest profile carries each name (a name freed by a rename is no one's)
v1_latest_names AS (
    SELECT
        CAST(id AS TEXT) AS user_id,
        username,
        row_number() OVER (PARTITION BY id ORDER BY observed_at DESC NULLS LAST, username COLLATE "C") AS recency
    FROM {raw}.users AS raw_users
    WHERE id IS NOT NULL AND username IS NOT NULL
),

v1_names AS (
    SELECT username, min(user_id) AS user_id
    FROM v1_latest_names
    WHERE recency = 1
    GROUP BY username
)

SELECT
    graph.graph_user_id,
    coalesce(v1_names.user_id, graph.graph_user_id) AS user_id,
    graph.username,
    v1_names.user_id IS NOT NULL AS seen_by_v1
FROM latest_graph_names AS graph
LEFT JOIN v1_names ON v1_names.username = graph.username
WHERE graph.recency = 1
