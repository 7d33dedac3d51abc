-- Every like and comment one user gave on another user's media (self-engagement left out), with
-- when it happened: a comment's created_time, or for a like (the API gives likes no time) when
-- it was observed.
SELECT
    likes.liker_id AS actor_id,
    media.owner_id,
    likes.media_id,
    'like' AS action,
    likes.observed_at AS acted_at
FROM {analytics}.stg_likes AS likes
INNER JOIN {analytics}.stg_media AS media ON media.media_id = likes.media_id
WHERE likes.liker_id <> media.owner_id

UNION ALL

SELECT
    comments.commenter_id AS actor_id,
    media.owner_id,
    comments.media_id,
    'comment' AS action,
    comments.created_at AS acted_at
FROM {analytics}.stg_comments AS comments
INNER JOIN {analytics}.stg_media AS media ON media.media_id = comments.media_id
WHERE comments.commenter_id <> media.owner_id
