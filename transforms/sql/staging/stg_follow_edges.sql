-- materialized: table
-- One row per observed validity interval of a follow edge, as read from one list.
-- `follows:{uid}` lists what uid follows, `followed_by:{uid}` who follows uid; the same edge can
-- appear in both. valid_to is NULL while the list still shows the edge. DISTINCT: a load that
-- was resumed can have staged a row twice, and one interval must count once.
--
-- Shards: each shard's pipeline keeps its own history of a list (raw `shard`), since two shards'
-- loads need not arrive in the order they read. A list that one pipeline reads is its history as
-- it is. A list that several read gets one history, as if one pipeline had made all their reads
-- in time order: at each complete read (of any shard) the edge is present when that shard's
-- history holds it at the read's instant; two reads at one instant that disagree: it holds. A
-- table, not a view: the later models read it several times.
WITH intervals AS (
    SELECT DISTINCT
        edge_key,
        list_key,
        CAST(follower_id AS TEXT) AS follower_id,
        CAST(followed_id AS TEXT) AS followed_id,
        valid_from,
        valid_to,
        coalesce(shard, '') AS shard
    FROM {raw}.follow_edges AS raw_follow_edges
    WHERE follower_id IS NOT NULL
      AND followed_id IS NOT NULL
      AND follower_id <> followed_id
),

-- every complete read of each list, by shard: on record, and implied by the history
reads AS (
    SELECT list_key, coalesce(shard, '') AS shard, observed_at AS read_at
    FROM {raw}.follow_list_reads AS raw_follow_list_reads
    WHERE list_key IS NOT NULL AND observed_at IS NOT NULL
    UNION
    SELECT list_key, shard, valid_from AS read_at FROM intervals
    UNION
    SELECT list_key, shard, valid_to AS read_at FROM intervals WHERE valid_to IS NOT NULL
),

shared_lists AS (
    SELECT list_key
    FROM reads
    GROUP BY list_key
    HAVING count(DISTINCT shard) > 1
),

shared_edges AS (
    SELECT DISTINCT edge_key, list_key, follower_id, followed_id
    FROM intervals
    WHERE list_key IN (SELECT list_key FROM shared_lists)
),

-- each read of a shared list, and whether it showed each edge the list ever held
seen AS (
    SELECT
        edges.edge_key,
        edges.list_key,
        edges.follower_id,
        edges.followed_id,
        reads.read_at,
        max(CASE WHEN held.edge_key IS NULL THEN 0 ELSE 1 END) AS shows_edge
    FROM shared_edges AS edges
    INNER JOIN reads ON reads.list_key = edges.list_key
    LEFT JOIN intervals AS held
        ON held.edge_key = edges.edge_key
        AND held.shard = reads.shard
        AND held.valid_from <= reads.read_at
        AND (held.valid_to IS NULL OR reads.read_at < held.valid_to)
    GROUP BY edges.edge_key, edges.list_key, edges.follower_id, edges.followed_id, reads.read_at
),

-- the reads at which what the list showed of the edge changed (the first read included)
changes AS (
    SELECT *
    FROM (
        SELECT
            *,
            lag(shows_edge) OVER (PARTITION BY edge_key ORDER BY read_at) AS showed_before
        FROM seen
    ) AS flips
    WHERE showed_before IS NULL OR showed_before <> shows_edge
),

merged AS (
    SELECT
        edge_key,
        list_key,
        follower_id,
        followed_id,
        read_at AS valid_from,
        lead(read_at) OVER (PARTITION BY edge_key ORDER BY read_at) AS valid_to,
        shows_edge
    FROM changes
),

histories AS (
    SELECT edge_key, list_key, follower_id, followed_id, valid_from, valid_to
    FROM intervals
    WHERE list_key NOT IN (SELECT list_key FROM shared_lists)
    UNION ALL
    SELECT edge_key, list_key, follower_id, followed_id, valid_from, valid_to
    FROM merged
    WHERE shows_edge = 1
)

SELECT
    edge_key,
    list_key,
    split_part(list_key, ':', 1) AS list_kind,
    split_part(list_key, ':', 2) AS list_owner_id,
    follower_id,
    followed_id,
    valid_from,
    valid_to,
    valid_to IS NULL AS is_current
FROM histories
