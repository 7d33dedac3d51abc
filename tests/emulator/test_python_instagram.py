"""Compatibility with python-instagram 1.3.2, a client written for the real v1 API
(docs/api.md §9): it pages every list to the end and parses the answers with its models."""

from __future__ import annotations

import warnings

import pytest

from emulator import Emulator, World

from .helpers import busiest, private_stranger, public_stranger

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # its bind.py has an invalid escape sequence
    from instagram.bind import InstagramAPIError, InstagramClientError
    from instagram.client import InstagramAPI


def _client(emulator: Emulator, token: str | None = None) -> InstagramAPI:
    api = InstagramAPI(access_token=token or emulator.access_token)
    api.protocol = "http"
    api.host = f"127.0.0.1:{emulator.port}"
    return api


def _everything(method, **kwargs) -> list:
    """All items of a paginated method, as its generator yields them."""
    return [item for page, _ in method(as_generator=True, max_pages=None, **kwargs) for item in page]


@pytest.fixture
def legacy(serve, world: World) -> Emulator:
    """python-instagram's models need `comments.data`: the legacy era."""
    return serve(world, era="legacy", follows_any_user=True)


def test_pages_every_list_to_the_end(legacy: Emulator, world: World) -> None:
    api = _client(legacy)
    me = world.default_user_id
    public = [u for u in world.user_ids() if not world.is_private(u)]
    poster = busiest(public, world.media_ids_of_user)
    location_id = busiest(list(world.location_ids()), world.location_media)
    geography_id = busiest(list(world.geography_ids()), world.geography_media)
    tag = world.tag_names()[0]
    lists = [
        (api.user_media_feed, {}, world.feed(me)),
        (api.user_liked_media, {}, world.liked_media(me)),
        (api.user_recent_media, {"user_id": poster}, world.media_ids_of_user(poster)),
        (api.user_follows, {}, world.follows(me)),
        (
            api.user_followed_by,
            {"user_id": busiest(public, world.followed_by)},
            world.followed_by(busiest(public, world.followed_by)),
        ),
        (api.location_recent_media, {"location_id": location_id}, world.location_media(location_id)),
        (api.geography_recent_media, {"geography_id": geography_id}, world.geography_media(geography_id)),
        (api.tag_recent_media, {"tag_name": tag}, [mid for _, mid in world.tag_media(tag)]),
    ]
    for method, kwargs, truth in lists:
        raw = _everything(method, return_json=True, count=9, **kwargs)
        assert [item["id"] for item in raw] == truth, method.__name__
        models = _everything(method, count=33, **kwargs)
        assert [model.id for model in models] == truth, method.__name__
    assert api.x_ratelimit == "5000" and int(api.x_ratelimit_remaining) < 5000


def test_models_parse_single_objects_and_searches(legacy: Emulator, world: World) -> None:
    api = _client(legacy)
    me = world.default_user_id
    video = next(m for m in world.feed(me) if world.media(m)["type"] == "video")
    media = api.media(video)
    assert media.type == "video" and media.get_standard_resolution_url().endswith(".mp4")
    assert media.comment_count == world.media(video)["comments"]["count"]
    shortcode = world.media(video)["link"].rstrip("/").rsplit("/", 1)[1]
    assert api.media_shortcode(shortcode).id == video
    assert [u.id for u in api.media_likes(video)] == world.media_likers(video)
    assert [c.id for c in api.media_comments(video)] == [c["id"] for c in world.media_comments(video)]
    assert api.user().id == me and api.user(public_stranger(world)).username
    assert api.user_relationship(user_id=world.follows(me)[0]).outgoing_status == "follows"
    assert [u.id for u in api.user_search(q="an")] == world.search_users("an")[:50]
    tags, _ = api.tag_search(q="lo")
    assert [t.name for t in tags] == world.search_tags("lo")[:50]
    tag = api.tag(world.tag_names()[0])
    assert tag.media_count == world.tag(world.tag_names()[0])["media_count"]
    assert tag.description is None and tag.external_url is None
    place = world.location(busiest(list(world.location_ids()), world.location_media))
    assert api.location(place["id"]).name == place["name"]
    found = api.location_search(lat=place["latitude"], lng=place["longitude"])
    assert [loc.id for loc in found] == world.search_locations(place["latitude"], place["longitude"], 1000)[:50]
    venue = api.location_search(foursquare_v2_id=world.location_foursquare_v2_id(place["id"]))
    assert [loc.id for loc in venue] == [place["id"]]
    assert [loc.id for loc in api.location_search(foursquare_id=world.location_foursquare_id(place["id"]))] == [
        place["id"]
    ]
    assert [m.id for m in api.media_popular()] == world.popular()
    nearby = api.media_search(lat=place["latitude"], lng=place["longitude"], distance=5000)
    assert [m.id for m in nearby] == [
        mid
        for mid, _ in world.search_media(place["latitude"], place["longitude"], 5000, world.now - 5 * 86400, world.now)
    ][:20]


