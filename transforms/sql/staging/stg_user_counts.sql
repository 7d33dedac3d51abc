-- One row per (user, observation): the profile counters at that moment.
SELECT DISTINCT
    CAST(user_id AS TEXT) AS user_id,
    observed_at,
    media_count,
    follows_count,
    followed_by_count
FROM {raw}.user_counts AS raw_user_counts
WHERE user_id IS NOT NULL
  AND observed_at IS NOT NULL
