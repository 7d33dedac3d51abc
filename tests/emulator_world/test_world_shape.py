"""The generated world: deterministic, consistent, shaped like the API's objects, realistic."""

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from emulator.world import World, WorldConfig

from .checks import assert_consistent
from .conftest import SMALL

ROOT = Path(__file__).resolve().parents[2]


def _fingerprint(world: World) -> str:
    """Everything a client could read, as one JSON string."""
    users = world.user_ids()
    media = [m for uid in users for m in world.media_ids_of_user(uid)]
    return json.dumps(
        {
            "now": world.now,
            "default": world.default_user_id,
            "users": [world.user(u) for u in users],
            "edges": world.follow_edges(),
            "requests": {u: world.requested_by(u) for u in users},
            "media": [world.media(m) for m in media],
            "likers": [world.media_likers(m) for m in media],
            "comments": [world.media_comments(m) for m in media],
            "tags": {t: world.tag_media(t) for t in world.tag_names()},
            "locations": [world.location(lid) for lid in world.location_ids()],
            "token": world.token_for(world.default_user_id),
        },
        sort_keys=True,
    )


def test_same_config_gives_the_same_world_and_another_seed_does_not():
    first, second = World(SMALL), World(SMALL)
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(World(WorldConfig(seed=SMALL.seed + 1, users=SMALL.users))) != _fingerprint(first)


def test_world_is_the_same_in_another_process(shared_world):
    """Nothing depends on the process: not the hash seed, not the date."""
    script = (
        "import hashlib, sys; from emulator.world import World; "
        "from tests.emulator_world.conftest import SMALL; "
        "from tests.emulator_world.test_world_shape import _fingerprint; "
        "sys.stdout.write(hashlib.sha256(_fingerprint(World(SMALL)).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"}
    other = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    assert other == hashlib.sha256(_fingerprint(shared_world).encode()).hexdigest()


def test_clock_starts_at_the_configured_instant():
    world = World(WorldConfig(seed=1, users=50))
    assert world.now == world.config.start == 1496275200  # 2017-06-01T00:00:00Z


def test_counts_equal_lists(shared_world):
    assert_consistent(shared_world)


def test_ids_and_objects_have_the_api_shapes(shared_world):
    world = shared_world
    user_keys = {"id", "username", "full_name", "profile_picture", "bio", "website", "is_business", "counts"}
    for uid in world.user_ids():
        assert uid.isdigit()
        assert set(world.user(uid)) == user_keys
        assert set(world.user_short(uid)) == {"id", "username", "full_name", "profile_picture"}
    usernames = [world.user(uid)["username"] for uid in world.user_ids()]
    assert len(set(usernames)) == len(usernames)

    seen_types = Counter()
    for uid in world.user_ids():
        for mid in world.media_ids_of_user(uid):
            media = world.media(mid)
            seen_types[media["type"]] += 1
            assert re.fullmatch(rf"\d+_{uid}", mid) and media["id"] == mid
            assert media["created_time"].isdigit()
            assert media["attribution"] is None and "user_has_liked" not in media
            assert set(media["comments"]) == {"count"} and set(media["likes"]) == {"count"}
            shortcode = re.fullmatch(r"https://www\.instagram\.com/p/([A-Za-z0-9_-]+)/", media["link"]).group(1)
            assert world.media_id_by_shortcode(shortcode) == mid
            assert set(media["images"]) == {"thumbnail", "low_resolution", "standard_resolution"}
            assert ("videos" in media) == (
                media["type"] == "video"
                or (media["type"] == "carousel" and media["carousel_media"][0]["type"] == "video")
            )
            if media["type"] == "carousel":
                assert 2 <= len(media["carousel_media"]) <= 5
                assert media["images"] == media["carousel_media"][0]["images"]
            if media["caption"] is None:
                assert media["tags"] == []
            else:
                assert media["caption"]["from"] == world.user_short(uid)
                hashtags = re.findall(r"#(\w+)", media["caption"]["text"])
                assert sorted(hashtags) == sorted(media["tags"])
            for tagged in media["users_in_photo"]:
                assert tagged["user"]["id"] in world.follows(uid)
                assert 0 < tagged["position"]["x"] < 1 and 0 < tagged["position"]["y"] < 1
            if media["location"] is not None:
                assert world.location(media["location"]["id"]) == media["location"]
            for comment in world.media_comments(mid):
                assert set(comment) == {"id", "text", "created_time", "from"}
                assert int(comment["created_time"]) >= int(media["created_time"])
                assert int(comment["created_time"]) < world.now
    assert set(seen_types) == {"image", "video", "carousel"}
    assert seen_types["image"] > seen_types["video"] > 0


