-- One row per user of the conversation graph (`conversation_edges`): how many accounts it
-- addresses and is addressed by, with how many it goes both ways, and the messages either way.
-- Reciprocity is the share of its conversation partners it has answered and been answered by,
-- as `user_graph_metrics.follow_back_ratio` is for follows.
WITH sent AS (
    SELECT
        from_user_id AS user_id,
        count(*) AS addresses,
        count(CASE WHEN is_reciprocated THEN 1 END) AS mutual_partners,
        CAST(sum(messages) AS BIGINT) AS messages_sent
    FROM {analytics}.conversation_edges
    GROUP BY from_user_id
),

received AS (
    SELECT to_user_id AS user_id, count(*) AS addressed_by, CAST(sum(messages) AS BIGINT) AS messages_received
    FROM {analytics}.conversation_edges
    GROUP BY to_user_id
),

participants AS (
    SELECT user_id FROM sent
    UNION
    SELECT user_id FROM received
),

degrees AS (
    SELECT
        participants.user_id,
        coalesce(sent.addresses, 0) AS out_degree,
        coalesce(received.addressed_by, 0) AS in_degree,
        coalesce(sent.mutual_partners, 0) AS mutual_partners,
        coalesce(sent.messages_sent, 0) AS messages_sent,
        coalesce(received.messages_received, 0) AS messages_received
    FROM participants
    LEFT JOIN sent ON sent.user_id = participants.user_id
    LEFT JOIN received ON received.user_id = participants.user_id
)

SELECT
    degrees.user_id,
    users.username,
    degrees.out_degree,
    degrees.in_degree,
    degrees.mutual_partners,
    degrees.out_degree + degrees.in_degree - degrees.mutual_partners AS partners,
    CAST(degrees.mutual_partners AS DOUBLE PRECISION)
    / (degrees.out_degree + degrees.in_degree - degrees.mutual_partners) AS reciprocity,
    degrees.messages_sent,
    degrees.messages_received
FROM degrees
LEFT JOIN {analytics}.stg_users AS users ON users.user_id = degrees.user_id
