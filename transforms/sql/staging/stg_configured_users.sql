-- The users the source is configured to read (its `user_ids`): the crawl's seeds at depth 0 in
-- the refresh schedule, by their real ids, and which of them is the token's own user. The
-- source resolves `self` to its id for the crawl but keeps the configured name `self` for its
-- `profile` reads, so the token's user is the seed that no `profile` row names by id (when one
-- names `self`).
WITH seeds AS (
    SELECT DISTINCT CAST(entity_id AS TEXT) AS user_id
    FROM {raw}.refresh_schedule AS raw_schedule
    WHERE kind = 'crawl' AND depth = 0 AND active AND entity_id IS NOT NULL
),

profiles AS (
    SELECT DISTINCT CAST(entity_id AS TEXT) AS entity_id
    FROM {raw}.refresh_schedule AS raw_schedule
    WHERE kind = 'profile' AND entity_id IS NOT NULL
)

SELECT
    seeds.user_id,
    EXISTS (SELECT 1 FROM profiles WHERE profiles.entity_id = 'self')
    AND NOT EXISTS (SELECT 1 FROM profiles WHERE profiles.entity_id = seeds.user_id) AS is_token_user
FROM seeds
