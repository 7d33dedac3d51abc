-- Each continuous period during which a follow edge was observed, merging the two lists that can
-- show it (`follows:{follower}` and `followed_by:{followed}`): overlapping or touching validity
-- intervals of the same (follower, followed) pair form one period.
-- An edge already present at the first-ever read of its list was only "first observed" then, not
-- necessarily followed then: `began_before_first_read` flags those periods.
WITH list_first_reads AS (
    SELECT list_key, min(valid_from) AS first_read_at
    FROM {analytics}.stg_follow_edges
    GROUP BY list_key
),

-- distinct rows, so that (valid_from, valid_until, list_kind) orders them totally: both window
-- passes below must see tied rows in the same order
intervals AS (
    SELECT DISTINCT
        edges.follower_id,
        edges.followed_id,
        edges.list_kind,
        edges.valid_from,
        -- open intervals run to a far-future instant so that max() and comparisons just work
        coalesce(edges.valid_to, CAST('9999-12-31 00:00:00+00' AS TIMESTAMP WITH TIME ZONE))
            AS valid_until,
        CASE WHEN edges.valid_from = reads.first_read_at THEN 1 ELSE 0 END AS at_first_read
    FROM {analytics}.stg_follow_edges AS edges
    INNER JOIN list_first_reads AS reads ON reads.list_key = edges.list_key
),

period_starts AS (
    SELECT
        *,
        CASE
            WHEN valid_from <= max(valid_until) OVER (
                PARTITION BY follower_id, followed_id
                ORDER BY valid_from, valid_until, list_kind
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) THEN 0
            ELSE 1
        END AS starts_period
    FROM intervals
),

numbered AS (
    SELECT
        *,
        sum(starts_period) OVER (
            PARTITION BY follower_id, followed_id
            ORDER BY valid_from, valid_until, list_kind
            ROWS UNBOUNDED PRECEDING
        ) AS period_number
    FROM period_starts
),

periods AS (
    SELECT
        follower_id,
        followed_id,
        period_number,
        min(valid_from) AS started_at,
        max(valid_until) AS ended_before,
        max(CASE WHEN list_kind = 'follows' THEN 1 ELSE 0 END) AS in_follows_list,
        max(CASE WHEN list_kind = 'followed_by' THEN 1 ELSE 0 END) AS in_followed_by_list
    FROM numbered
    GROUP BY follower_id, followed_id, period_number
),

-- a period began before the first read only if every list showing it at its start was then
-- being read for the first time (any other list proves the edge was absent just before)
start_evidence AS (
    SELECT
        numbered.follower_id,
        numbered.followed_id,
        numbered.period_number,
        min(numbered.at_first_read) AS all_at_first_read
    FROM numbered
    INNER JOIN periods
        ON periods.follower_id = numbered.follower_id
        AND periods.followed_id = numbered.followed_id
        AND periods.period_number = numbered.period_number
        AND periods.started_at = numbered.valid_from
    GROUP BY numbered.follower_id, numbered.followed_id, numbered.period_number
)

SELECT
    periods.follower_id,
    periods.followed_id,
    periods.period_number,
    periods.started_at,
    CASE
        WHEN periods.ended_before < CAST('9999-12-31 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)
            THEN periods.ended_before
    END AS ended_at,
    periods.ended_before >= CAST('9999-12-31 00:00:00+00' AS TIMESTAMP WITH TIME ZONE) AS is_current,
    start_evidence.all_at_first_read = 1 AS began_before_first_read,
    periods.in_follows_list = 1 AS seen_in_follows_list,
    periods.in_followed_by_list = 1 AS seen_in_followed_by_list
FROM periods
INNER JOIN start_evidence
    ON start_evidence.follower_id = periods.follower_id
    AND start_evidence.followed_id = periods.followed_id
    AND start_evidence.period_number = periods.period_number
