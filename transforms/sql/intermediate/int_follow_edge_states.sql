-- Whether each follow edge held, over time, as its newest evidence shows it. An edge A -> B can be
-- read in two lists, `follows:A` and `followed_by:B`: at any instant the newest complete read of
-- either decides. Two reads at the same instant (one run) that disagree: the edge holds, since a
-- list showed it then. One row per edge and instant at which its state was decided anew
-- (`decided_at`, a read's time; `is_present`); the first row of an edge is the first read of
-- either of its lists, and each later row flips the state.
WITH edges AS (
    SELECT DISTINCT follower_id, followed_id
    FROM {analytics}.stg_follow_edges
),

list_first_reads AS (
    SELECT list_key, min(read_at) AS first_read_at
    FROM {analytics}.int_follow_list_reads
    GROUP BY list_key
),

-- the two lists of each edge that were ever read
edge_lists AS (
    SELECT edges.follower_id, edges.followed_id, 'follows' AS list_kind, reads.first_read_at
    FROM edges
    INNER JOIN list_first_reads AS reads ON reads.list_key = 'follows:' || edges.follower_id
    UNION ALL
    SELECT edges.follower_id, edges.followed_id, 'followed_by' AS list_kind, reads.first_read_at
    FROM edges
    INNER JOIN list_first_reads AS reads ON reads.list_key = 'followed_by:' || edges.followed_id
),

-- what one list shows of the edge (as of its latest read; 1 present, 0 absent) changes at the
-- list's first read (to absent, unless that read held it), at each valid_from (present) and at
-- each valid_to (absent); an interval that ended where it began held nothing
list_changes AS (
    SELECT follower_id, followed_id, list_kind, first_read_at AS changed_at, 0 AS shows_edge
    FROM edge_lists
    UNION ALL
    SELECT follower_id, followed_id, list_kind, valid_from AS changed_at, 1 AS shows_edge
    FROM {analytics}.stg_follow_edges
    WHERE valid_to IS NULL OR valid_to > valid_from
    UNION ALL
    SELECT follower_id, followed_id, list_kind, valid_to AS changed_at, 0 AS shows_edge
    FROM {analytics}.stg_follow_edges
    WHERE valid_to > valid_from
),

-- every instant at which either list's view of the edge changed, with the change of each list
-- (NULL: no change of that list then)
timeline AS (
    SELECT
        follower_id,
        followed_id,
        changed_at,
        max(CASE WHEN list_kind = 'follows' THEN shows_edge END) AS follows_change,
        max(CASE WHEN list_kind = 'followed_by' THEN shows_edge END) AS followed_by_change
    FROM list_changes
    GROUP BY follower_id, followed_id, changed_at
),

-- what each list shows from that instant until the next change (NULL before its first read):
-- the value of its latest change so far, found as whichever of its latest change to present and
-- its latest change to absent is later (a list changes at most once an instant). Running
-- maxima share one sort with lead(); forward-filling each list by its own window took two more
-- sorts of every edge's timeline (a third of the model's time at 10 M edges)
latest_changes AS (
    SELECT
        follower_id,
        followed_id,
        changed_at,
        lead(changed_at) OVER (PARTITION BY follower_id, followed_id ORDER BY changed_at) AS next_changed_at,
        max(CASE WHEN follows_change = 1 THEN changed_at END) OVER (
            PARTITION BY follower_id, followed_id ORDER BY changed_at ROWS UNBOUNDED PRECEDING
        ) AS follows_shown_at,
        max(CASE WHEN follows_change = 0 THEN changed_at END) OVER (
            PARTITION BY follower_id, followed_id ORDER BY changed_at ROWS UNBOUNDED PRECEDING
        ) AS follows_hidden_at,
        max(CASE WHEN followed_by_change = 1 THEN changed_at END) OVER (
            PARTITION BY follower_id, followed_id ORDER BY changed_at ROWS UNBOUNDED PRECEDING
        ) AS followed_by_shown_at,
        max(CASE WHEN followed_by_change = 0 THEN changed_at END) OVER (
            PARTITION BY follower_id, followed_id ORDER BY changed_at ROWS UNBOUNDED PRECEDING
        ) AS followed_by_hidden_at
    FROM timeline
),

