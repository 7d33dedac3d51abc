"""Every endpoint answers the world's truth, in the envelope and with the transport
conventions of docs/api.md §1-§3."""

from __future__ import annotations

import http.client
import json
from email.utils import formatdate
from urllib.parse import urlencode, urlsplit

import pytest

from emulator import World

from .helpers import Client, busiest, ids, private_stranger, public_stranger


def _media(world: World, me: str, media_id: str) -> dict:
    """The Media object a user token sees (2016 era)."""
    return {**world.media(media_id), "user_has_liked": media_id in world.liked_media(me)}


def _place_with_media(world: World) -> tuple[str, dict]:
    location_id = busiest(list(world.location_ids()), world.location_media)
    return location_id, world.location(location_id)


def test_users(client: Client, world: World, me: str) -> None:
    other = public_stranger(world)
    assert client.ok("/users/self")["data"] == world.user(me)
    assert client.ok(f"/users/{me}")["data"] == world.user(me)
    assert client.ok(f"/users/{other}")["data"] == world.user(other)
    assert "pagination" not in client.ok("/users/self")


def test_user_search(client: Client, world: World) -> None:
    body = client.ok("/users/search", q="an", count=5)
    assert body["data"] == [world.user_short(uid) for uid in world.search_users("an")[:5]]
    assert "pagination" not in body


@pytest.mark.parametrize(
    ("path", "truth"),
    [
        ("/users/self/media/recent", lambda w, me: w.media_ids_of_user(me)[:20]),
        ("/users/self/feed", lambda w, me: w.feed(me)[:20]),
        ("/users/self/media/liked", lambda w, me: w.liked_media(me)[:20]),
        ("/media/popular", lambda w, me: w.popular()),  # the whole list, 20 items or not
    ],
)
def test_media_lists_of_the_token_user(client: Client, world: World, me: str, path: str, truth) -> None:
    expected = truth(world, me)
    assert client.ok(path)["data"] == [_media(world, me, mid) for mid in expected]


def test_media_lists_of_places_tags_and_users(client: Client, world: World, me: str) -> None:
    location_id, _ = _place_with_media(world)
    geography_id = busiest(list(world.geography_ids()), world.geography_media)
    tag = world.tag_names()[0]
    other = public_stranger(world)
    cases = {
        f"/locations/{location_id}/media/recent": world.location_media(location_id),
        f"/geographies/{geography_id}/media/recent": world.geography_media(geography_id),
        f"/tags/{tag}/media/recent": [mid for _, mid in world.tag_media(tag)],
        f"/users/{other}/media/recent": world.media_ids_of_user(other),
    }
    for path, truth in cases.items():
        assert ids(client.ok(path)["data"]) == truth[:20], path


def test_single_media_by_id_and_shortcode(client: Client, world: World, me: str) -> None:
    media_id = world.liked_media(me)[0]
    expected = _media(world, me, media_id)
    assert expected["user_has_liked"] is True
    assert client.ok(f"/media/{media_id}")["data"] == expected
    shortcode = expected["link"].rstrip("/").rsplit("/", 1)[1]
    assert client.ok(f"/media/shortcode/{shortcode}")["data"] == expected


def test_media_search_has_distances(client: Client, world: World, me: str) -> None:
    _, place = _place_with_media(world)
    lat, lng = place["latitude"], place["longitude"]
    found = world.search_media(lat, lng, 5000, world.now - 5 * 86400, world.now)
    assert found, "the test world has no recent media near its busiest place"
    data = client.ok("/media/search", lat=lat, lng=lng, distance=5000)["data"]
    assert [(m["id"], m["distance"]) for m in data] == found[:20]
    assert data[0] == {**_media(world, me, found[0][0]), "distance": found[0][1]}


def test_comments_and_likes_of_a_media(client: Client, world: World) -> None:
    media_id = max(world.feed(world.default_user_id)[:50], key=lambda m: world.media(m)["comments"]["count"])
    assert client.ok(f"/media/{media_id}/comments")["data"] == world.media_comments(media_id)
    likers = [world.user_short(uid) for uid in world.media_likers(media_id)]
    assert client.ok(f"/media/{media_id}/likes")["data"] == likers


