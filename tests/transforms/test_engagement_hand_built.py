"""Engagement tables on a hand-built world: owner o, followers f1..f3, outsider x."""

from __future__ import annotations

from datetime import date

import pytest

from tests.transforms.conftest import Warehouse, at


def media_row(
    media_id: str, created_days: float, likes: int, comments: int, location=None, observed_days: float = 3
) -> dict:
    return {
        "id": media_id,
        "user_id": "o",
        "type": "image",
        "created_time": at(created_days),
        "likes_count": likes,
        "comments_count": comments,
        "location_id": location,
        "observed_at": at(observed_days),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("engagement") / "instagram.duckdb")
    warehouse.write_follow_edges([("f1", "o"), ("f2", "o"), ("f3", "o"), ("o", "f1")], at(0))
    warehouse.write_raw(
        "users", [{"id": u, "username": f"user_{u}", "observed_at": at(0)} for u in ("o", "f1", "f2", "f3", "x")]
    )
    # o's follower counts: Feb 19 (90), Feb 29 (100), Mar 2 00:00 (110), Mar 2 12:00 (115), Mar 4 (112)
    warehouse.write_raw(
        "user_counts",
        [
            {"snapshot_key": f"o:{days}", "user_id": "o", "observed_at": at(days), "followed_by_count": n}
            for days, n in ((-10, 90), (-1, 100), (1, 110), (1.5, 115), (3, 112))
        ],
    )
    warehouse.write_raw(
        "media",
        [
            media_row("m1", 0, likes=10, comments=2, location="L1", observed_days=1),  # Mar 1 00:00
            media_row("m2", 2, likes=4, comments=1, location="L1"),  # Mar 3 00:00
            media_row("m3", 2.75, likes=0, comments=0),  # Mar 3 18:00
        ],
    )
    warehouse.write_raw("locations", [{"id": "L1", "name": "Beach", "latitude": 1.0, "longitude": 2.0}])
    warehouse.write_raw(
        "media_tags",
        [
            {"media_id": m, "tag": t}
            for m, t in (("m1", "sun"), ("m1", "Sea"), ("m2", "sun"), ("m3", "sun"), ("m3", "sea"), ("m3", "sky"))
        ],
    )
    warehouse.write_raw(
        "likes",
        [
            {"like_key": f"{m}:{u}", "media_id": m, "user_id": u, "observed_at": at(3)}
            for m, u in (("m1", "f1"), ("m1", "x"), ("m1", "o"), ("m2", "f1"))
        ],
    )
    warehouse.write_raw(
        "comments",
        [
            {"id": "c1", "media_id": "m1", "from_user_id": "f2", "created_time": at(0, hours=1)},
            {"id": "c2", "media_id": "m1", "from_user_id": "f2", "created_time": at(0, hours=2)},
            {"id": "c3", "media_id": "m2", "from_user_id": "x", "created_time": at(2, hours=1)},
        ],
    )
    warehouse.write_raw(
        "media_counts",
        [
            {"snapshot_key": f"{m}:{d}", "media_id": m, "observed_at": at(d), "likes_count": n, "comments_count": 0}
            for m, d, n in (("m1", 1 / 24, 3), ("m1", 1, 8), ("m1", 1.25, 10), ("m2", 2 + 2 / 24, 1), ("m2", 3, 4))
        ],
    )
    warehouse.transform()
    return warehouse


def test_media_engagement_against_followers_when_posted(world: Warehouse) -> None:
    media = world.by_key("media_engagement", "media_id")
    # m1 posted Mar 1 00:00: snapshots Feb 29 (100) and Mar 2 (110) are a day away: earlier wins.
    # m2 posted Mar 3 00:00: Mar 2 12:00 (115) is 12 h away. m3, Mar 3 18:00: Mar 4 (112), 6 h.
    assert {m: r["owner_followers"] for m, r in media.items()} == {"m1": 100, "m2": 115, "m3": 112}
    rates = {m: r["engagement_rate_by_followers"] for m, r in media.items()}
    assert rates == pytest.approx({"m1": 12 / 100, "m2": 5 / 115, "m3": 0.0})
    assert (media["m1"]["likers_loaded"], media["m1"]["comments_loaded"], media["m1"]["unique_commenters"]) == (3, 2, 1)


def test_user_engagement_as_owner_and_actor(world: Warehouse) -> None:
    users = world.by_key("user_engagement", "user_id")
    owner = users["o"]
    assert (owner["posts"], owner["likes_received"], owner["comments_received"]) == (3, 14, 3)
    assert owner["mean_likes_per_post"] == pytest.approx(14 / 3)
    assert owner["median_likes_per_post"] == 4  # likes 10, 4, 0
    assert (owner["mean_comments_per_post"], owner["median_comments_per_post"]) == (1, 1)
    assert owner["followers"] == 112
    assert owner["engagement_rate_by_followers"] == pytest.approx((17 / 3) / 112)
    assert owner["mean_days_between_posts"] == pytest.approx(2.75 / 2)
    # f1, f2 and x engaged with o's media; f1 and f2 follow o
    assert (owner["distinct_engagers"], owner["engagers_following"]) == (3, 2)
    # self-likes are not engagement given: o liked m1 but gives nothing
    given = {u: (r["likes_given"], r["comments_given"], r["distinct_owners_engaged"]) for u, r in users.items()}
    assert given == {"o": (0, 0, 0), "f1": (2, 0, 1), "f2": (0, 2, 1), "x": (1, 1, 1)}


