"""Search answers match a brute-force reading of the world; tokens map back to users."""

import math
import re

import pytest

from emulator.world import ALL_SCOPES, World, WorldConfig


def _haversine(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (independent of the world's vectorised version)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_search_locations_matches_brute_force(shared_world):
    world = shared_world
    for lid in world.location_ids()[:10]:
        centre = world.location(lid)
        lat, lng = centre["latitude"] + 0.003, centre["longitude"]
        distances = {
            other: _haversine(lat, lng, world.location(other)["latitude"], world.location(other)["longitude"])
            for other in world.location_ids()
        }
        for radius in (500, 3000):
            expected = sorted((d, other) for other, d in distances.items() if d <= radius)
            assert world.search_locations(lat, lng, radius) == [other for _, other in expected]
    assert world.search_locations(0.0, -160.0, 5000) == []


def test_search_locations_by_facebook_places_id(shared_world):
    world = shared_world
    assert world.search_locations(0, 0, 1, facebook_places_id="nope") == []
    lid = world.location_ids()[3]
    places_id = world.location_facebook_places_id(lid)
    assert world.search_locations(0, 0, 1, facebook_places_id=places_id) == [lid]
    assert len({world.location_facebook_places_id(x) for x in world.location_ids()}) == len(world.location_ids())


@pytest.mark.parametrize(
    ("key", "lookup", "shape"),
    [
        ("foursquare_v2_id", "location_foursquare_v2_id", r"[0-9a-f]{24}"),  # a v2 venue id
        ("foursquare_id", "location_foursquare_id", r"[1-9][0-9]*"),  # a v1 (numeric) venue id
    ],
)
def test_search_locations_by_foursquare_ids(shared_world, key, lookup, shape):
    """docs/api.md §2.7: locations/search also takes the older Foursquare venue ids, instead of lat/lng."""
    world = shared_world
    assert world.search_locations(0, 0, 1, **{key: "nope"}) == []
    venue_ids = [getattr(world, lookup)(lid) for lid in world.location_ids()]
    assert len(set(venue_ids)) == len(venue_ids), "one venue id per location"
    assert all(re.fullmatch(shape, venue_id) for venue_id in venue_ids)
    for lid, venue_id in list(zip(world.location_ids(), venue_ids))[:20]:
        assert world.search_locations(0, 0, 1, **{key: venue_id}) == [lid]
    again = World(world.config)
    assert [getattr(again, lookup)(lid) for lid in again.location_ids()] == venue_ids, "deterministic"


def test_search_media_matches_brute_force(shared_world):
    world = shared_world
    centre = world.location(world.location_ids()[0])
    lat, lng = centre["latitude"], centre["longitude"]
    public_located = [world.media(m) for lid in world.location_ids() for m in world.location_media(lid)]
    times = sorted(int(m["created_time"]) for m in public_located)
    min_ts, max_ts = times[len(times) // 4], times[3 * len(times) // 4]
    found = world.search_media(lat, lng, 5000, min_ts, max_ts)
    expected = []
    for media in public_located:
        distance = _haversine(lat, lng, media["location"]["latitude"], media["location"]["longitude"])
        if distance <= 5000 and min_ts <= int(media["created_time"]) <= max_ts:
            expected.append((int(media["created_time"]), media["id"], distance))
    assert found and [mid for mid, _ in found] == [mid for _, mid, _ in sorted(expected, reverse=True)]
    assert all(abs(d - e) < 0.01 for (_, d), (*_, e) in zip(found, sorted(expected, reverse=True)))


def test_search_users_puts_the_exact_username_first(shared_world):
    world = shared_world
    uid = world.user_ids()[17]
    username = world.user(uid)["username"]
    assert world.search_users(username.upper())[0] == uid
    fragment = username[:3]
    found = world.search_users(fragment)
    expected = {
        u
        for u in world.user_ids()
        if fragment in world.user(u)["username"] or fragment in world.user(u)["full_name"].lower()
    }
    assert set(found) == expected and len(found) == len(expected)
    assert world.search_users("  ") == []


def test_search_tags_exact_first_then_by_popularity(shared_world):
    world = shared_world
    found = world.search_tags("#lo")
    assert all("lo" in name for name in found)
    counts = [world.tag(name)["media_count"] for name in found if name != "lo"]
    assert counts == sorted(counts, reverse=True)
    name = world.tag_names()[5]
    assert world.search_tags(name)[0] == name


def test_tokens_map_to_their_user_and_scopes(shared_world):
    world = shared_world
    uid = world.user_ids()[0]
    token = world.token_for(uid)
    assert token.startswith(f"{uid}.") and [len(p) for p in token.split(".")[1:]] == [7, 32]
    assert world.user_for_token(token) == (uid, ALL_SCOPES)
    assert world.token_for(uid) == token  # deterministic
    assert world.user_for_token(world.token_for(uid, scopes=["basic", "likes"])) == (uid, ("basic", "likes"))
    assert world.token_for(world.user_ids()[1]) != token
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    for bad in (tampered, "", "x.y.z", token.replace(uid, world.user_ids()[1], 1), token + "."):
        assert world.user_for_token(bad) is None
    other_world = World(WorldConfig(seed=world.config.seed + 1, users=world.config.users))
    assert other_world.user_for_token(token) is None
    with pytest.raises(ValueError):
        world.token_for(uid, scopes=["admin"])
    with pytest.raises(KeyError):
        world.token_for("0")