views AS (
    SELECT
        follower_id,
        followed_id,
        changed_at,
        coalesce(next_changed_at, CAST('9999-12-31 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)) AS next_changed_at,
        CASE
            WHEN follows_shown_at IS NULL AND follows_hidden_at IS NULL THEN NULL
            WHEN follows_hidden_at IS NULL OR follows_shown_at > follows_hidden_at THEN 1
            ELSE 0
        END AS in_follows_list,
        CASE
            WHEN followed_by_shown_at IS NULL AND followed_by_hidden_at IS NULL THEN NULL
            WHEN followed_by_hidden_at IS NULL OR followed_by_shown_at > followed_by_hidden_at THEN 1
            ELSE 0
        END AS in_followed_by_list
    FROM latest_changes
),

-- while the lists agree, or only one was read, the state is what they show
agreed AS (
    SELECT
        follower_id,
        followed_id,
        changed_at AS decided_at,
        coalesce(in_follows_list, in_followed_by_list) AS is_present
    FROM views
    WHERE in_follows_list IS NULL
       OR in_followed_by_list IS NULL
       OR in_follows_list = in_followed_by_list
),

-- while they disagree, each read of either list decides in turn (the first is the change itself)
disputes AS (
    SELECT follower_id, followed_id, changed_at, next_changed_at, in_follows_list, in_followed_by_list
    FROM views
    WHERE in_follows_list <> in_followed_by_list
),

-- the reads of each list during a dispute, as a span: first and last
dispute_list_reads AS (
    SELECT
        disputes.follower_id,
        disputes.followed_id,
        disputes.changed_at,
        reads.list_kind,
        min(reads.read_at) AS first_read_at,
        max(reads.read_at) AS last_read_at
    FROM disputes
    INNER JOIN {analytics}.int_follow_list_reads AS reads
        ON reads.list_key IN ('follows:' || disputes.follower_id, 'followed_by:' || disputes.followed_id)
        AND reads.read_at >= disputes.changed_at
        AND reads.read_at < disputes.next_changed_at
    GROUP BY disputes.follower_id, disputes.followed_id, disputes.changed_at, reads.list_kind
),

dispute_spans AS (
    SELECT
        disputes.*,
        follows_reads.first_read_at AS follows_first_read_at,
        followed_by_reads.first_read_at AS followed_by_first_read_at,
        follows_reads.first_read_at IS NOT NULL
        AND followed_by_reads.first_read_at IS NOT NULL
        AND follows_reads.last_read_at >= followed_by_reads.first_read_at
        AND followed_by_reads.last_read_at >= follows_reads.first_read_at AS reads_interleave
    FROM disputes
    LEFT JOIN dispute_list_reads AS follows_reads
        ON follows_reads.follower_id = disputes.follower_id
        AND follows_reads.followed_id = disputes.followed_id
        AND follows_reads.changed_at = disputes.changed_at
        AND follows_reads.list_kind = 'follows'
    LEFT JOIN dispute_list_reads AS followed_by_reads
        ON followed_by_reads.follower_id = disputes.follower_id
        AND followed_by_reads.followed_id = disputes.followed_id
        AND followed_by_reads.changed_at = disputes.changed_at
        AND followed_by_reads.list_kind = 'followed_by'
),

-- the usual dispute: one list is read (again) only after the other, or not at all (a list read
-- once and then no longer): its first read in the dispute decides, then the other's first read
ordered_dispute_reads AS (
    SELECT follower_id, followed_id, follows_first_read_at AS read_at, in_follows_list AS shows_edge
    FROM dispute_spans
    WHERE NOT reads_interleave AND follows_first_read_at IS NOT NULL
    UNION ALL
    SELECT follower_id, followed_id, followed_by_first_read_at AS read_at, in_followed_by_list AS shows_edge
    FROM dispute_spans
    WHERE NOT reads_interleave AND followed_by_first_read_at IS NOT NULL
),

-- the rare one, where the two lists' reads alternate (or coincide): every read decides
interleaved_dispute_reads AS (
    SELECT spans.follower_id, spans.followed_id, reads.read_at, spans.in_follows_list AS shows_edge
    FROM dispute_spans AS spans
    INNER JOIN {analytics}.int_follow_list_reads AS reads
        ON reads.list_key = 'follows:' || spans.follower_id
        AND reads.read_at >= spans.changed_at
        AND reads.read_at < spans.next_changed_at
    WHERE spans.reads_interleave
    UNION ALL
    SELECT spans.follower_id, spans.followed_id, reads.read_at, spans.in_followed_by_list AS shows_edge
    FROM dispute_spans AS spans
    INNER JOIN {analytics}.int_follow_list_reads AS reads
        ON reads.list_key = 'followed_by:' || spans.followed_id
        AND reads.read_at >= spans.changed_at
        AND reads.read_at < spans.next_changed_at
    WHERE spans.reads_interleave
),

-- reads at the same instant that disagree: the edge holds
decisions AS (
    SELECT follower_id, followed_id, decided_at, is_present
    FROM agreed
    UNION ALL
    SELECT follower_id, followed_id, read_at AS decided_at, max(shows_edge) AS is_present
    FROM (
        SELECT * FROM ordered_dispute_reads
        UNION ALL
        SELECT * FROM interleaved_dispute_reads
    ) AS dispute_reads
    GROUP BY follower_id, followed_id, read_at
),

flips AS (
    SELECT
        *,
        lag(is_present) OVER (PARTITION BY follower_id, followed_id ORDER BY decided_at) AS was_present
    FROM decisions
)

SELECT follower_id, followed_id, decided_at, is_present = 1 AS is_present
FROM flips
WHERE was_present IS NULL OR was_present <> is_present
