-- Crawl seeds: users whose own follow lists were read (the owners of list keys), empty lists
-- included, with which lists.
SELECT
    list_owner_id AS user_id,
    max(CASE WHEN list_kind = 'follows' THEN 1 ELSE 0 END) = 1 AS follows_list_read,
    max(CASE WHEN list_kind = 'followed_by' THEN 1 ELSE 0 END) = 1 AS followed_by_list_read,
    min(read_at) AS first_read_at
FROM {analytics}.int_follow_list_reads
GROUP BY list_owner_id
