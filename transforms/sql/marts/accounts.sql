-- One row per configured account (the source's `user_ids`), the token's own user first: who it
-- is, its latest profile counters, and its mutual follows and follows not returned.
WITH mutual AS (
    SELECT seed_user_id AS user_id, count(*) AS mutual_follows
    FROM {analytics}.mutual_follows
    GROUP BY seed_user_id
),

not_back AS (
    SELECT seed_user_id AS user_id, count(*) AS not_following_back
    FROM {analytics}.non_followers_back
    GROUP BY seed_user_id
)

SELECT
    configured.user_id,
    row_number() OVER (
        ORDER BY configured.is_token_user DESC, profiles.username COLLATE "C" NULLS LAST, configured.user_id
    ) AS account_order,
    configured.is_token_user,
    profiles.username,
    profiles.full_name,
    profiles.profile_picture,
    profiles.profile_url,
    counts.followed_by_count AS followers,
    counts.follows_count AS following,
    counts.media_count AS posts_reported,
    counts.observed_at AS counts_observed_at,
    coalesce(mutual.mutual_follows, 0) AS mutual_follows,
    CASE WHEN seeds.followed_by_list_read THEN coalesce(not_back.not_following_back, 0) END AS not_following_back
FROM {analytics}.stg_configured_users AS configured
LEFT JOIN {analytics}.user_profiles AS profiles ON profiles.user_id = configured.user_id
LEFT JOIN {analytics}.int_user_latest_counts AS counts ON counts.user_id = configured.user_id
LEFT JOIN {analytics}.int_seed_users AS seeds ON seeds.user_id = configured.user_id
LEFT JOIN mutual ON mutual.user_id = configured.user_id
LEFT JOIN not_back ON not_back.user_id = configured.user_id
