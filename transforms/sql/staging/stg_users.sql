-- One row per user from either source: the latest profile seen, a full one before any short one.
-- v1 reads a full profile when it reads bio or website (the source's rule); the Graph API reads
-- its accounts' full profiles and only the user names of comment authors (short ones), under
-- the marts' ids (`stg_graph_user_ids`). The order is explicit on every engine: full first
-- whatever the NULL order, then the latest, then the values themselves in byte order
-- (COLLATE "C", DuckDB's binary order), so that no tie is left to the physical row order.
WITH profiles AS (
    SELECT
        CAST(id AS TEXT) AS user_id,
        username,
        full_name,
        profile_picture,
        bio,
        website,
        is_business,
        observed_at,
        bio IS NOT NULL OR website IS NOT NULL AS is_full
    FROM {raw}.users AS raw_users
    WHERE id IS NOT NULL
    UNION ALL
    SELECT
        ids.user_id,
        raw_graph_accounts.username,
        raw_graph_accounts.name AS full_name,
        raw_graph_accounts.profile_picture_url AS profile_picture,
        raw_graph_accounts.biography AS bio,
        raw_graph_accounts.website,
        CAST(NULL AS BOOLEAN) AS is_business,  -- a professional account, business or creator
        raw_graph_accounts.observed_at,
        TRUE AS is_full
    FROM {graph_raw}.accounts AS raw_graph_accounts
    INNER JOIN {analytics}.stg_graph_user_ids AS ids ON ids.graph_user_id = CAST(raw_graph_accounts.id AS TEXT)
    UNION ALL
    SELECT
        ids.user_id,
        ids.username,
        CAST(NULL AS TEXT) AS full_name,
        CAST(NULL AS TEXT) AS profile_picture,
        CAST(NULL AS TEXT) AS bio,
        CAST(NULL AS TEXT) AS website,
        CAST(NULL AS BOOLEAN) AS is_business,
        CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS observed_at,
        FALSE AS is_full
    FROM {analytics}.stg_graph_user_ids AS ids
),

ranked AS (
    SELECT
        profiles.*,
        row_number() OVER (
            PARTITION BY user_id
            ORDER BY
                CASE WHEN is_full THEN 1 ELSE 0 END DESC,
                observed_at DESC NULLS LAST,
                username COLLATE "C" NULLS LAST,
                full_name COLLATE "C" NULLS LAST,
                profile_picture COLLATE "C" NULLS LAST,
                bio COLLATE "C" NULLS LAST,
                website COLLATE "C" NULLS LAST,
                is_business DESC NULLS LAST
        ) AS recency
    FROM profiles
)

SELECT user_id, username, full_name, profile_picture, bio, website, is_business, observed_at
FROM ranked
WHERE recency = 1
