"""Error answers: status, shape, error_type and message as in docs/api.md §6, and the era
differences (§0, "Decisions for this project")."""

from __future__ import annotations

import pytest

from emulator import Emulator, World

from .helpers import Client, assert_error, ids, private_stranger, public_stranger


def test_missing_and_invalid_tokens(emu, world: World) -> None:
    anonymous = Client(emu, token="")
    assert_error(anonymous.get("/users/self"), 400, "OAuthParameterException", "Missing access_token URL parameter.")
    assert_error(anonymous.get("/tags/love"), 400, "OAuthParameterException")
    forged = Client(emu, token="1.abcdef0.0123")
    assert_error(forged.get("/users/self"), 400, "OAuthAccessTokenException", "The access_token provided is invalid.")
    tampered = emu.access_token[:-1] + ("0" if emu.access_token[-1] != "0" else "1")
    assert_error(Client(emu, tampered).get("/users/self"), 400, "OAuthAccessTokenException")


def _scope_message(scope: str) -> str:
    return (
        f"This request requires scope={scope}, but this access token is not authorized with this "
        f"scope. The user must re-authorize your application with scope={scope} to be granted this "
        "permissions."
    )


def test_scopes_are_enforced(emu, world: World) -> None:
    me = world.default_user_id
    basic = Client(emu, world.token_for(me, ["basic"]))
    other = public_stranger(world)
    media_id = world.media_ids_of_user(other)[0]
    refusals = {
        "public_content": [
            basic.get(f"/users/{other}"),
            basic.get(f"/media/{media_id}"),
            basic.get("/tags/love"),
            basic.get("/users/search", q="a"),
            basic.get("/users/self/media/liked"),
        ],
        "follower_list": [
            basic.get("/users/self/follows"),
            basic.get("/users/self/requested-by"),
            basic.get(f"/users/{other}/relationship"),
        ],
        "likes": [basic.post(f"/media/{media_id}/likes")],
        "comments": [basic.post(f"/media/{media_id}/comments", text="nice")],
        "relationships": [basic.post(f"/users/{other}/relationship", action="follow")],
    }
    for scope, responses in refusals.items():
        for response in responses:
            assert_error(response, 400, "OAuthPermissionsException", _scope_message(scope))
    assert world.relationship(me, other)["outgoing_status"] == "none", "a refused write changes nothing"
    # basic is enough for one's own profile and media ("public_content unless it is the owner")
    assert basic.ok(f"/users/{me}")["data"]["id"] == me
    assert ids(basic.ok(f"/users/{me}/media/recent")["data"]) == world.media_ids_of_user(me)[:20]
    assert basic.ok("/users/self/feed")["data"]


def test_unknown_objects(client: Client, world: World) -> None:
    media_id = world.feed(world.default_user_id)[0]
    for method, path, message in [
        ("get", "/users/99", "this user does not exist"),
        ("get", "/users/99/media/recent", "this user does not exist"),
        ("get", "/users/99/follows", "this user does not exist"),
        ("get", "/users/99/followed-by", "this user does not exist"),
        ("get", "/users/99/relationship", "this user does not exist"),
        ("post", "/users/99/relationship", "this user does not exist"),
        ("get", "/media/123_456", "invalid media id"),
        ("get", "/media/nonsense/likes", "invalid media id"),
        ("post", "/media/123_456/likes", "invalid media id"),
        ("delete", "/media/123_456/likes", "invalid media id"),
        ("get", "/media/123_456/comments", "invalid media id"),
        ("post", "/media/123_456/comments", "invalid media id"),
        ("delete", "/media/123_456/comments/1", "invalid media id"),
        ("delete", f"/media/{media_id}/comments/1", "invalid comment id"),
        ("get", "/media/shortcode/zzzzzz", "invalid media id"),
        ("get", "/tags/no-such-tag-anywhere", "invalid tag name"),
        ("get", "/tags/no-such-tag-anywhere/media/recent", "invalid tag name"),
        ("get", "/locations/1", "invalid location id"),
        ("get", "/locations/1/media/recent", "invalid location id"),
        ("get", "/geographies/1/media/recent", "invalid geography id"),
    ]:
        params = {"action": "follow"} if path.endswith("relationship") else {"text": "nice"}
        response = getattr(client, method)(path, **(params if method == "post" else {}))
        assert_error(response, 400, "APINotFoundError", message)