def test_tags(client: Client, world: World) -> None:
    tag = world.tag_names()[3]
    assert client.ok(f"/tags/{tag}")["data"] == world.tag(tag)
    query = tag[:2]
    expected = [world.tag(name) for name in world.search_tags(query)[:50]]
    assert client.ok("/tags/search", q=query)["data"] == expected


@pytest.mark.parametrize("era", ["2016", "legacy"])
def test_tag_objects_carry_every_key_of_the_reference(serve, world: World, era: str) -> None:
    """docs/api.md §4.4: a Tag is {name, media_count} plus `description` and `external_url`, both null
    in the recorded answers (the ruby gem's tag.json and tag_search.json)."""
    client = Client(serve(world, era=era))
    tag = world.tag_names()[0]
    found = client.ok("/tags/search", q=tag[:2])["data"]
    assert found
    for answer in [client.ok(f"/tags/{tag}")["data"], *found]:
        assert set(answer) == {"name", "media_count", "description", "external_url"}, answer
        assert answer["description"] is None and answer["external_url"] is None
        assert isinstance(answer["name"], str) and isinstance(answer["media_count"], int)


def test_locations(client: Client, world: World) -> None:
    location_id, place = _place_with_media(world)
    assert client.ok(f"/locations/{location_id}")["data"] == place
    lat, lng = place["latitude"], place["longitude"]
    nearby = world.search_locations(lat, lng, 500)
    assert ids(client.ok("/locations/search", lat=lat, lng=lng)["data"]) == nearby[:50]
    assert (
        ids(client.ok("/locations/search", lat=lat, lng=lng, distance=99999)["data"])
        == world.search_locations(lat, lng, 750)[:50]
    ), "distance is capped at 750 m (2016 docs)"


@pytest.mark.parametrize("key", ["facebook_places_id", "foursquare_v2_id", "foursquare_id"])
def test_location_search_by_venue_id(client: Client, world: World, key: str) -> None:
    """docs/api.md §2.7: any of these ids makes lat/lng unnecessary (and wins over them)."""
    unknown = client.get("/locations/search", **{key: "0"})
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["data"] == []
    location_id, place = _place_with_media(world)
    venue_id = getattr(world, f"location_{key}")(location_id)
    body = client.ok("/locations/search", **{key: venue_id})
    assert body["data"] == [place] and "pagination" not in body
    assert client.ok("/locations/search", lat=0, lng=0, **{key: venue_id})["data"] == [place]


def test_relationship_lists(client: Client, world: World, me: str) -> None:
    assert client.ok("/users/self/follows")["data"] == [world.user_short(u) for u in world.follows(me)[:50]]
    assert ids(client.ok("/users/self/followed-by")["data"]) == world.followed_by(me)[:50]
    for uid in (world.follows(me)[0], private_stranger(world)):
        assert client.ok(f"/users/{uid}/relationship")["data"] == world.relationship(me, uid)


def test_requested_by_lists_pending_requests(serve, world: World) -> None:
    target = private_stranger(world)
    requesters = [u for u in world.user_ids() if u != target and not world.is_private(u)][:3]
    for uid in requesters:
        world.follow(uid, target)
    client = Client(serve(world), world.token_for(target))
    body = client.ok("/users/self/requested-by")
    assert ids(body["data"]) == world.requested_by(target)
    assert set(requesters) <= set(ids(body["data"]))
    assert body["pagination"] == {}


# ----------------------------------------------------------------------------- writes


def test_follow_unfollow_and_relationship_reads(client: Client, world: World, me: str) -> None:
    target = public_stranger(world)
    response = client.post(f"/users/{target}/relationship", action="follow")
    assert response.json() == {"meta": {"code": 200}, "data": {"outgoing_status": "follows"}}
    assert client.ok(f"/users/{target}/relationship")["data"]["outgoing_status"] == "follows"
    assert client.ok("/users/self/follows")["data"][0]["id"] == target, "newest follow first"
    assert client.post(f"/users/{target}/relationship", action="unfollow").json()["data"] == {"outgoing_status": "none"}
    assert target not in ids(client.ok("/users/self/follows", count=50)["data"])