def test_writes(legacy: Emulator, world: World) -> None:
    api = _client(legacy)
    me = world.default_user_id
    media_id = next(m for m in world.feed(me) if m not in world.liked_media(me))
    api.like_media(media_id)
    assert media_id in world.liked_media(me)
    api.unlike_media(media_id)
    assert media_id not in world.liked_media(me)
    api.create_media_comment(media_id, "Lovely colours")
    comment = world.media_comments(media_id)[-1]
    assert comment["text"] == "Lovely colours"
    api.delete_comment(media_id, comment["id"])
    assert comment not in world.media_comments(media_id)
    target = public_stranger(world)
    api.follow_user(user_id=target)
    assert world.relationship(me, target)["outgoing_status"] == "follows"
    api.unfollow_user(user_id=target)
    assert world.relationship(me, target)["outgoing_status"] == "none"
    api.block_user(user_id=target)
    assert world.relationship(me, target)["incoming_status"] == "blocked_by_you"
    api.unblock_user(user_id=target)
    assert world.relationship(me, target)["incoming_status"] == "none"


def test_answering_follow_requests(legacy: Emulator, world: World) -> None:
    """approve_user_request / ignore_user_request (docs/api.md §9.1), answered as recorded (§2.2)."""
    target = private_stranger(world)
    requesters = [u for u in world.user_ids() if u != target and not world.is_private(u)][:2]
    for uid in requesters:
        world.follow(uid, target)
    api = _client(legacy, world.token_for(target))
    assert [u.id for u in api.user_incoming_requests()] == world.requested_by(target)
    approved, ignored = requesters
    api.approve_user_request(user_id=approved)
    api.ignore_user_request(user_id=ignored)
    assert world.relationship(approved, target)["outgoing_status"] == "follows"
    assert world.relationship(ignored, target)["outgoing_status"] == "none"
    assert not set(requesters) & set(world.requested_by(target))


def test_its_error_handling_understands_the_answers(legacy: Emulator, world: World) -> None:
    api = _client(legacy)
    with pytest.raises(InstagramAPIError) as missing:
        api.user("99")
    assert (missing.value.status_code, missing.value.error_type) == (400, "APINotFoundError")
    with pytest.raises(InstagramAPIError) as private:
        api.user(private_stranger(world))
    assert private.value.error_message == "you cannot view this resource"
    with pytest.raises(InstagramClientError) as not_json:
        api.user_media_feed(with_next_url=legacy.base_url + "/users/self/nothing-here")
    assert not_json.value.status_code == "404"  # the HTML 404 of an unknown route


def test_it_sees_rate_limits(serve, world: World) -> None:
    api = _client(serve(world, era="legacy", rate_limit=1))
    api.user()
    with pytest.raises(InstagramAPIError) as limited:
        api.user()
    assert (limited.value.status_code, limited.value.error_type) == (
        "503",
        "Rate limited",
    )  # it keeps the status as a string
