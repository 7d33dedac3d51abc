-- The ten accounts that engage most with each owner: ranked by interactions (likes + comments
-- given), then comments, then actor_id so that the ranking is stable.
WITH ranked AS (
    SELECT
        owner_id,
        actor_id,
        likes_given,
        comments_given,
        interactions,
        actor_follows_owner,
        row_number() OVER (
            PARTITION BY owner_id
            ORDER BY interactions DESC, comments_given DESC, actor_id
        ) AS fan_rank
    FROM {analytics}.interaction_edges
)

SELECT owner_id, fan_rank, actor_id, likes_given, comments_given, interactions, actor_follows_owner
FROM ranked
WHERE fan_rank <= 10
