-- Followers who never liked or commented on any of the owner's media whose engagement was loaded,
-- for every owner with at least one such media (a like or comment of it was loaded). Media read
-- without their likers and comments (e.g. from tag feeds) prove nothing: an owner with only such
-- media has no ghost followers listed, rather than all followers.
WITH owners AS (
    SELECT DISTINCT owner_id
    FROM {analytics}.media_engagement
    WHERE likers_loaded > 0
       OR comments_loaded > 0
)

SELECT
    owners.owner_id,
    followers.follower_id,
    followers.first_seen_at AS following_since
FROM owners
INNER JOIN {analytics}.follow_edges AS followers ON followers.followed_id = owners.owner_id
LEFT JOIN {analytics}.interaction_edges AS engagement
    ON engagement.owner_id = owners.owner_id
    AND engagement.actor_id = followers.follower_id
WHERE engagement.actor_id IS NULL
