-- One row per user: the latest profile the source saw.
WITH ranked AS (
    SELECT
        CAST(id AS TEXT) AS user_id,
        username,
        full_name,
        bio,
        website,
        is_business,
        observed_at,
        row_number() OVER (PARTITION BY id ORDER BY observed_at DESC) AS recency
    FROM {raw}.users AS raw_users
    WHERE id IS NOT NULL
)

SELECT user_id, username, full_name, bio, website, is_business, observed_at
FROM ranked
WHERE recency = 1
