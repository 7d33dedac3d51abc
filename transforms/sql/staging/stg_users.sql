-- One row per user: the latest profile the source saw, a full one before any short one.
-- The order is explicit on every engine: a full profile (bio or website read, the source's rule)
-- first whatever the NULL order, then the latest, then the values themselves in byte order
-- (COLLATE "C", DuckDB's binary order), so that no tie is left to the physical row order.
WITH ranked AS (
    SELECT
        CAST(id AS TEXT) AS user_id,
        username,
        full_name,
        profile_picture,
        bio,
        website,
        is_business,
        observed_at,
        row_number() OVER (
            PARTITION BY id
            ORDER BY
                CASE WHEN bio IS NULL AND website IS NULL THEN 0 ELSE 1 END DESC,
                observed_at DESC NULLS LAST,
                username COLLATE "C" NULLS LAST,
                full_name COLLATE "C" NULLS LAST,
                profile_picture COLLATE "C" NULLS LAST,
                bio COLLATE "C" NULLS LAST,
                website COLLATE "C" NULLS LAST,
                is_business DESC NULLS LAST
        ) AS recency
    FROM {raw}.users AS raw_users
    WHERE id IS NOT NULL
)

SELECT user_id, username, full_name, profile_picture, bio, website, is_business, observed_at
FROM ranked
WHERE recency = 1
