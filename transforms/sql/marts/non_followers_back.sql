-- For every crawl seed whose followers list was read (so who follows it is known), the accounts
-- it follows that do not follow it back.
SELECT
    seeds.user_id AS seed_user_id,
    outgoing.followed_id AS user_id,
    outgoing.first_seen_at AS following_since
FROM {analytics}.int_seed_users AS seeds
INNER JOIN {analytics}.follow_edges AS outgoing ON outgoing.follower_id = seeds.user_id
WHERE seeds.followed_by_list_read
  AND NOT outgoing.is_mutual
