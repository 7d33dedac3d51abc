-- One row per complete read of a follow list, empty lists included. read_at is the instant raw
-- follow_edges gives the edges that read added (valid_from) or retired (valid_to), so the edges a
-- read held are those valid at read_at. GROUP BY: a load that was resumed can have staged a row
-- twice, and two shards can read one list in the same second (the larger count is kept, as
-- stg_follow_edges keeps an edge that either read held).
SELECT
    list_key,
    list_kind,
    CAST(user_id AS TEXT) AS list_owner_id,
    observed_at AS read_at,
    max(member_count) AS member_count
FROM {raw}.follow_list_reads AS raw_follow_list_reads
WHERE list_key IS NOT NULL
  AND observed_at IS NOT NULL
GROUP BY list_key, list_kind, CAST(user_id AS TEXT), observed_at
