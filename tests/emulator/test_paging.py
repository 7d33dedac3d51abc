"""Pagination (docs/api.md §3.2): every family paged to the end equals the world's list, newer
items via min_id / min_tag_id, cursors that stay put while the world changes."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from emulator import World

from .helpers import Client, all_ids, busiest


def _families(world: World) -> dict[str, tuple[str, list[str], str]]:
    """path → (truth, the pagination key holding the cursor) for every paging family."""
    me = world.default_user_id
    location_id = busiest(list(world.location_ids()), world.location_media)
    geography_id = busiest(list(world.geography_ids()), world.geography_media)
    tag = world.tag_names()[0]
    public = [u for u in world.user_ids() if not world.is_private(u)]
    other = busiest(public, world.followed_by)
    poster = busiest(public, world.media_ids_of_user)
    return {
        f"/users/{poster}/media/recent": (world.media_ids_of_user(poster), "next_max_id"),
        "/users/self/feed": (world.feed(me), "next_max_id"),
        "/users/self/media/liked": (world.liked_media(me), "next_max_like_id"),
        f"/locations/{location_id}/media/recent": (world.location_media(location_id), "next_max_id"),
        f"/geographies/{geography_id}/media/recent": (world.geography_media(geography_id), "next_max_id"),
        f"/tags/{tag}/media/recent": ([mid for _, mid in world.tag_media(tag)], "next_max_tag_id"),
        "/users/self/follows": (world.follows(me), "next_cursor"),
        "/users/self/followed-by": (world.followed_by(me), "next_cursor"),
        f"/users/{other}/followed-by": (world.followed_by(other), "next_cursor"),
    }


def test_every_family_pages_to_the_end(serve, world: World) -> None:
    client = Client(serve(world, follows_any_user=True))
    for path, (truth, cursor_key) in _families(world).items():
        assert len(truth) > 7, f"{path}: too short a list to page"
        pages = client.pages(path, count=7, app="kept")
        assert all_ids(pages) == truth, path
        assert all(len(page["data"]) == 7 for page in pages[:-1])
        for page in pages[:-1]:
            pagination = page["pagination"]
            query = dict(parse_qsl(urlsplit(pagination["next_url"]).query))
            assert query["access_token"] == client.token and query["count"] == "7" and query["app"] == "kept"
            assert "sig" not in query
            assert pagination[cursor_key] in query.values(), "next_url carries the new cursor"
        assert "next_url" not in pages[-1]["pagination"], path


def test_id_cursor_is_the_last_item_and_exclusive(client: Client, world: World) -> None:
    truth = world.feed(world.default_user_id)
    first = client.ok("/users/self/feed", count=3)
    assert first["pagination"]["next_max_id"] == truth[2]
    following = client.ok("/users/self/feed", count=3, max_id=truth[2])
    assert [m["id"] for m in following["data"]] == truth[3:6]


def test_last_pages(client: Client, world: World) -> None:
    me = world.default_user_id
    media = world.media_ids_of_user(me)
    assert client.ok("/users/self/media/recent", count=len(media))["pagination"] == {}
    assert client.ok("/users/self/follows", count=len(world.follows(me)))["pagination"] == {}
    tag = world.tag_names()[0]
    tagged = world.tag_media(tag)
    last = client.ok(f"/tags/{tag}/media/recent", max_tag_id=tagged[-3][0])["pagination"]
    # no older page: no next_url / next_max_tag_id, but the newer-media cursor stays
    assert last["min_tag_id"] == last["next_min_id"] == tagged[-2][0]
    assert set(last) == {"min_tag_id", "next_min_id", "deprecation_warning"}
    assert client.ok(f"/tags/{tag}/media/recent", max_tag_id=tagged[-1][0])["pagination"] == {}


def test_tag_pagination_keys(client: Client, world: World) -> None:
    tag = world.tag_names()[0]
    tagged = world.tag_media(tag)
    pagination = client.ok(f"/tags/{tag}/media/recent", count=5)["pagination"]
    assert pagination["next_max_tag_id"] == pagination["next_max_id"] == tagged[4][0]
    assert pagination["min_tag_id"] == pagination["next_min_id"] == tagged[0][0]
    assert "deprecated" in pagination["deprecation_warning"]
    assert dict(parse_qsl(urlsplit(pagination["next_url"]).query))["max_tag_id"] == tagged[4][0]
    # the deprecated max_id still works like max_tag_id
    old_style = client.ok(f"/tags/{tag}/media/recent", count=5, max_id=tagged[4][0])
    assert [m["id"] for m in old_style["data"]] == [mid for _, mid in tagged[5:10]]


def test_cursors_beyond_either_end_give_an_empty_last_page(client: Client, world: World) -> None:
    feed = world.feed(world.default_user_id)
    for params in ({"min_id": feed[0]}, {"max_id": feed[-1]}, {"max_id": feed[3], "min_id": feed[2]}):
        body = client.ok("/users/self/feed", **params)
        assert (body["data"], body["pagination"]) == ([], {}), params
    tag = world.tag_names()[0]
    newest = world.tag_media(tag)[0][0]
    assert client.ok(f"/tags/{tag}/media/recent", min_tag_id=newest)["pagination"] == {}
    assert client.ok("/users/self/follows", cursor="0") == {"pagination": {}, "meta": {"code": 200}, "data": []}


@pytest.mark.parametrize(
    ("path", "default", "maximum"),
    [("/users/self/feed", 20, 33), ("/users/self/followed-by", 50, 50)],
)
def test_count_defaults_and_maxima(client: Client, path: str, default: int, maximum: int) -> None:
    assert len(client.ok(path)["data"]) == default
    assert len(client.ok(path, count=500)["data"]) == maximum
    assert len(client.ok(path, count=10**30)["data"]) == maximum
    assert len(client.ok(path, count=3)["data"]) == 3


def test_min_id_and_min_tag_id_fetch_only_newer_items(client: Client, world: World) -> None:
    me = world.default_user_id
    newest_before = world.feed(me)[0]
    tag = world.tag_names()[0]
    newest_tagging = world.tag_media(tag)[0][0]
    summary = client.emulator.advance(2 * 86400, new_media=400, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    new_in_feed = world.feed(me)[: world.feed(me).index(newest_before)]
    assert new_in_feed, "the advance added media to the feed"
    assert set(new_in_feed) <= set(summary["new_media"])
    newer = client.pages("/users/self/feed", count=5, min_id=newest_before)
    assert all_ids(newer) == new_in_feed
    new_tagged = [mid for seq, mid in world.tag_media(tag) if int(seq) > int(newest_tagging)]
    assert new_tagged, "the advance added media to the tag"
    assert all_ids(client.pages(f"/tags/{tag}/media/recent", count=5, min_tag_id=newest_tagging)) == new_tagged


def test_follow_cursors_are_stable_while_the_world_changes(serve, world: World) -> None:
    me = world.default_user_id
    client = Client(serve(world))
    first = client.ok("/users/self/followed-by", count=10)
    seen = [u["id"] for u in first["data"]]
    # between two requests: new followers arrive (in front), seen and unseen followers leave
    newcomers = [u for u in world.user_ids() if u != me and u not in world.followed_by(me) and not world.is_private(u)][
        :5
    ]
    for uid in newcomers:
        world.follow(uid, me)
    unseen = world.followed_by(me)[len(newcomers) + 12]
    for uid in (seen[3], unseen):
        world.unfollow(uid, me)
    following = client.session.get(first["pagination"]["next_url"], timeout=10).json()
    cursor = int(first["pagination"]["next_cursor"])
    expected = [uid for seq, uid in world.followed_by_with_seq(me) if seq < cursor][:10]
    assert [u["id"] for u in following["data"]] == expected
    assert expected[0] == world.followed_by(me)[world.followed_by(me).index(seen[-1]) + 1], "no gap"
    assert unseen not in expected and not set(expected) & set(seen), "no duplicate"


def test_media_cursors_survive_new_media(client: Client, world: World) -> None:
    me = world.default_user_id
    first = client.ok("/users/self/feed", count=10)
    before = world.feed(me)
    client.emulator.advance(86400, new_media=300, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    assert world.feed(me) != before
    following = client.session.get(first["pagination"]["next_url"], timeout=10).json()
    assert [m["id"] for m in following["data"]] == before[10:20]
