-- Who engages with whom: one row per (actor, owner) pair where the actor liked or commented on
-- the owner's media, weighted by what was given, with the follow relationship between them.
WITH given AS (
    SELECT
        actor_id,
        owner_id,
        sum(CASE WHEN action = 'like' THEN 1 ELSE 0 END) AS likes_given,
        sum(CASE WHEN action = 'comment' THEN 1 ELSE 0 END) AS comments_given,
        count(DISTINCT media_id) AS media_engaged,
        min(acted_at) AS first_engaged_at,
        max(acted_at) AS last_engaged_at
    FROM {analytics}.int_engagement_actions
    GROUP BY actor_id, owner_id
)

SELECT
    given.actor_id,
    given.owner_id,
    given.likes_given,
    given.comments_given,
    given.likes_given + given.comments_given AS interactions,
    given.media_engaged,
    given.first_engaged_at,
    given.last_engaged_at,
    actor_follows.follower_id IS NOT NULL AS actor_follows_owner,
    owner_follows.follower_id IS NOT NULL AS owner_follows_actor
FROM given
LEFT JOIN {analytics}.follow_edges AS actor_follows
    ON actor_follows.follower_id = given.actor_id
    AND actor_follows.followed_id = given.owner_id
LEFT JOIN {analytics}.follow_edges AS owner_follows
    ON owner_follows.follower_id = given.owner_id
    AND owner_follows.followed_id = given.actor_id
