-- One row per observed validity interval of a follow edge, as read from one list.
-- `follows:{uid}` lists what uid follows, `followed_by:{uid}` who follows uid; the same edge can
-- appear in both. valid_to is NULL while the list still shows the edge. DISTINCT: a load that
-- was resumed can have staged a row twice, and one interval must count once.
SELECT DISTINCT
    edge_key,
    list_key,
    split_part(list_key, ':', 1) AS list_kind,
    split_part(list_key, ':', 2) AS list_owner_id,
    CAST(follower_id AS TEXT) AS follower_id,
    CAST(followed_id AS TEXT) AS followed_id,
    valid_from,
    valid_to,
    valid_to IS NULL AS is_current
FROM {raw}.follow_edges AS raw_follow_edges
WHERE follower_id IS NOT NULL
  AND followed_id IS NOT NULL
  AND follower_id <> followed_id
