-- Who talks to whom in the comments, one row per (author, addressee) pair: a top-level comment
-- is addressed to the media's owner, a reply (the Graph API's, one level deep) to the author of
-- the comment it answers. Talking to oneself (on one's own media, under one's own comment) is no
-- edge, and a reply whose parent was not loaded has no addressee.
WITH addressed AS (
    SELECT
        comments.commenter_id AS from_user_id,
        media.owner_id AS to_user_id,
        'comment' AS kind,
        comments.media_id,
        comments.created_at
    FROM {analytics}.stg_comments AS comments
    INNER JOIN {analytics}.stg_media AS media ON media.media_id = comments.media_id
    WHERE comments.parent_comment_id IS NULL
    UNION ALL
    SELECT
        replies.commenter_id AS from_user_id,
        parents.commenter_id AS to_user_id,
        'reply' AS kind,
        replies.media_id,
        replies.created_at
    FROM {analytics}.stg_comments AS replies
    INNER JOIN {analytics}.stg_comments AS parents ON parents.comment_id = replies.parent_comment_id
),

pairs AS (
    SELECT
        from_user_id,
        to_user_id,
        count(CASE WHEN kind = 'comment' THEN 1 END) AS comments,
        count(CASE WHEN kind = 'reply' THEN 1 END) AS replies,
        count(*) AS messages,
        count(DISTINCT media_id) AS media,
        min(created_at) AS first_at,
        max(created_at) AS last_at
    FROM addressed
    WHERE from_user_id IS NOT NULL
      AND to_user_id IS NOT NULL
      AND from_user_id <> to_user_id
    GROUP BY from_user_id, to_user_id
)

SELECT
    pairs.from_user_id,
    senders.username AS from_username,
    pairs.to_user_id,
    addressees.username AS to_username,
    pairs.comments,
    pairs.replies,
    pairs.messages,
    pairs.media,
    pairs.first_at,
    pairs.last_at,
    answers.from_user_id IS NOT NULL AS is_reciprocated
FROM pairs
LEFT JOIN pairs AS answers ON answers.from_user_id = pairs.to_user_id AND answers.to_user_id = pairs.from_user_id
LEFT JOIN {analytics}.stg_users AS senders ON senders.user_id = pairs.from_user_id
LEFT JOIN {analytics}.stg_users AS addressees ON addressees.user_id = pairs.to_user_id
