"""Every resource loads what the world holds (checked against the world, not the source)."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator import Emulator, World
from emulator.paging import MEDIA_COUNT
from emulator.routes import LEGACY_INLINE_LIKES, MEDIA_SEARCH_WINDOW

from .conftest import Loader, only


def _ts(value: str) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def test_user_media_profiles_and_engagement(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    other = max((u for u in world.user_ids() if not world.is_private(u)), key=lambda u: len(world.media_ids_of_user(u)))
    # small pages, so that paging is exercised
    loader.run(emulator, user_ids=["self", other], media_page_size=4, **only("user_profiles", "user_media"))

    expected = world.media_ids_of_user(me) + world.media_ids_of_user(other)
    assert sorted(loader.column("SELECT id FROM media")) == sorted(expected)
    media = {
        r[0]: r
        for r in loader.rows(
            "SELECT id, user_id, type, created_time, likes_count, comments_count, caption_text, location_id, shortcode FROM media"
        )
    }
    for mid in expected:
        truth = world.media(mid)
        assert media[mid][1:] == (
            truth["user"]["id"],
            truth["type"],
            _ts(truth["created_time"]),
            truth["likes"]["count"],
            truth["comments"]["count"],
            (truth["caption"] or {}).get("text"),
            (truth["location"] or {}).get("id"),
            truth["link"].rstrip("/").rsplit("/", 1)[-1],
        )
    tags = sorted(loader.rows("SELECT media_id, tag FROM media_tags"))
    assert tags == sorted((mid, t) for mid in expected for t in world.media(mid)["tags"])
    in_photo = sorted(loader.rows("SELECT media_id, user_id, position_x, position_y FROM media_users_in_photo"))
    assert in_photo == sorted(
        (mid, p["user"]["id"], p["position"]["x"], p["position"]["y"])
        for mid in expected
        for p in world.media(mid).get("users_in_photo") or []
    )
    carousel = sorted(loader.rows("SELECT media_id, position FROM media_carousel_items"))
    assert carousel == sorted(
        (mid, i) for mid in expected for i, _ in enumerate(world.media(mid).get("carousel_media") or [])
    )

    # likes and comments: every liker and comment of every media
    likes = sorted(loader.rows("SELECT media_id, user_id FROM likes"))
    assert likes == sorted((mid, uid) for mid in expected for uid in world.media_likers(mid))
    comments = sorted(loader.rows("SELECT id, media_id, from_user_id, text FROM comments"))
    assert comments == sorted(
        (c["id"], mid, c["from"]["id"], c["text"]) for mid in expected for c in world.media_comments(mid)
    )

    # full profiles with counter snapshots; every user seen is in users
    for uid in (me, other):
        truth = world.user(uid)
        assert loader.rows(f"SELECT username, bio, website FROM users WHERE id = '{uid}'") == [
            (truth["username"], truth["bio"], truth["website"])
        ]
        assert loader.rows(
            f"SELECT media_count, follows_count, followed_by_count FROM user_counts WHERE user_id = '{uid}'"
        ) == [(truth["counts"]["media"], truth["counts"]["follows"], truth["counts"]["followed_by"])]
    seen = {u for _, u in likes} | {r[2] for r in comments} | {r[1] for r in in_photo}
    assert seen <= set(loader.column("SELECT id FROM users"))
    assert loader.column("SELECT count(*) - count(DISTINCT id) FROM users") == [0]


def test_self_lists_and_popular(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    for resource, truth in (
        ("feed", world.feed(me)),
        ("liked_media", world.liked_media(me)),
        ("popular_media", world.popular()),
    ):
        single = Loader(loader.root, resource)
        single.run(emulator, **only(resource))
        assert sorted(single.column("SELECT id FROM media")) == sorted(truth), resource


def test_tag_location_geography_feeds(world: World, emulator: Emulator, loader: Loader) -> None:
    tags = sorted(world.tag_names(), key=lambda t: -len(world.tag_media(t)))[:2]
    locations = sorted(world.location_ids(), key=lambda lid: -len(world.location_media(lid)))[:2]
    geographies = world.geography_ids()[:2]
    loader.run(
        emulator,
        tags=tags,
        location_ids=locations,
        geography_ids=geographies,
        **only("tag_media", "location_media", "geography_media"),
    )

    assert sorted(loader.rows("SELECT tag, media_id FROM tag_media")) == sorted(
        (t, mid) for t in tags for _, mid in world.tag_media(t)
    )
    assert sorted(loader.rows("SELECT name, media_count FROM tags")) == sorted(
        (t, world.tag(t)["media_count"]) for t in tags
    )
    assert sorted(loader.rows("SELECT location_id, media_id FROM location_media")) == sorted(
        (lid, mid) for lid in locations for mid in world.location_media(lid)
    )
    assert sorted(loader.rows("SELECT geography_id, media_id FROM geography_media")) == sorted(
        (gid, mid) for gid in geographies for mid in world.geography_media(gid)
    )
    for lid in locations:
        truth = world.location(lid)
        assert loader.rows(f"SELECT name, latitude, longitude FROM locations WHERE id = '{lid}'") == [
            (truth["name"], truth["latitude"], truth["longitude"])
        ]
    found = (
        {mid for t in tags for _, mid in world.tag_media(t)}
        | {mid for lid in locations for mid in world.location_media(lid)}
        | {mid for gid in geographies for mid in world.geography_media(gid)}
    )
    assert sorted(loader.column("SELECT id FROM media")) == sorted(found)


def test_follow_crawl(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    loader.run(emulator, crawl_depth=1, crawl_max_users=12, **only("follow_graph"))

    lists = loader.column("SELECT DISTINCT list_key FROM follow_edges")
    crawled = {key.split(":", 1)[1] for key in lists}
    assert me in crawled and len(crawled) <= 12
    # the frontier takes the nearest users first, then by id: self and its 11 neighbours with
    # the lowest ids (those whose lists were readable and not empty hold edges)
    neighbours = sorted(set(world.follows(me) + world.followed_by(me)))
    frontier = set(loader.column("SELECT entity_id FROM refresh_schedule WHERE kind = 'crawl' AND active"))
    assert frontier == {me, *neighbours[:11]}
    assert me in crawled and crawled <= frontier
    for key in lists:
        kind, uid = key.split(":", 1)
        truth = world.follows(uid) if kind == "follows" else world.followed_by(uid)
        edges = loader.rows(
            f"SELECT follower_id, followed_id FROM follow_edges WHERE list_key = '{key}' AND valid_to IS NULL"
        )
        expected = [(uid, o) for o in truth] if kind == "follows" else [(o, uid) for o in truth]
        assert sorted(edges) == sorted(expected), key
    for uid in crawled:
        assert loader.column(f"SELECT followed_by_count FROM user_counts WHERE user_id = '{uid}'") == [
            world.user(uid)["counts"]["followed_by"]
        ]
    # private users among the discovered are skipped and recorded
    private = {
        r[0] for r in loader.rows("SELECT entity_id FROM extraction_errors WHERE error_type = 'APINotAllowedError'")
    }
    assert all(world.is_private(u) for u in private)


def test_details_relationships_and_search(world: World, emulator: Emulator, loader: Loader) -> None:
    me = world.default_user_id
    some_media = [mids[0] for u in world.user_ids()[:40] if (mids := world.media_ids_of_user(u))][:3]
    shortcode = world.media(some_media[0])["link"].rstrip("/").rsplit("/", 1)[-1]
    private = next(u for u in world.user_ids() if world.is_private(u) and world.requested_by(u))
    emulator.add_token("private-user-token", private)
    others = [u for u in world.user_ids()[:6] if u != me]
    loc = world.location(world.location_ids()[0])
    world.advance(86400, new_media=300)  # recent located media, for the media search
    recent = [
        m
        for u in world.user_ids()
        for m in world.media_ids_of_user(u)[:2]
        if world.media(m)["location"] and int(world.media(m)["created_time"]) >= world.now - 86400
    ]
    spot = world.media(recent[0])["location"]
    user_query = world.user(others[0])["username"][:3]
    loader.run(
        emulator,
        access_token="private-user-token",
        user_ids=["self", *others],
        media_ids=some_media[1:],
        shortcodes=[shortcode],
        user_search_queries=[user_query],
        tag_search_queries=[world.tag_names()[0][:3]],
        location_search_points=[[loc["latitude"], loc["longitude"], 500]],
        media_search_points=[[spot["latitude"], spot["longitude"], 1000]],
        **only("media_details", "relationships", "search"),
    )
    assert set(some_media) <= set(loader.column("SELECT id FROM media"))
    relationships = dict(
        (r[0], r[1:])
        for r in loader.rows(
            "SELECT user_id, outgoing_status, incoming_status, target_user_is_private FROM relationships"
        )
    )
    expected_users = set(others) | set(world.requested_by(private))
    assert set(relationships) == expected_users
    for uid in expected_users:
        truth = world.relationship(private, uid)
        assert relationships[uid] == (
            truth["outgoing_status"],
            truth["incoming_status"],
            truth["target_user_is_private"],
        )
    found = loader.column("SELECT object_id FROM search_results WHERE kind = 'users' ORDER BY rank")
    assert found == world.search_users(user_query)[:50]
    found = loader.column("SELECT object_id FROM search_results WHERE kind = 'locations' ORDER BY rank")
    assert found == world.search_locations(loc["latitude"], loc["longitude"], 500)
    assert set(found) <= set(loader.column("SELECT id FROM locations"))
    found = loader.column("SELECT object_id FROM search_results WHERE kind = 'media' ORDER BY rank")
    now = world.now
    truth = [
        mid for mid, _ in world.search_media(spot["latitude"], spot["longitude"], 1000, now - MEDIA_SEARCH_WINDOW, now)
    ]
    assert truth and found == truth[: MEDIA_COUNT.maximum] and set(found) <= set(loader.column("SELECT id FROM media"))
    found = loader.column("SELECT object_id FROM search_results WHERE kind = 'tags' ORDER BY rank")
    assert found == world.search_tags(world.tag_names()[0][:3])


def test_legacy_era_inline_likes_and_comments(world: World, loader: Loader) -> None:
    """Legacy media carry a few likers and comments inline: complete lists are used as they
    are, partial ones are read from their endpoints."""
    me = world.default_user_id
    with Emulator(world, era="legacy") as emu:
        loader.run(emu, **only("user_media"))
        served = emu.stats.by_endpoint
    mids = world.media_ids_of_user(me)
    assert sorted(loader.rows("SELECT media_id, user_id FROM likes")) == sorted(
        (mid, uid) for mid in mids for uid in world.media_likers(mid)
    )
    assert sorted(loader.column("SELECT id FROM comments")) == sorted(
        c["id"] for mid in mids for c in world.media_comments(mid)
    )
    partial = sum(1 for mid in mids if len(world.media_likers(mid)) > LEGACY_INLINE_LIKES)
    assert served.get("GET /media/{id}/likes", 0) == partial


def test_crawl_on_a_server_that_serves_only_self_lists(world: World, loader: Loader) -> None:
    me = world.default_user_id
    with Emulator(world) as emu:  # 2016 era: follow lists of `self` only
        loader.run(emu, crawl_depth=2, crawl_max_users=30, workers=4, **only("follow_graph"))
        served = emu.stats.by_endpoint
    current = set(loader.rows("SELECT follower_id, followed_id FROM follow_edges WHERE valid_to IS NULL"))
    assert current == {(me, u) for u in world.follows(me)} | {(u, me) for u in world.followed_by(me)}
    refused = loader.column("SELECT count(*) FROM extraction_errors WHERE entity_kind = 'list'")[0]
    assert 1 <= refused <= 4  # at most one per worker, not one per crawled user
    assert served["GET /users/{id}/follows"] + served.get("GET /users/{id}/followed-by", 0) <= 2 + 4
    # the users found are still profiled: self's neighbours by id, up to the cap
    chosen = sorted(set(world.follows(me) + world.followed_by(me)))[:29]
    readable = {u for u in chosen if not world.is_private(u) or u in world.follows(me)}
    assert set(loader.column("SELECT user_id FROM user_counts")) == {me} | readable


def test_a_full_profile_is_not_overwritten_by_the_short_one_a_later_run_sees(
    world: World, emulator: Emulator, loader: Loader
) -> None:
    me = world.default_user_id
    followed = next(uid for uid in world.follows(me) if world.user(uid)["bio"] and not world.is_private(uid))
    loader.run(emulator, user_ids=[followed], **only("user_profiles"))
    # self's follows list shows `followed` with its short profile (no bio, no website)
    loader.run(emulator, user_ids=["self"], crawl_depth=0, **only("follow_graph"))
    assert followed in loader.column(f"SELECT followed_id FROM follow_edges WHERE list_key = 'follows:{me}'")
    truth = world.user(followed)
    assert loader.rows(f"SELECT bio, website FROM users WHERE id = '{followed}'") == [(truth["bio"], truth["website"])]
    # the warehouse knows who was profiled: no dlt state grows with the crawl
    assert "full_profiles" not in loader.pipeline().state["sources"]["instagram"]


def test_an_id_configured_twice_is_read_once(world: World, emulator: Emulator, loader: Loader) -> None:
    """A seed, tag or location listed twice (a copy-paste in the config) is one entity: read
    once, loaded once, and the run does not trip over its own queue."""
    user = max((u for u in world.user_ids() if not world.is_private(u)), key=lambda u: len(world.media_ids_of_user(u)))
    tag = max(world.tag_names(), key=lambda t: len(world.tag_media(t)))
    location = max(world.location_ids(), key=lambda lid: len(world.location_media(lid)))
    resources = only("user_profiles", "user_media", "tag_media", "location_media")
    config = {"media_page_size": 4, "engagement_from": ["user_media"], **resources}
    loader.run(emulator, user_ids=[user, user], tags=[tag, tag], location_ids=[location, location], **config)
    served_twice = emulator.stats.total

    expected = world.media_ids_of_user(user)
    likes = sorted(loader.rows("SELECT media_id, user_id FROM likes"))
    assert likes == sorted((mid, uid) for mid in expected for uid in world.media_likers(mid))
    assert loader.column("SELECT count(*) FROM user_counts") == [1]
    assert sorted(loader.rows("SELECT tag, media_id FROM tag_media")) == sorted(
        (tag, mid) for _, mid in world.tag_media(tag)
    )
    assert sorted(loader.rows("SELECT location_id, media_id FROM location_media")) == sorted(
        (location, mid) for mid in world.location_media(location)
    )
    assert not loader.rows("SELECT * FROM extraction_errors")

    once = Loader(loader.root, "once")
    once.run(emulator, user_ids=[user], tags=[tag], location_ids=[location], **config)
    assert once.tables() == loader.tables()
    assert emulator.stats.total - served_twice == served_twice  # the same requests as with each id once
