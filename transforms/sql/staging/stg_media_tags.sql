-- One row per (media, tag) from either source; tags are compared case-insensitively, as
-- Instagram does. v1 lists a media's tags; the Graph API gives only the caption, whose
-- `#words` are the tags (v1's list is the caption's too).
WITH graph_caption_words AS (
    SELECT
        media_id,
        unnest(regexp_split_to_array(caption_text, '\s+')) AS word
    FROM {analytics}.stg_graph_media
    WHERE caption_text IS NOT NULL
),

-- a word's tag: the word characters after its '#' (the word itself when none follow)
graph_caption_tags AS (
    SELECT media_id, word, regexp_replace(word, '^#(\w+).*$', '\1') AS tag
    FROM graph_caption_words
    WHERE word LIKE '#_%'
)

SELECT DISTINCT
    CAST(media_id AS TEXT) AS media_id,
    lower(tag) AS tag
FROM {raw}.media_tags AS raw_media_tags
WHERE media_id IS NOT NULL
  AND tag IS NOT NULL
UNION
SELECT media_id, lower(tag) AS tag
FROM graph_caption_tags
WHERE tag <> word
