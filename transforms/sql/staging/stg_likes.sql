-- materialized: table
-- One row per (media, liker) among the current likers of media whose likes were read.
-- Likes carry no time in the API: `observed_at` is when the like was seen. A table, not a view:
-- two models and its contract's tests read it (20 M likes: each read grouped them again).
SELECT
    CAST(media_id AS TEXT) AS media_id,
    CAST(user_id AS TEXT) AS liker_id,
    max(observed_at) AS observed_at
FROM {raw}.likes AS raw_likes
WHERE media_id IS NOT NULL
  AND user_id IS NOT NULL
GROUP BY media_id, user_id
