-- Which lifetime metric the Graph API gave for which media product type, in which API version,
-- and when: the metric sets change under a client (metrics retired in v22, metrics one type
-- lacks), and the source drops what the API refuses. A metric is in the type's latest read when
-- the newest insights answer for that type held it (one answer's metrics share its time).
WITH metrics AS (
    SELECT
        media_product_type,
        metric,
        api_version,
        count(DISTINCT media_id) AS media,
        count(*) AS reads,
        min(observed_at) AS first_observed_at,
        max(observed_at) AS last_observed_at
    FROM {analytics}.stg_graph_media_insights
    GROUP BY media_product_type, metric, api_version
),

latest_reads AS (
    SELECT media_product_type, max(observed_at) AS observed_at
    FROM {analytics}.stg_graph_media_insights
    GROUP BY media_product_type
),

metric_latest_reads AS (
    SELECT media_product_type, metric, max(observed_at) AS observed_at
    FROM {analytics}.stg_graph_media_insights
    GROUP BY media_product_type, metric
)

SELECT
    metrics.media_product_type,
    metrics.metric,
    metrics.api_version,
    metrics.media,
    metrics.reads,
    metrics.first_observed_at,
    metrics.last_observed_at,
    metric_latest_reads.observed_at = latest_reads.observed_at AS in_latest_read
FROM metrics
INNER JOIN metric_latest_reads
    ON metric_latest_reads.media_product_type = metrics.media_product_type
    AND metric_latest_reads.metric = metrics.metric
INNER JOIN latest_reads ON latest_reads.media_product_type = metrics.media_product_type
