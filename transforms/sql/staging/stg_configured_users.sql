-- The users the sources are configured to read, and which of them is the token's own user.
-- v1: its `user_ids`, the crawl's seeds at depth 0 in the refresh schedule, by their real ids.
-- The source resolves `self` to its id for the crawl but keeps the configured name `self` for
-- its `profile` reads, so the token's user is the seed that no `profile` row names by id (when
-- one names `self`). Graph API: the professional accounts it reads, under the marts' ids
-- (`stg_graph_user_ids`); an Instagram Login token is its account's own.
WITH v1_seeds AS (
    SELECT DISTINCT CAST(entity_id AS TEXT) AS user_id
    FROM {raw}.refresh_schedule AS raw_schedule
    WHERE kind = 'crawl' AND depth = 0 AND active AND entity_id IS NOT NULL
),

v1_profiles AS (
    SELECT DISTINCT CAST(entity_id AS TEXT) AS entity_id
    FROM {raw}.refresh_schedule AS raw_schedule
    WHERE kind = 'profile' AND entity_id IS NOT NULL
),

configured AS (
    SELECT
        v1_seeds.user_id,
        EXISTS (SELECT 1 FROM v1_profiles WHERE v1_profiles.entity_id = 'self')
        AND NOT EXISTS (SELECT 1 FROM v1_profiles WHERE v1_profiles.entity_id = v1_seeds.user_id) AS is_token_user
    FROM v1_seeds
    UNION ALL
    SELECT ids.user_id, raw_graph_accounts.login = 'instagram' AS is_token_user
    FROM {graph_raw}.accounts AS raw_graph_accounts
    INNER JOIN {analytics}.stg_graph_user_ids AS ids ON ids.graph_user_id = CAST(raw_graph_accounts.id AS TEXT)
)

SELECT user_id, bool_or(coalesce(is_token_user, FALSE)) AS is_token_user
FROM configured
GROUP BY user_id
