"""The emulator answers each endpoint in the shape of the 27 recorded responses (fixtures/).

For every fixture the emulator is asked the same endpoint (in the legacy era when the
fixture's media carry `comments.data`, and for the two write answers recorded in the older
shape: relationship POST with `incoming_status`, comment POST with the Comment) and the two
bodies are compared recursively: every key of the fixture must be in the answer with a value
of the same JSON type. The rules that allow a difference are explicit:

1. EXTRA KEYS in the answer are fine: later API versions added fields (`filter`,
   `attribution`, `users_in_photo`, `carousel_media`, `is_business`, `counts`, ...).
2. LEGACY USER FIELDS: the 2011 development fixtures' users carry `first_name`,
   `last_name` and `type: "user"`, which the emulator (like the public API) does not send.
3. INTEGER IDS: 2011 development fixtures have some ids and cursors as integers
   (`next_max_id: 3382520`); the emulator always sends strings (docs/api.md "Decisions" 4).
4. NULLABLE FIELDS: `caption`, `location` (and its `id` / `name`), `attribution` and
   `users_in_photo` may be null on either side, and so may `filter` and `link` (null in
   the 2011 real captures); `data` of writes must be null on both.
5. NUMBERS: int and float are one type (coordinates, `distance`).
6. LISTS: each fixture item is compared with an answer item of the same media `type` if
   there is one (else the first); empty lists on either side compare as lists only.
7. MEDIA OWNER: the 2014 capture's media `user` also has `bio` and `website` (docs/api.md §4.1:
   "sometimes"); the emulator sends the short User there.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from emulator import Emulator, World, WorldConfig

from .helpers import FIXTURES, Client, busiest, private_stranger, public_stranger

LEGACY_USER_FIELDS = {"first_name", "last_name"}
NULLABLE = {"caption", "location", "attribution", "users_in_photo", "id", "name", "filter", "link"}
MEDIA_OWNER_EXTRAS = {"bio", "website"}
OLDER_WRITE_SHAPES = {"change_user_relationship", "create_media_comment"}
INTEGER_ID_KEYS = {"id", "next_max_id", "next_max_like_id", "next_cursor"}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def assert_same_shape(fixture: object, answer: object, path: str = "$") -> None:
    """Every key of `fixture` is in `answer` with a value of the same type (rules above)."""
    key = path.rsplit(".", 1)[-1]
    if fixture is None or answer is None:
        if key in NULLABLE or fixture is answer:
            return
        raise AssertionError(f"{path}: fixture {fixture!r} vs answer {answer!r}")
    if key in INTEGER_ID_KEYS and isinstance(fixture, int) and isinstance(answer, str):
        return
    assert _kind(fixture) == _kind(answer), f"{path}: {_kind(fixture)} in the fixture, {_kind(answer)} in the answer"
    if isinstance(fixture, dict):
        legacy_user = "username" in fixture
        for name, value in fixture.items():
            if legacy_user and (name in LEGACY_USER_FIELDS or (name == "type" and value == "user")):
                continue
            if key == "user" and name in MEDIA_OWNER_EXTRAS:
                continue
            assert name in answer, f"{path}: key {name!r} missing from the answer"
            assert_same_shape(value, answer[name], f"{path}.{name}")
    elif isinstance(fixture, list) and fixture and answer:
        for index, item in enumerate(fixture):
            assert_same_shape(item, _counterpart(item, answer), f"{path}[{index}]")


def _counterpart(item: object, answer: list) -> object:
    if isinstance(item, dict) and "type" in item:
        return next((a for a in answer if isinstance(a, dict) and a.get("type") == item["type"]), answer[0])
    return answer[0]


# ----------------------------------------------------------------------------- the requests


def _rich_media(world: World) -> str:
    """A public media with caption, location, comments and likes (so every key can compare)."""

    def richness(mid: str) -> tuple:
        media = world.media(mid)
        return (
            media["caption"] is not None,
            media["location"] is not None,
            min(media["comments"]["count"], 3),
            min(media["likes"]["count"], 3),
        )

    me = world.default_user_id
    return max((m for m in world.feed(me) if not world.is_private(world.media_owner_id(m))), key=richness)


def _place(world: World) -> dict:
    return world.location(busiest(list(world.location_ids()), world.location_media))


def _requests(world: World) -> dict[str, Callable[[Client], object]]:
    """fixture name → how to ask the emulator for the same endpoint."""
    me = world.default_user_id
    media_id = _rich_media(world)
    shortcode = world.media(media_id)["link"].rstrip("/").rsplit("/", 1)[1]
    stranger = public_stranger(world)
    private = private_stranger(world)
    place = _place(world)
    tag = world.tag_names()[0]
    own_comment = world.comment(me, media_id, "my own words")["id"]
    world.follow(stranger, private)  # a pending request, for requested-by
    lat, lng = place["latitude"], place["longitude"]
    poster = busiest([u for u in world.user_ids() if not world.is_private(u)], world.media_ids_of_user)
    return {
        "change_user_relationship": lambda c: c.post(f"/users/{private}/relationship", action="follow"),
        "create_media_comment": lambda c: c.post(f"/media/{media_id}/comments", text="Great shot"),
        "delete_comment": lambda c: c.delete(f"/media/{media_id}/comments/{own_comment}"),
        "follow_user": lambda c: c.post(f"/users/{stranger}/relationship", action="follow"),
        "geography_recent_media": lambda c: c.get(
            f"/geographies/{busiest(list(world.geography_ids()), world.geography_media)}/media/recent", count=33
        ),
        "like_media": lambda c: c.post(f"/media/{media_id}/likes"),
        "location": lambda c: c.get(f"/locations/{place['id']}"),
        "location_recent_media": lambda c: c.get(f"/locations/{place['id']}/media/recent", count=10),
        "location_search": lambda c: c.get("/locations/search", lat=lat, lng=lng),
        "media": lambda c: c.get(f"/media/{media_id}"),
        "media_likes": lambda c: c.get(f"/media/{media_id}/likes"),
        "media_popular": lambda c: c.get("/media/popular"),
        "media_search": lambda c: c.get(
            "/media/search", lat=lat, lng=lng, distance=5000, min_timestamp=world.now - 7 * 86400
        ),
        "media_shortcode": lambda c: c.get(f"/media/shortcode/{shortcode}"),
        "tag": lambda c: c.get(f"/tags/{tag}"),
        "tag_recent_media": lambda c: c.get(f"/tags/{tag}/media/recent", count=33),
        "tag_search": lambda c: c.get("/tags/search", q=tag[:2]),
        "unlike_media": lambda c: c.delete(f"/media/{media_id}/likes"),
        "user": lambda c: c.get("/users/self"),
        "user_followed_by": lambda c: c.get("/users/self/followed-by"),
        "user_follows": lambda c: c.get("/users/self/follows", count=5),
        "user_incoming_requests": lambda c: Client(c.emulator, world.token_for(private)).get(
            "/users/self/requested-by"
        ),
        # a page smaller than the list: the default user likes a few per cent of what it sees
        "user_liked_media": lambda c: c.get("/users/self/media/liked", count=5),
        "user_media_feed": lambda c: c.get("/users/self/feed", count=33),
        "user_no_auth_user": lambda c: Client(c.emulator, token="").get("/users/self"),
        "user_recent_media": lambda c: c.get(f"/users/{poster}/media/recent", count=33),
        "user_search": lambda c: c.get("/users/search", q=world.user_short(stranger)["username"][:3]),
    }


FIXTURE_NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def test_every_fixture_is_covered() -> None:
    assert len(FIXTURE_NAMES) == 27
    assert set(FIXTURE_NAMES) == set(_requests(World(WorldConfig(seed=3, users=300))))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_answer_has_the_fixture_shape(name: str) -> None:
    fixture_text = (FIXTURES / f"{name}.json").read_text()
    fixture = json.loads(fixture_text)
    legacy = ('"comments": {' in fixture_text and '"data"' in fixture_text) or name in OLDER_WRITE_SHAPES
    world = World(WorldConfig(seed=3, users=300))
    ask = _requests(world)[name]
    with Emulator(world, era="legacy" if legacy else "2016", follows_any_user=True) as emulator:
        response = ask(Client(emulator))
    answer = response.json()
    assert response.status_code == fixture["meta"]["code"], response.text
    if isinstance(fixture.get("data"), list):
        assert answer["data"], f"{name}: the emulator answered an empty list; nothing to compare"
    assert_same_shape(fixture, answer)


def test_the_comparison_catches_differences() -> None:
    """The rules are not so lenient that anything passes."""
    with pytest.raises(AssertionError, match="missing"):
        assert_same_shape({"data": {"username": "a", "bio": ""}}, {"data": {"username": "a"}})
    with pytest.raises(AssertionError, match="str in the fixture"):
        assert_same_shape({"created_time": "1296713289"}, {"created_time": 1296713289})
    with pytest.raises(AssertionError):
        assert_same_shape({"data": None}, {"data": {}})
    assert_same_shape(
        {"user": {"id": 3, "username": "k", "first_name": "K", "type": "user"}}, {"user": {"id": "3", "username": "k"}}
    )


# ----------------------------------------------------------------------------- the reference's objects

# docs/api.md §4: the keys each object carries (beyond what the python-instagram fixtures show:
# the Tag's `description` / `external_url`, the User's `counts` and `is_business`, ...).
REFERENCE_KEYS = {
    "user": {"id", "username", "full_name", "profile_picture", "bio", "website", "counts", "is_business"},
    "short user": {"id", "username", "full_name", "profile_picture"},
    "media": set(
        "id type created_time link filter tags location comments likes images caption user users_in_photo"
        " attribution user_has_liked".split()
    ),
    "comment": {"id", "text", "created_time", "from"},
    "tag": {"name", "media_count", "description", "external_url"},
    "location": {"id", "name", "latitude", "longitude", "street_address"},
    "relationship": {"outgoing_status", "incoming_status", "target_user_is_private"},
}


def test_objects_carry_every_key_of_the_reference(serve) -> None:
    world = World(WorldConfig(seed=3, users=300))
    client = Client(serve(world))
    media_id = _rich_media(world)
    place = _place(world)
    tag = world.tag_names()[0]
    answers = {
        "user": client.ok("/users/self")["data"],
        "short user": client.ok(f"/media/{media_id}/likes")["data"][0],
        "media": client.ok(f"/media/{media_id}")["data"],
        "comment": client.ok(f"/media/{media_id}/comments")["data"][0],
        "tag": client.ok(f"/tags/{tag}")["data"],
        "location": client.ok(f"/locations/{place['id']}")["data"],
        "relationship": client.ok(f"/users/{public_stranger(world)}/relationship")["data"],
    }
    for kind, answer in answers.items():
        assert REFERENCE_KEYS[kind] <= set(answer), f"{kind}: {sorted(REFERENCE_KEYS[kind] - set(answer))} missing"
    media = answers["media"]
    assert REFERENCE_KEYS["comment"] <= set(media["caption"]) and REFERENCE_KEYS["short user"] <= set(media["user"])
    by_type = {world.media(m)["type"]: client.ok(f"/media/{m}")["data"] for m in world.feed(world.default_user_id)}
    assert "videos" in by_type["video"] and "carousel_media" in by_type["carousel"]
    for item in by_type["carousel"]["carousel_media"]:
        assert {"type", "images", "users_in_photo"} <= set(item) and ("videos" in item) == (item["type"] == "video")
    assert REFERENCE_KEYS["tag"] == set(client.ok("/tags/search", q=tag[:2])["data"][0])
