-- One row per location with media: how much its media are engaged with, its best media and the
-- tag its media carry most often.
SELECT
    places.group_key AS location_id,
    locations.location_name,
    locations.latitude,
    locations.longitude,
    places.media,
    places.distinct_authors,
    places.total_likes,
    places.total_comments,
    places.total_engagement,
    places.median_engagement_per_media,
    places.oldest_counters_observed_at,
    places.latest_counters_observed_at,
    places.top_media_id,
    places.top_media_engagement,
    places.top_cooccurring_tag,
    places.top_cooccurring_tag_media
FROM {analytics}.int_media_group_engagement AS places
LEFT JOIN {analytics}.stg_locations AS locations ON locations.location_id = places.group_key
WHERE places.group_kind = 'location'