def test_private_users_are_hidden_from_strangers(client: Client, world: World) -> None:
    private = private_stranger(world)
    media_id = world.media_ids_of_user(private)[0]
    for response in (
        client.get(f"/users/{private}"),
        client.get(f"/users/{private}/media/recent"),
        client.get(f"/media/{media_id}"),
        client.get(f"/media/{media_id}/comments"),
        client.post(f"/media/{media_id}/likes"),
    ):
        assert_error(response, 400, "APINotAllowedError", "you cannot view this resource")
    # the relationship itself is visible
    assert client.ok(f"/users/{private}/relationship")["data"]["target_user_is_private"] is True


def test_follow_lists_of_other_users_depend_on_the_era(serve, world: World) -> None:
    other = public_stranger(world)
    strict = Client(serve(world))
    assert_error(strict.get(f"/users/{other}/follows"), 400, "APINotAllowedError")
    assert_error(strict.get(f"/users/{other}/followed-by"), 400, "APINotAllowedError")
    for lenient in (Client(serve(world, follows_any_user=True)), Client(serve(world, era="legacy"))):
        assert ids(lenient.ok(f"/users/{other}/follows")["data"]) == world.follows(other)[:50]
        private = private_stranger(world)
        assert_error(lenient.get(f"/users/{private}/followed-by"), 400, "APINotAllowedError")


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/users/self/feed", {"count": 0}, "Count must be larger than zero."),
        ("/users/self/follows", {"count": -5}, "Count must be larger than zero."),
        ("/users/self/feed", {"count": "ten"}, "Count must be an integer."),
        ("/users/search", {}, "Missing required parameter q."),
        ("/tags/search", {"q": ""}, "Missing required parameter q."),
        ("/media/search", {"lat": 48.85}, "Missing required parameters lat and lng."),
        ("/media/search", {"lat": 200, "lng": 0}, "Invalid parameter lat: out of range."),
        ("/locations/search", {"lng": 2.35}, "Missing required parameters lat and lng, or facebook_places_id."),
        ("/users/self/follows", {"cursor": "abc"}, "Invalid parameter cursor."),
        ("/media/search", {"lat": 1, "lng": 1, "min_timestamp": 0}, "The time window may not exceed 7 days."),
        (
            "/media/search",
            {"lat": 1, "lng": 1, "max_timestamp": "inf"},
            "Invalid parameter max_timestamp: a number is expected.",
        ),
        ("/media/search", {"lat": 1, "lng": 1, "distance": "nan"}, "Invalid parameter distance: a number is expected."),
        ("/locations/search", {"lat": "nan", "lng": 1}, "Invalid parameter lat: a number is expected."),
        ("/users/search", {"q": "  "}, "Missing required parameter q."),
        ("/users/self/feed", {"max_id": "abc"}, "Invalid media id abc."),
        ("/users/self/feed", {"min_id": "\u00b2_1"}, "Invalid media id \u00b2_1."),  # "²": isdigit() yet no int
        ("/users/self/media/liked", {"max_like_id": "x"}, "Invalid parameter max_like_id."),
        ("/tags/love/media/recent", {"max_tag_id": "AQAarTGD"}, "Invalid parameter max_tag_id."),
        ("/media/popular", {"count": 0}, "Count must be larger than zero."),
    ],
)
def test_bad_parameters(client: Client, path: str, params: dict, message: str) -> None:
    assert_error(client.get(path, **params), 400, "APIInvalidParametersError", message)


