-- Each period during which a follow edge held, as decided by the newest complete read of either
-- list that can show it (`follows:{follower}`, `followed_by:{followed}`; see
-- int_follow_edge_states): it starts at the read that first showed it and ends at the first
-- later read that no longer did (NULL while current).
-- `began_before_first_read`: the period starts at the very first complete read of either list,
-- so the follow happened at some unknown time before; any other period starts after a read of
-- one of the lists that lacked the edge (an empty list included), so the follow happened between.
-- `seen_in_*_list`: that list held the edge at its latest read before the period ended (for a
-- current period: its latest read).
WITH changes AS (
    SELECT
        follower_id,
        followed_id,
        decided_at,
        is_present,
        lead(decided_at) OVER (PARTITION BY follower_id, followed_id ORDER BY decided_at) AS next_decided_at,
        row_number() OVER (PARTITION BY follower_id, followed_id ORDER BY decided_at) = 1 AS at_first_read
    FROM {analytics}.int_follow_edge_states
),

periods AS (
    SELECT
        follower_id,
        followed_id,
        row_number() OVER (PARTITION BY follower_id, followed_id ORDER BY decided_at) AS period_number,
        decided_at AS started_at,
        next_decided_at AS ended_at,
        -- open periods run to a far-future instant so that comparisons just work
        coalesce(next_decided_at, CAST('9999-12-31 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)) AS ended_before,
        at_first_read
    FROM changes
    WHERE is_present
),

-- the lists whose latest read before the period ended held the edge: an interval that began
-- before the end and lasted at least until it
list_views AS (
    SELECT
        periods.follower_id,
        periods.followed_id,
        periods.period_number,
        max(CASE WHEN edges.list_kind = 'follows' THEN 1 ELSE 0 END) AS in_follows_list,
        max(CASE WHEN edges.list_kind = 'followed_by' THEN 1 ELSE 0 END) AS in_followed_by_list
    FROM periods
    INNER JOIN {analytics}.stg_follow_edges AS edges
        ON edges.follower_id = periods.follower_id
        AND edges.followed_id = periods.followed_id
        AND edges.valid_from < periods.ended_before
        AND coalesce(edges.valid_to, CAST('9999-12-31 00:00:00+00' AS TIMESTAMP WITH TIME ZONE))
            >= periods.ended_before
    GROUP BY periods.follower_id, periods.followed_id, periods.period_number
)

SELECT
    periods.follower_id,
    periods.followed_id,
    periods.period_number,
    periods.started_at,
    periods.ended_at,
    periods.ended_at IS NULL AS is_current,
    periods.at_first_read AS began_before_first_read,
    coalesce(list_views.in_follows_list, 0) = 1 AS seen_in_follows_list,
    coalesce(list_views.in_followed_by_list, 0) = 1 AS seen_in_followed_by_list
FROM periods
LEFT JOIN list_views
    ON list_views.follower_id = periods.follower_id
    AND list_views.followed_id = periods.followed_id
    AND list_views.period_number = periods.period_number
