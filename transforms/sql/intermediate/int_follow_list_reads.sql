-- Every known complete read of each follow list, one row per (list_key, read_at): the reads on
-- record (raw follow_list_reads, empty lists included) and the reads that the edge history implies
-- (a valid_from is a read that held the edge, a valid_to one that no longer did). The implied
-- reads are all that is known of reads loaded before follow_list_reads existed: such a read that
-- changed nothing, or of an empty list, left no trace.
WITH recorded AS (
    SELECT list_key, list_kind, list_owner_id, read_at, member_count
    FROM {analytics}.stg_follow_list_reads
),

implied AS (
    SELECT list_key, list_kind, list_owner_id, valid_from AS read_at
    FROM {analytics}.stg_follow_edges
    UNION
    SELECT list_key, list_kind, list_owner_id, valid_to AS read_at
    FROM {analytics}.stg_follow_edges
    WHERE valid_to IS NOT NULL
),

reads AS (
    SELECT list_key, list_kind, list_owner_id, read_at FROM recorded
    UNION
    SELECT list_key, list_kind, list_owner_id, read_at FROM implied
)

SELECT
    reads.list_key,
    reads.list_kind,
    reads.list_owner_id,
    reads.read_at,
    recorded.member_count,
    recorded.list_key IS NOT NULL AS is_recorded
FROM reads
LEFT JOIN recorded ON recorded.list_key = reads.list_key AND recorded.read_at = reads.read_at
