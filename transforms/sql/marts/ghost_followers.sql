-- Followers who never liked or commented on any of the owner's loaded media, for every owner with
-- at least one loaded media.
WITH owners AS (
    SELECT DISTINCT owner_id FROM {analytics}.stg_media
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
