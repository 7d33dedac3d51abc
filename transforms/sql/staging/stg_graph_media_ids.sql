-- The warehouse's media id for each media the Graph API source loaded. The two APIs number
-- media differently, and the shortcode (the code in the media's web link) is the media's on
-- both: a media v1 loaded too keeps v1's id, so that the marts count it once; any other keeps its
-- Graph id.
WITH graph_media AS (
    SELECT CAST(id AS TEXT) AS graph_media_id, min(shortcode) AS shortcode
    FROM {graph_raw}.media AS raw_graph_media
    WHERE id IS NOT NULL
    GROUP BY CAST(id AS TEXT)
),

v1_media AS (
    SELECT shortcode, min(CAST(id AS TEXT)) AS media_id
    FROM {raw}.media AS raw_media
    WHERE shortcode IS NOT NULL AND id IS NOT NULL
    GROUP BY shortcode
)

SELECT
    graph_media.graph_media_id,
    coalesce(v1_media.media_id, graph_media.graph_media_id) AS media_id,
    v1_media.media_id IS NOT NULL AS seen_by_v1
FROM graph_media
LEFT JOIN v1_media ON v1_media.shortcode = graph_media.shortcode
