-- One row per read of a metric of a media or story (`/{media-id}/insights`: lifetime values, read
-- again at the media's refresh ages), under the media's id in the marts (`stg_graph_media_ids`;
-- stories keep their Graph ids).
SELECT
    coalesce(ids.media_id, CAST(raw_graph_insights.media_id AS TEXT)) AS media_id,
    raw_graph_insights.metric,
    raw_graph_insights.value,
    raw_graph_insights.media_product_type,
    raw_graph_insights.api_version,
    raw_graph_insights.observed_at
FROM {graph_raw}.media_insights AS raw_graph_insights
LEFT JOIN {analytics}.stg_graph_media_ids AS ids ON ids.graph_media_id = CAST(raw_graph_insights.media_id AS TEXT)
WHERE raw_graph_insights.media_id IS NOT NULL
  AND raw_graph_insights.metric IS NOT NULL
  AND raw_graph_insights.observed_at IS NOT NULL