def test_follow_request_to_a_private_user_then_approve(serve, world: World, me: str) -> None:
    target = private_stranger(world)
    emu = serve(world)
    mine, theirs = Client(emu), Client(emu, world.token_for(target))
    assert mine.post(f"/users/{target}/relationship", action="follow").json()["data"] == {
        "outgoing_status": "requested"
    }
    assert me in ids(theirs.ok("/users/self/requested-by")["data"])
    assert theirs.post(f"/users/{me}/relationship", action="approve").json()["data"] == {"outgoing_status": "follows"}
    assert mine.ok(f"/users/{target}/relationship")["data"]["outgoing_status"] == "follows"
    assert ids(mine.ok(f"/users/{target}/media/recent")["data"]) == world.media_ids_of_user(target)[:20]


def _requester_followed_back(world: World) -> tuple[str, str]:
    """(requester, target): a pending request to private `target`, who follows the requester."""
    for target in world.user_ids():
        if not world.is_private(target):
            continue
        for requester in world.follows(target):
            relation = world.relationship(requester, target)
            if relation["outgoing_status"] == "none" and not world.is_private(requester):
                world.follow(requester, target)  # a request: the target is private
                return requester, target
    raise AssertionError("the test world has no private user following a public one")


@pytest.mark.parametrize("era", ["2016", "legacy"])
def test_every_action_answers_as_the_reference(serve, world: World, era: str) -> None:
    """docs/api.md §2.2 (the recorded answers): follow → follows (a public target) or requested (a
    private one); unfollow, block, unblock → none; approve → follows; ignore and deny → none.
    For approve and ignore the status is that of the request answered, even when the one
    answering follows the requester: theirs is not what the answer reports."""
    emu = serve(world, era=era)
    mine = Client(emu)
    public, private = public_stranger(world), private_stranger(world)

    def act(client: Client, target: str, action: str) -> str:
        answer = client.post(f"/users/{target}/relationship", action=action).json()
        assert answer["meta"] == {"code": 200}, answer
        viewer = world.user_for_token(client.token)[0]
        expected_keys = {"outgoing_status", "incoming_status"} if era == "legacy" else {"outgoing_status"}
        assert set(answer["data"]) == expected_keys
        if era == "legacy":
            assert answer["data"]["incoming_status"] == world.relationship(viewer, target)["incoming_status"]
        return answer["data"]["outgoing_status"]

    assert act(mine, public, "follow") == "follows"
    assert act(mine, public, "unfollow") == "none"
    assert act(mine, private, "follow") == "requested"
    assert act(mine, private, "unfollow") == "none"
    assert act(mine, public, "block") == "none"
    assert act(mine, public, "unblock") == "none"
    for action in ("approve", "ignore", "deny"):
        requester, target = _requester_followed_back(world)
        expected = "follows" if action == "approve" else "none"
        assert act(Client(emu, world.token_for(target)), requester, action) == expected, action
        assert world.relationship(requester, target)["outgoing_status"] == expected
        assert world.relationship(target, requester)["outgoing_status"] == "follows", "unchanged"


def test_block_ignore_and_refused_actions(client: Client, world: World, me: str) -> None:
    target = world.followed_by(me)[0]
    assert client.post(f"/users/{target}/relationship", action="block").status_code == 200
    assert world.relationship(me, target)["incoming_status"] == "blocked_by_you"
    assert target not in world.followed_by(me)
    client.post(f"/users/{target}/relationship", action="unblock")
    assert world.relationship(me, target)["incoming_status"] == "none"
    refused = client.post(f"/users/{me}/relationship", action="follow")
    assert refused.status_code == 400 and refused.json()["meta"]["error_type"] == "APINotAllowedError"
    nothing_pending = client.post(f"/users/{target}/relationship", action="ignore")
    assert nothing_pending.json()["meta"]["error_type"] == "APINotAllowedError"
    bad = client.post(f"/users/{target}/relationship", action="befriend")
    assert bad.json()["meta"]["error_type"] == "APIInvalidParametersError"
    missing = client.post(f"/users/{target}/relationship")
    assert missing.json()["meta"]["error_message"] == "Missing required parameter action."


def test_like_and_unlike(client: Client, world: World, me: str) -> None:
    media_id = next(m for m in world.feed(me) if m not in world.liked_media(me))
    before = world.media(media_id)["likes"]["count"]
    assert client.post(f"/media/{media_id}/likes").json() == {"meta": {"code": 200}, "data": None}
    assert client.ok(f"/media/{media_id}/likes")["data"][0]["id"] == me
    media = client.ok(f"/media/{media_id}")["data"]
    assert media["likes"]["count"] == before + 1 and media["user_has_liked"] is True
    assert client.ok("/users/self/media/liked")["data"][0]["id"] == media_id
    assert client.delete(f"/media/{media_id}/likes").json()["data"] is None
    assert client.ok(f"/media/{media_id}")["data"]["user_has_liked"] is False


