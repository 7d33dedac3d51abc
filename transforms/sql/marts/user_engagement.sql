-- One row per user seen as an author or as an engager: engagement received on their posts (and
-- from how many accounts, how many of which follow them) and engagement given to others.
WITH as_owner AS (
    SELECT
        owner_id AS user_id,
        count(*) AS posts,
        sum(likes) AS likes_received,
        sum(comments) AS comments_received,
        CAST(avg(likes) AS DOUBLE PRECISION) AS mean_likes_per_post,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY likes) AS median_likes_per_post,
        CAST(avg(comments) AS DOUBLE PRECISION) AS mean_comments_per_post,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY comments) AS median_comments_per_post,
        CAST(avg(engagement) AS DOUBLE PRECISION) AS mean_engagement_per_post,
        min(created_at) AS first_post_at,
        max(created_at) AS last_post_at,
        count(created_at) AS dated_posts,
        min(counters_observed_at) AS oldest_counters_observed_at,
        max(counters_observed_at) AS latest_counters_observed_at
    FROM {analytics}.media_engagement
    GROUP BY owner_id
),

as_actor AS (
    SELECT
        actor_id AS user_id,
        sum(likes_given) AS likes_given,
        sum(comments_given) AS comments_given,
        count(*) AS distinct_owners_engaged
    FROM {analytics}.interaction_edges
    GROUP BY actor_id
),

-- who engaged with the user's media, and how many of them follow the user
engagers AS (
    SELECT
        owner_id AS user_id,
        count(*) AS distinct_engagers,
        sum(CASE WHEN actor_follows_owner THEN 1 ELSE 0 END) AS engagers_following
    FROM {analytics}.interaction_edges
    GROUP BY owner_id
),

engaged_users AS (
    SELECT user_id FROM as_owner
    UNION
    SELECT user_id FROM as_actor
)

SELECT
    engaged_users.user_id,
    users.username,
    coalesce(as_owner.posts, 0) AS posts,
    coalesce(as_owner.likes_received, 0) AS likes_received,
    coalesce(as_owner.comments_received, 0) AS comments_received,
    as_owner.mean_likes_per_post,
    as_owner.median_likes_per_post,
    as_owner.mean_comments_per_post,
    as_owner.median_comments_per_post,
    as_owner.mean_engagement_per_post,
    as_owner.oldest_counters_observed_at,
    as_owner.latest_counters_observed_at,
    latest_counts.followed_by_count AS followers,
    CASE
        WHEN latest_counts.followed_by_count > 0
            THEN as_owner.mean_engagement_per_post / latest_counts.followed_by_count
    END AS engagement_rate_by_followers,
    as_owner.first_post_at,
    as_owner.last_post_at,
    CASE
        WHEN as_owner.dated_posts > 1
            THEN CAST(extract(epoch FROM as_owner.last_post_at) - extract(epoch FROM as_owner.first_post_at) AS DOUBLE PRECISION)
                / 86400.0 / (as_owner.dated_posts - 1)
    END AS mean_days_between_posts,
    coalesce(engagers.distinct_engagers, 0) AS distinct_engagers,
    coalesce(engagers.engagers_following, 0) AS engagers_following,
    coalesce(as_actor.likes_given, 0) AS likes_given,
    coalesce(as_actor.comments_given, 0) AS comments_given,
    coalesce(as_actor.distinct_owners_engaged, 0) AS distinct_owners_engaged
FROM engaged_users
LEFT JOIN as_owner ON as_owner.user_id = engaged_users.user_id
LEFT JOIN as_actor ON as_actor.user_id = engaged_users.user_id
LEFT JOIN engagers ON engagers.user_id = engaged_users.user_id
LEFT JOIN {analytics}.int_user_latest_counts AS latest_counts
    ON latest_counts.user_id = engaged_users.user_id
LEFT JOIN {analytics}.stg_users AS users ON users.user_id = engaged_users.user_id
