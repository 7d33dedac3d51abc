-- For every crawl seed, how many distinct accounts are within two follower hops: its followers
-- and their followers (the audience a post can reach through one share), the seed excluded.
--
-- Counting them lists, for each follower v of the seed, v and v's own followers: W rows, repeats
-- included. W grows faster than the graph (110 M rows at 1 M edges, 6.4 G at 10 M, where the
-- exact count took 500 s), and removing the repeats costs more than listing them. So:
--   - a seed whose W is at most 1,024 is counted exactly (every seed of the tests' graphs);
--   - above, the count is estimated from a sample of the accounts, at most 256 rows per seed.
--     Every account has a fixed place in a random order (the md5 of its user_id); the sample
--     of level L is the first N / 2^L accounts of that order, and a seed is counted in the
--     smallest level that lists at most 256 of its W rows. The sampled accounts it reaches
--     (X of them, reached c times each, Y rows in all) give two estimates: X / p (p = the
--     sampled share of the accounts) and W * X / Y (the sample's repeats per account taken as
--     the whole listing's). The second is much closer while repeats are alike, and off when an
--     account that follows many of the seed's followers happens to be sampled; each is weighted
--     by the other's variance, which the sample estimates (X for the first, X (g - 1) for the
--     second, g = X * sum(c^2) / Y^2 >= 1): estimate = X / p + (W * X / Y - X / p) / g.
--     Measured against the exact counts of the 1 M-edge benchmark (24,200 estimated seeds):
--     mean absolute error 1.8 %, root mean square 2.5 %, 99 % of seeds within 8.2 %, the worst
--     21 %, no bias (+0.1 %). The contract states the bounds, and
--     tests/transforms/test_two_hop_estimate.py checks them against networkx. They fail in a
--     closed group (followers who follow one another): few accounts, each listed by many of
--     the seed's followers, and a sample of at most 256 rows can miss them all; the estimate
--     then falls to the seed's followers, the lower bound below.
-- The seed itself is in its own second hop when it follows a follower back; that is counted in
-- the listing (and the sample) and taken off at the end, exactly.
-- Built in parts of the seeds, so that the distinct (seed, account) pairs of one part fit in
-- memory, or spill little: a seed lists at most 1,024 rows (exactly) or 256 (sampled).
-- materialized: partitioned

-- @partitions: one part per 131,072 seeds (up to 128 M pairs; 32 M at 10 M edges)
SELECT CAST(ceil(count(*) / 131072.0) AS INTEGER) FROM {analytics}.int_seed_users

-- @select: the seeds of part {partition}
WITH seeds AS (
    SELECT nodes.node_index, nodes.user_id
    FROM {analytics}.int_seed_users AS seed_users
    INNER JOIN {analytics}.int_graph_nodes AS nodes ON nodes.user_id = seed_users.user_id
    WHERE nodes.node_index % {partitions} = {partition}
),

node_count AS (
    SELECT count(*) AS nodes FROM {analytics}.int_graph_nodes
),

levels AS (
    SELECT level FROM generate_series(0, 40) AS levels (level)
),

-- the sample of level L is the accounts whose place in the order is below N / 2^L
sample_orders AS (
    SELECT
        node_index,
        row_number() OVER (ORDER BY md5(user_id) COLLATE "C", node_index) - 1 AS sample_order
    FROM {analytics}.int_graph_nodes
),

sampled_levels AS (
    SELECT sample_orders.node_index, levels.level
    FROM sample_orders
    CROSS JOIN node_count
    INNER JOIN levels ON (sample_orders.sample_order << levels.level) < node_count.nodes
),

-- what each account v lists at each level: itself and its followers, those in that level's
-- sample. One packed key (v * 64 + level) so that the lookup can only run once a seed's
-- follower and level are known (on two columns, DuckDB joined the levels to the seeds first)
listed_members AS (
    SELECT members.node_index * 64 + sampled_levels.level AS list_key, members.member_index
    FROM (
        SELECT dst_index AS node_index, src_index AS member_index FROM {analytics}.int_graph_edges
        UNION ALL
        SELECT node_index, node_index AS member_index FROM {analytics}.int_graph_nodes
    ) AS members
    INNER JOIN sampled_levels ON sampled_levels.node_index = members.member_index
),

listings AS (
    SELECT edges.dst_index AS seed_index, sum(1 + degrees.followers) AS listed
    FROM seeds
    INNER JOIN {analytics}.int_graph_edges AS edges ON edges.dst_index = seeds.node_index
    INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = edges.src_index
    GROUP BY edges.dst_index
),

-- the level a seed is counted in: 0 (everything, exactly) up to 1,024 rows, else the smallest
-- that lists at most 256 of them (between 128 and 256)
seed_levels AS (
    SELECT
        listings.seed_index,
        listings.listed,
        CASE WHEN listings.listed <= 1024 THEN 0 ELSE min(levels.level) END AS level
    FROM listings
    INNER JOIN levels ON (CAST(256 AS BIGINT) << levels.level) >= listings.listed
    GROUP BY listings.seed_index, listings.listed
),

-- each (seed, sampled account) pair once, packed in one integer, with how often it is listed
reached AS (
    SELECT
        seed_levels.seed_index * 4294967296 + listed_members.member_index AS pair,
        count(*) AS times_listed
    FROM seed_levels
    INNER JOIN {analytics}.int_graph_edges AS edges ON edges.dst_index = seed_levels.seed_index
    INNER JOIN listed_members ON listed_members.list_key = edges.src_index * 64 + seed_levels.level
    GROUP BY seed_levels.seed_index * 4294967296 + listed_members.member_index
),

samples AS (
    SELECT
        pair >> 32 AS seed_index,
        count(*) AS accounts,
        CAST(sum(times_listed) AS DOUBLE PRECISION) AS rows_listed,
        CAST(sum(times_listed * times_listed) AS DOUBLE PRECISION) AS squares
    FROM reached
    GROUP BY pair >> 32
),

estimators AS (
    SELECT
        samples.seed_index,
        seed_levels.level,
        samples.accounts,
        -- X / p: the level's sample holds ceil(N / 2^L) of the N accounts
        samples.accounts * CAST(node_count.nodes AS DOUBLE PRECISION)
            / ((node_count.nodes + (CAST(1 AS BIGINT) << seed_levels.level) - 1) >> seed_levels.level) AS by_share,
        -- W * X / Y
        seed_levels.listed * samples.accounts / samples.rows_listed AS by_repeats,
        -- g = X * sum(c^2) / Y^2
        samples.accounts * samples.squares / (samples.rows_listed * samples.rows_listed) AS spread
    FROM samples
    INNER JOIN seed_levels ON seed_levels.seed_index = samples.seed_index
    CROSS JOIN node_count
),

estimates AS (
    SELECT
        seed_index,
        CASE
            WHEN level = 0 THEN accounts
            -- halves round up (PostgreSQL's round() takes them to even, DuckDB's away from 0)
            ELSE CAST(floor(by_share + (by_repeats - by_share) / spread + 0.5) AS BIGINT)
        END AS accounts_reached
    FROM estimators
)

-- the followers alone are a sure lower bound, which only an estimate can fall below (a sample
-- that missed a closed group's few accounts)
SELECT
    seeds.user_id,
    greatest(
        degrees.followers,
        coalesce(estimates.accounts_reached - CASE WHEN degrees.mutual_follows > 0 THEN 1 ELSE 0 END, 0)
    ) AS two_hop_reach
FROM seeds
INNER JOIN {analytics}.int_node_degrees AS degrees ON degrees.node_index = seeds.node_index
LEFT JOIN estimates ON estimates.seed_index = seeds.node_index