def test_interactions_top_fans_and_ghost_followers(world: Warehouse) -> None:
    edges = {r["actor_id"]: r for r in world.rows("interaction_edges")}
    assert {
        a: (r["likes_given"], r["comments_given"], r["actor_follows_owner"], r["owner_follows_actor"])
        for a, r in edges.items()
    } == {"f1": (2, 0, True, True), "f2": (0, 2, True, False), "x": (1, 1, False, False)}
    # all three gave 2 interactions: more comments rank first
    fans = world.rows("top_fans", "owner_id, fan_rank")
    assert [(f["fan_rank"], f["actor_id"]) for f in fans] == [(1, "f2"), (2, "x"), (3, "f1")]
    ghosts = world.rows("ghost_followers")
    assert [(g["owner_id"], g["follower_id"]) for g in ghosts] == [("o", "f3")]


def test_daily_engagement(world: Warehouse) -> None:
    days = {r["day"]: r for r in world.rows("daily_engagement") if r["owner_id"] == "o"}
    got = {
        d: (r["new_media"], r["likes_gained"], r["comments_received"], r["followers_end_of_day"], r["follower_delta"])
        for d, r in days.items()
    }
    assert got == {
        date(2016, 2, 20): (0, 0, 0, 90, None),
        date(2016, 2, 29): (0, 0, 0, 100, 10),
        date(2016, 3, 1): (1, 0, 2, None, None),  # m1's first counter snapshot has no baseline
        date(2016, 3, 2): (0, 7, 0, 115, 15),  # m1: 3 -> 8 -> 10
        date(2016, 3, 3): (2, 0, 1, None, None),
        date(2016, 3, 4): (0, 3, 0, 112, -3),  # m2: 1 -> 4
    }
    history = world.rows("media_engagement_history", "media_id, observed_at")
    assert [(h["media_id"], h["likes_delta"]) for h in history] == [
        ("m1", None),
        ("m1", 5),
        ("m1", 2),
        ("m2", None),
        ("m2", 3),
    ]


def test_follower_growth(world: Warehouse) -> None:
    o = world.by_key("user_graph_metrics", "user_id")["o"]
    # latest (Mar 4) 112; newest snapshot at least 7 days older: Feb 19 (90); none 30 days older
    assert (o["followers_reported"], o["follower_growth_7d"], o["follower_growth_30d"]) == (112, 22, None)


def test_tag_and_location_engagement(world: Warehouse) -> None:
    tags = world.by_key("tag_engagement", "tag")
    # engagement: m1 12, m2 5, m3 0; tags are lower-cased
    assert {
        t: (
            r["media"],
            r["distinct_authors"],
            r["total_engagement"],
            r["median_engagement_per_media"],
            r["top_media_id"],
            r["top_cooccurring_tag"],
            r["top_cooccurring_tag_media"],
        )
        for t, r in tags.items()
    } == {
        "sun": (3, 1, 17, 5, "m1", "sea", 2),
        "sea": (2, 1, 12, 6, "m1", "sun", 2),
        "sky": (1, 1, 0, 0, "m3", "sea", 1),
    }
    (beach,) = world.rows("location_engagement")
    assert (
        beach["location_name"],
        beach["media"],
        beach["total_engagement"],
        beach["median_engagement_per_media"],
        beach["top_media_id"],
    ) == ("Beach", 2, 17, 8.5, "m1")
    # L1's media: m1 (sun, sea) and m2 (sun)
    assert (beach["top_cooccurring_tag"], beach["top_cooccurring_tag_media"]) == ("sun", 2)


def test_engagement_measures_say_how_old_their_counters_are(world: Warehouse) -> None:
    # m1's counters were read on Mar 2, m2's and m3's on Mar 4
    owner = world.by_key("user_engagement", "user_id")["o"]
    sky, sun = (world.by_key("tag_engagement", "tag")[tag] for tag in ("sky", "sun"))
    (beach,) = world.rows("location_engagement")
    assert [
        (row["oldest_counters_observed_at"], row["latest_counters_observed_at"]) for row in (owner, sun, sky, beach)
    ] == [(at(1), at(3)), (at(1), at(3)), (at(3), at(3)), (at(1), at(3))]


def test_ghosts_only_where_likes_or_comments_were_loaded(warehouse: Warehouse) -> None:
    # o's m1 had its likers read; p's m2 was found in a tag feed (counters only, no likers read):
    # p's followers' engagement is unknown, so none of them is listed as a ghost
    warehouse.write_follow_edges([("f1", "o"), ("f2", "o"), ("f1", "p"), ("f2", "p")], at(0))
    warehouse.write_raw(
        "media",
        [
            {"id": "m1", "user_id": "o", "created_time": at(0), "likes_count": 1, "comments_count": 0},
            {"id": "m2", "user_id": "p", "created_time": at(0), "likes_count": 9, "comments_count": 4},
        ],
    )
    warehouse.write_raw("likes", [{"like_key": "m1:f1", "media_id": "m1", "user_id": "f1"}])
    warehouse.transform()
    ghosts = warehouse.rows("ghost_followers", "owner_id, follower_id")
    assert [(g["owner_id"], g["follower_id"]) for g in ghosts] == [("o", "f2")]
