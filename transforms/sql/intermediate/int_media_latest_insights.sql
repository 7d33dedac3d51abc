-- Each media's and story's latest value of each lifetime metric the marts use, one column per
-- metric: NULL where its product type has no such metric or it was never read. Metrics are taken
-- one by one, so a metric the source stopped asking for (retired in a later API version) keeps
-- the value of its last read.
WITH ranked AS (
    SELECT
        insights.*,
        row_number() OVER (PARTITION BY media_id, metric ORDER BY observed_at DESC) AS recency
    FROM {analytics}.stg_graph_media_insights AS insights
),

latest AS (
    SELECT media_id, metric, value, observed_at
    FROM ranked
    WHERE recency = 1
)

SELECT
    media_id,
    max(CASE WHEN metric = 'reach' THEN value END) AS reach,
    max(CASE WHEN metric = 'views' THEN value END) AS views,
    max(CASE WHEN metric = 'likes' THEN value END) AS likes,
    max(CASE WHEN metric = 'comments' THEN value END) AS comments,
    max(CASE WHEN metric = 'saved' THEN value END) AS saved,
    max(CASE WHEN metric = 'shares' THEN value END) AS shares,
    max(CASE WHEN metric = 'replies' THEN value END) AS replies,
    max(CASE WHEN metric = 'total_interactions' THEN value END) AS total_interactions,
    max(CASE WHEN metric = 'follows' THEN value END) AS follows,
    max(CASE WHEN metric = 'profile_visits' THEN value END) AS profile_visits,
    max(CASE WHEN metric = 'navigation' THEN value END) AS navigation,
    max(observed_at) AS observed_at
FROM latest
GROUP BY media_id
