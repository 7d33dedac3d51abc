"""advance(): time moves, the batch of changes is applied, counted and reproducible."""

import json
import threading

import pytest

from emulator.world import World

from .checks import assert_consistent
from .conftest import SMALL


def test_advance_applies_the_requested_changes(world):
    before_edges = set(world.follow_edges())
    start = world.now
    summary = world.advance(3600, new_media=5, new_follows=7, unfollows=4, new_likes=9, new_comments=3)
    assert world.now == start + 3600 == summary["to"] and summary["from"] == start
    assert len(summary["new_media"]) == 5 and len(summary["new_follows"]) == 7
    assert len(summary["unfollows"]) == 4 and len(summary["new_likes"]) == 9
    assert len(summary["new_comments"]) == 3

    edges = set(world.follow_edges())
    assert edges == (before_edges | set(summary["new_follows"])) - set(summary["unfollows"])
    for requester, target in summary["new_requests"]:
        assert world.is_private(target) and requester in world.requested_by(target)
    for mid in summary["new_media"]:
        media = world.media(mid)
        assert start < int(media["created_time"]) <= world.now
        assert mid in world.media_ids_of_user(media["user"]["id"])
        for tag in media["tags"]:
            if not world.is_private(media["user"]["id"]):
                assert mid in [m for _, m in world.tag_media(tag)]
    for follower, followed in summary["new_follows"]:
        assert world.follows(follower)[0] == followed or (follower, followed) in edges
    for uid, mid in summary["new_likes"]:
        assert uid in world.media_likers(mid)
    for mid, cid in summary["new_comments"]:
        comment = world.comment_object(mid, cid)
        assert start < int(comment["created_time"]) <= world.now
    assert_consistent(world)


def test_new_media_come_first_and_tag_cursors_only_grow(world):
    tags_before = {t: world.tag_media(t) for t in world.tag_names()}
    summary = world.advance(86400, new_media=20, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    newest = max(int(seq) for pairs in tags_before.values() for seq, _ in pairs)
    for tag, before in tags_before.items():
        after = world.tag_media(tag)
        added = after[: len(after) - len(before)]
        assert after[len(added) :] == before
        assert all(int(seq) > newest for seq, _ in added)
    for mid in summary["new_media"]:
        # the owner's newest media is one of this batch
        assert world.media_ids_of_user(world.media_owner_id(mid))[0] in summary["new_media"]
    located = [m for m in summary["new_media"] if world.media(m)["location"]]
    assert located
    public = [m for m in located if not world.is_private(world.media_owner_id(m))]
    for mid in located:
        listed = mid in world.location_media(world.media(mid)["location"]["id"])
        assert listed == (mid in public)


def test_default_amounts_scale_with_time(world):
    day = world.advance(86400)
    week = world.advance(7 * 86400)
    for key in ("new_media", "new_follows", "new_likes"):
        assert len(week[key]) > len(day[key]) > 0, key
    assert_consistent(world)


def test_same_calls_give_the_same_world():
    def run() -> str:
        world = World(SMALL)
        summaries = [world.advance(86400), world.advance(600, new_comments=5), world.advance(0)]
        me = world.default_user_id
        return json.dumps(
            [summaries, world.follow_edges(), world.feed(me), [world.media(m) for m in world.feed(me)[:50]]]
        )

    assert run() == run()


def test_clock_does_not_go_back(world):
    with pytest.raises(ValueError):
        world.advance(-1)
    with pytest.raises(ValueError):
        world.advance(10, new_media=-1)


def test_reads_while_another_thread_advances(world):
    """The world's lock keeps readers from seeing half-applied batches."""
    errors = []

    def advance() -> None:
        try:
            for _ in range(15):
                world.advance(3600, new_media=10, new_follows=20, unfollows=10, new_likes=20, new_comments=5)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    writer = threading.Thread(target=advance)
    writer.start()
    while writer.is_alive():
        world.follow_edges()
        for uid in world.user_ids()[:50]:
            for mid in world.feed(uid)[:5]:
                world.media(mid)
    writer.join()
    assert not errors
    assert_consistent(world)