def test_legacy_era_shapes_and_client_id_access(serve, world: World) -> None:
    emu = serve(world, era="legacy")
    client = Client(emu)
    me = world.default_user_id
    media_id = max(world.feed(me)[:40], key=lambda m: world.media(m)["comments"]["count"])
    media = client.ok(f"/media/{media_id}")["data"]
    assert media["likes"]["data"] == [world.user_short(u) for u in world.media_likers(media_id)[:4]]
    assert media["comments"]["data"] == world.media_comments(media_id)[-8:]
    assert media["comments"]["data"], "the chosen media has comments"
    assert "is_business" not in client.ok("/users/self")["data"]
    # before 2016 public reads worked with a client_id alone (no user_has_liked then)
    public = Client(emu, token="")
    other = public_stranger(world)
    body = public.ok(f"/users/{other}/media/recent", client_id="my-app")
    assert ids(body["data"]) == world.media_ids_of_user(other)[:20]
    assert "user_has_liked" not in body["data"][0]
    assert_error(public.get("/users/self", client_id="my-app"), 400, "OAuthParameterException")
    assert_error(public.get("/users/self/feed", client_id="my-app"), 400, "OAuthParameterException")
    # writes answer with the older shapes
    comment = client.post(f"/media/{media_id}/comments", text="Hello there").json()["data"]
    assert comment == world.media_comments(media_id)[-1]
    target = public_stranger(world)
    assert client.post(f"/users/{target}/relationship", action="follow").json()["data"] == {
        "outgoing_status": "follows",
        "incoming_status": world.relationship(me, target)["incoming_status"],
    }


def test_legacy_client_id_writes_are_refused_with_api_error(serve, world: World) -> None:
    media_id = world.feed(world.default_user_id)[0]
    public = Client(serve(world, era="legacy"), token="")
    message = (
        "This client ID is not permitted to POST likes. For more info, please refer to our developer "
        "site at http://instagram.com/developer/endpoints/likes."
    )
    assert_error(public.post(f"/media/{media_id}/likes", client_id="my-app"), 400, "APIError", message)
    refused = public.delete(f"/media/{media_id}/comments/1", client_id="my-app")
    assert_error(refused, 400, "APIError")
    assert "DELETE comments" in refused.json()["meta"]["error_message"]
    other = public_stranger(world)
    assert_error(public.post(f"/users/{other}/relationship", client_id="my-app", action="follow"), 400, "APIError")
    assert_error(public.post(f"/media/{media_id}/likes"), 400, "OAuthParameterException"), "no credentials at all"


def test_client_id_alone_is_refused_in_2016(client: Client, emu) -> None:
    assert_error(Client(emu, token="").get("/tags/love", client_id="my-app"), 400, "OAuthParameterException")


def test_errors_carry_rate_limit_headers(client: Client) -> None:
    for response in (client.get("/users/99"), Client(client.emulator, token="").get("/users/self")):
        assert response.headers["X-Ratelimit-Limit"] == "5000"
        assert int(response.headers["X-Ratelimit-Remaining"]) < 5000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"era": "1999"}, "era must be one of"),
        ({"latency": -1}, "latency"),
        ({"rate_limit": -1}, "rate limit"),
        ({"rate_window": 0}, "window"),
        ({"enforce_forwarded_for": True}, "client_secret"),
    ],
)
def test_bad_emulator_options_are_refused(world: World, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator(world, **options)


def test_deny_is_accepted_as_ignore(serve, world: World) -> None:
    target = private_stranger(world)
    requester = world.default_user_id
    world.follow(requester, target)
    theirs = Client(serve(world), world.token_for(target))
    assert theirs.post(f"/users/{requester}/relationship", action="deny").status_code == 200
    assert requester not in world.requested_by(target)
    assert world.relationship(requester, target)["outgoing_status"] == "none"
