-- For every crawl seed, the accounts it follows that follow it back (from the current graph).
SELECT
    seeds.user_id AS seed_user_id,
    outgoing.followed_id AS user_id,
    greatest(outgoing.first_seen_at, incoming.first_seen_at) AS mutual_since
FROM {analytics}.int_seed_users AS seeds
INNER JOIN {analytics}.follow_edges AS outgoing ON outgoing.follower_id = seeds.user_id
INNER JOIN {analytics}.follow_edges AS incoming
    ON incoming.follower_id = outgoing.followed_id
    AND incoming.followed_id = seeds.user_id
