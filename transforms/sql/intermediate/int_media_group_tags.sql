-- For every tag and location, the tag its media carry most often (besides the tag itself), with
-- how many of its media carry it; ties go to the alphabetically first tag.
WITH group_tags AS (
    SELECT
        grouped.group_kind,
        grouped.group_key,
        tags.tag,
        count(*) AS media_together
    FROM {analytics}.int_grouped_media AS grouped
    INNER JOIN {analytics}.stg_media_tags AS tags ON tags.media_id = grouped.media_id
    WHERE grouped.group_kind <> 'tag'
       OR tags.tag <> grouped.group_key
    GROUP BY grouped.group_kind, grouped.group_key, tags.tag
),

ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY group_kind, group_key ORDER BY media_together DESC, tag
        ) AS tag_rank
    FROM group_tags
)

SELECT
    group_kind,
    group_key,
    tag AS top_cooccurring_tag,
    media_together AS top_cooccurring_tag_media
FROM ranked
WHERE tag_rank = 1
