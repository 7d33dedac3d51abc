-- One row per location.
SELECT DISTINCT
    CAST(id AS TEXT) AS location_id,
    name AS location_name,
    latitude,
    longitude
FROM {raw}.locations AS raw_locations
WHERE id IS NOT NULL
