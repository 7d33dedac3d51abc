-- One row per user seen: the name and picture to show in place of an id.
SELECT
    user_id,
    username,
    full_name,
    profile_picture,
    CASE WHEN username IS NOT NULL THEN 'https://www.instagram.com/' || username || '/' END AS profile_url
FROM {analytics}.stg_users