def test_unknown_ids_raise_key_error(shared_world):
    world = shared_world
    uid = world.default_user_id
    mid = world.media_ids_of_user(uid)[0]
    for call, arg in [
        (world.user, "1"),
        (world.user_short, "nobody"),
        (world.media, "1_1"),
        (world.media, mid.replace("_", "_9")),
        (world.media, "garbage"),
        (world.media_id_by_shortcode, "!!"),
        (world.tag, "no-such-tag"),
        (world.location, "0"),
        (world.geography_media, "0"),
        (world.media_likers, mid + "0"),
    ]:
        try:
            call(arg)
        except KeyError:
            continue
        raise AssertionError(f"{call.__name__}({arg!r}) did not raise KeyError")


def test_follower_counts_are_heavy_tailed_and_often_reciprocal():
    world = World(WorldConfig(seed=3, users=3000))
    followers = np.array([world.user(u)["counts"]["followed_by"] for u in world.user_ids()])
    top_share = np.sort(followers)[::-1][: len(followers) // 100].sum() / followers.sum()
    assert followers.max() >= 15 * max(np.median(followers), 1)
    assert top_share >= 0.08  # the top 1% hold many times their share
    edges = set(world.follow_edges())
    reciprocal = sum((b, a) in edges for a, b in edges) / len(edges)
    assert 0.2 <= reciprocal <= 0.7
    mean_follows = len(edges) / len(followers)
    assert 0.7 * world.config.follows_per_user <= mean_follows <= 1.2 * world.config.follows_per_user


def test_communities_are_planted(shared_world):
    world = shared_world
    community = {u: world.community(u) for u in world.user_ids()}
    edges = world.follow_edges()
    inside = sum(community[a] == community[b] for a, b in edges) / len(edges)
    sizes = np.array(list(Counter(community.values()).values())) / len(community)
    assert inside >= 0.7
    assert inside >= 2 * (sizes**2).sum()  # far above what random follows would give


def test_private_accounts_have_pending_requests_and_default_user_is_public(shared_world):
    world = shared_world
    private = [u for u in world.user_ids() if world.is_private(u)]
    assert 0.05 * len(world.user_ids()) <= len(private) <= 0.25 * len(world.user_ids())
    assert sum(len(world.requested_by(u)) for u in private) > 0
    default = world.default_user_id
    assert not world.is_private(default)
    counts = world.user(default)["counts"]
    median_follows = np.median([world.user(u)["counts"]["follows"] for u in world.user_ids()])
    assert counts["follows"] > median_follows and counts["followed_by"] > 0 and counts["media"] > 0


def test_likes_come_mostly_from_followers(shared_world):
    world = shared_world
    from_followers = total = 0
    for uid in world.user_ids():
        followers = set(world.followed_by(uid))
        for mid in world.media_ids_of_user(uid):
            likers = world.media_likers(mid)
            assert uid not in likers
            from_followers += sum(liker in followers for liker in likers)
            total += len(likers)
    assert total > 0 and from_followers / total >= 0.6


def test_tags_follow_a_skewed_vocabulary(shared_world):
    world = shared_world
    counts = sorted((world.tag(t)["media_count"] for t in world.tag_names()), reverse=True)
    assert counts[0] >= 10 * max(counts[len(counts) // 2], 1)


def test_lists_are_newest_first_and_agree(shared_world):
    world = shared_world
    created = lambda mid: int(world.media(mid)["created_time"])  # noqa: E731
    uid = world.default_user_id
    feed = world.feed(uid)
    expected = {m for owner in [uid, *world.follows(uid)] for m in world.media_ids_of_user(owner)}
    assert set(feed) == expected and len(feed) == len(expected)
    assert [created(m) for m in feed] == sorted((created(m) for m in feed), reverse=True)
    for lid in world.location_ids():
        media = world.location_media(lid)
        assert all(world.media(m)["location"]["id"] == lid for m in media)
        assert [created(m) for m in media] == sorted((created(m) for m in media), reverse=True)
    located = sum(len(world.location_media(lid)) for lid in world.location_ids())
    assert sum(len(world.geography_media(g)) for g in world.geography_ids()) == located > 0
    private_media = {m for u in world.user_ids() if world.is_private(u) for m in world.media_ids_of_user(u)}
    discoverable = [m for lid in world.location_ids() for m in world.location_media(lid)]
    discoverable += [m for t in world.tag_names() for _, m in world.tag_media(t)]
    assert private_media and not private_media.intersection(discoverable)
    for mid in world.popular():
        assert not world.is_private(world.media_owner_id(mid))
    likes = [world.media(m)["likes"]["count"] for m in world.popular()]
    assert likes and likes == sorted(likes, reverse=True)
    liked = Counter(m for u in world.user_ids() for m in world.liked_media(u))
    assert all(liked[m] == len(world.media_likers(m)) for m in liked)