def test_method_override_turns_a_post_into_a_delete(client: Client, world: World, me: str) -> None:
    media_id = world.liked_media(me)[0]
    assert client.post(f"/media/{media_id}/likes", _method="DELETE").status_code == 200
    assert media_id not in world.liked_media(me)
    assert client.emulator.stats.by_endpoint["DELETE /media/{id}/likes"] == 1


def test_comment_and_delete_comment(client: Client, world: World, me: str) -> None:
    media_id = world.feed(me)[0]
    assert client.post(f"/media/{media_id}/comments", text="Lovely light").json() == {
        "meta": {"code": 200},
        "data": None,
    }
    newest = client.ok(f"/media/{media_id}/comments")["data"][-1]
    assert (newest["text"], newest["from"]["id"], newest["created_time"]) == ("Lovely light", me, str(world.now))
    assert client.delete(f"/media/{media_id}/comments/{newest['id']}").json()["data"] is None
    assert newest["id"] not in ids(world.media_comments(media_id))
    gone = client.delete(f"/media/{media_id}/comments/{newest['id']}")
    assert gone.json()["meta"] == {"code": 400, "error_type": "APINotFoundError", "error_message": "invalid comment id"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 301, "The total length of the comment cannot exceed 300 characters."),
        ("#a #b #c #d #e", "The comment cannot contain more than 4 hashtags."),
        ("see http://a.example and http://b.example", "The comment cannot contain more than 1 URL."),
        ("SO GOOD", "The comment cannot consist of all capital letters."),
        ("", "Missing required parameter text."),
        (" \t\n ", "Missing required parameter text."),
    ],
)
def test_comment_validation(client: Client, world: World, me: str, text: str, message: str) -> None:
    media_id = world.feed(me)[0]
    count = len(world.media_comments(media_id))
    response = client.post(f"/media/{media_id}/comments", text=text)
    assert response.json()["meta"] == {"code": 400, "error_type": "APIInvalidParametersError", "error_message": message}
    assert len(world.media_comments(media_id)) == count


def test_a_comment_may_hold_one_url_with_www(client: Client, world: World, me: str) -> None:
    media_id = world.feed(me)[0]
    assert client.post(f"/media/{media_id}/comments", text="see http://www.example.com/a").status_code == 200
    assert world.media_comments(media_id)[-1]["text"] == "see http://www.example.com/a"


def test_deleting_someone_elses_comment_is_refused(client: Client, world: World, me: str) -> None:
    media_id, comment = next(
        (m, c)
        for m in world.feed(me)
        if world.media_owner_id(m) != me
        for c in world.media_comments(m)
        if c["from"]["id"] != me
    )
    response = client.delete(f"/media/{media_id}/comments/{comment['id']}")
    assert response.json()["meta"]["error_type"] == "APINotAllowedError"
    assert comment in world.media_comments(media_id)


# ----------------------------------------------------------------------------- transport


def _raw_post(emu, path: str, body: str, headers: dict[str, str]) -> tuple[int, dict]:
    """POST `body` exactly as given, with only the `headers` given (no Content-Type unless named)."""
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        connection.request("POST", "/v1" + path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_form_body_without_content_type_is_read_as_a_form(client: Client, world: World, me: str) -> None:
    """python-instagram's own OAuth POST, like other real clients, sent a urlencoded body with no
    Content-Type; the API read it as a form (docs/api.md §1)."""
    media_id = next(m for m in world.feed(me) if m not in world.liked_media(me))
    body = urlencode({"access_token": client.token})
    status, answer = _raw_post(client.emulator, f"/media/{media_id}/likes", body, {})
    assert (status, answer) == (200, {"meta": {"code": 200}, "data": None})
    assert media_id in world.liked_media(me)
    target = public_stranger(world)
    status, answer = _raw_post(
        client.emulator,
        f"/users/{target}/relationship",
        urlencode({"access_token": client.token, "action": "follow"}),
        {},
    )
    assert answer["data"] == {"outgoing_status": "follows"}


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded; charset=UTF-8", "Application/X-WWW-Form-URLEncoded"]
)
def test_form_content_types_are_read_whatever_their_spelling(client: Client, world: World, content_type: str) -> None:
    target = public_stranger(world)
    body = urlencode({"access_token": client.token, "action": "follow"})
    status, answer = _raw_post(client.emulator, f"/users/{target}/relationship", body, {"Content-Type": content_type})
    assert (status, answer["data"]) == (200, {"outgoing_status": "follows"})


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x"])
def test_bodies_of_other_content_types_are_not_read_as_forms(client: Client, world: World, content_type: str) -> None:
    """docs/api.md §1: POST bodies are form-urlencoded; a body declared as something else is ignored."""
    target = public_stranger(world)
    body = urlencode({"access_token": client.token, "action": "follow"})
    status, answer = _raw_post(client.emulator, f"/users/{target}/relationship", body, {"Content-Type": content_type})
    assert status == 400
    assert answer["meta"]["error_message"] == "Missing access_token URL parameter."
    assert world.relationship(world.default_user_id, target)["outgoing_status"] == "none"


def test_json_suffix_trailing_slash_and_self(client: Client, me: str) -> None:
    reference = client.ok("/users/self/media/recent", count=1)
    for path in ("/users/self/media/recent.json", "/users/self/media/recent/", f"/users/{me}/media/recent.json"):
        body = client.ok(path, count=1)
        assert body["data"] == reference["data"], path
        assert body["pagination"]["next_max_id"] == reference["pagination"]["next_max_id"]
        assert urlsplit(body["pagination"]["next_url"]).path == "/v1" + path, "next_url repeats the path as sent"


def test_ids_and_timestamps_are_strings(client: Client) -> None:
    media = client.ok("/users/self/feed")["data"]
    for item in media:
        assert isinstance(item["id"], str) and isinstance(item["user"]["id"], str)
        assert item["created_time"].isdigit()
        if item["caption"]:
            assert item["caption"]["created_time"].isdigit() and isinstance(item["caption"]["id"], str)


def test_headers(client: Client, world: World) -> None:
    response = client.get("/users/self")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Date"] == formatdate(world.now, usegmt=True)
    client.emulator.advance(3 * 86400, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    assert client.get("/users/self").headers["Date"] == formatdate(world.now, usegmt=True)


def test_jsonp_callback(client: Client) -> None:
    response = client.get("/users/self", callback="handle")
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.content == b"handle(" + client.get("/users/self").content + b");"
    assert client.get("/users/self", callback="alert(1)//").json()["meta"]["error_type"] == "APIInvalidParametersError"


def test_unknown_routes_get_an_html_404(client: Client, world: World) -> None:
    media_id = world.media_ids_of_user(world.default_user_id)[0]
    shortcode = world.media(media_id)["link"].rstrip("/").rsplit("/", 1)[1]
    for response in (
        client.get("/users/self/friends"),
        client.get(f"/media/shortcode/{shortcode}.json"),  # the real server refused the suffix here
        client.post("/users/self"),
        client.session.get(client.emulator.root_url + "/v2/users/self"),
    ):
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert "X-Ratelimit-Remaining" in response.headers
    assert client.emulator.stats.by_endpoint["unknown"] == 4


def test_direct_world_changes_are_seen_at_once(client: Client, world: World, me: str) -> None:
    media_id = next(m for m in world.feed(me) if m not in world.liked_media(me))
    likes = world.media(media_id)["likes"]["count"]
    assert client.ok(f"/media/{media_id}")["data"]["likes"]["count"] == likes
    world.like(me, media_id)
    assert client.ok(f"/media/{media_id}")["data"]["likes"]["count"] == likes + 1
    assert client.ok("/users/self/media/liked")["data"][0]["id"] == media_id


def test_an_internal_error_answers_500_without_leaking(
    client: Client, world: World, me: str, monkeypatch, capfd
) -> None:
    def broken(media_id: str) -> dict:
        raise RuntimeError(client.token)  # an exception message holding a secret

    monkeypatch.setattr(world, "media", broken)
    response = client.get("/users/self/feed")
    assert response.status_code == 500
    assert client.get("/users/self").status_code == 200, "the server keeps serving"
    logged = capfd.readouterr().err
    assert "RuntimeError" in logged and "transport.py" in logged, "the log says what and where"
    assert client.token not in logged, "but never the message"
