"""Writes change the world, later reads see them, and counts stay equal to lists."""

import pytest

from emulator.world import NotAllowedError

from .checks import assert_consistent


def _public_stranger(world, viewer):
    """A public user that `viewer` does not follow and that does not follow `viewer`."""
    follows, followers = set(world.follows(viewer)), set(world.followed_by(viewer))
    return next(
        u
        for u in world.user_ids()
        if u != viewer and not world.is_private(u) and u not in follows and u not in followers
    )


def _private_stranger(world, viewer):
    follows = set(world.follows(viewer))
    return next(
        u for u in world.user_ids() if world.is_private(u) and u not in follows and viewer not in world.requested_by(u)
    )


def test_follow_public_user_then_unfollow(world):
    me = world.default_user_id
    target = _public_stranger(world, me)
    before = world.user(target)["counts"]["followed_by"]
    newest_seq = max(seq for seq, _ in world.follows_with_seq(me))

    assert world.follow(me, target)["outgoing_status"] == "follows"
    assert world.follows(me)[0] == target and world.followed_by(target)[0] == me
    assert world.follows_with_seq(me)[0][0] > newest_seq
    assert world.user(target)["counts"]["followed_by"] == before + 1
    assert world.relationship(target, me)["incoming_status"] == "followed_by"
    assert (me, target) in world.follow_edges()

    assert world.unfollow(me, target)["outgoing_status"] == "none"
    assert target not in world.follows(me)
    assert world.user(target)["counts"]["followed_by"] == before
    assert_consistent(world)


def test_follow_private_user_is_a_request_until_approved(world):
    me = world.default_user_id
    target = _private_stranger(world, me)
    relationship = world.follow(me, target)
    assert relationship == {
        "outgoing_status": "requested",
        "incoming_status": relationship["incoming_status"],
        "target_user_is_private": True,
    }
    assert world.requested_by(target)[0] == me and target not in world.follows(me)
    assert world.relationship(target, me)["incoming_status"] == "requested_by"

    assert world.approve(target, me)["incoming_status"] == "followed_by"
    assert me not in world.requested_by(target) and world.follows(me)[0] == target
    with pytest.raises(NotAllowedError):
        world.approve(target, me)  # nothing pending any more
    assert_consistent(world)


def test_ignore_drops_the_request(world):
    me = world.default_user_id
    target = _private_stranger(world, me)
    world.follow(me, target)
    world.ignore(target, me)
    assert me not in world.requested_by(target)
    assert world.relationship(me, target)["outgoing_status"] == "none"


def test_block_removes_edges_both_ways_and_prevents_following(world):
    me = world.default_user_id
    friend = next(u for u in world.follows(me) if me in world.follows(u))
    assert world.block(me, friend)["incoming_status"] == "blocked_by_you"
    assert friend not in world.follows(me) and me not in world.follows(friend)
    with pytest.raises(NotAllowedError):
        world.follow(friend, me)
    with pytest.raises(NotAllowedError):
        world.follow(me, friend)
    world.unblock(me, friend)
    assert world.relationship(me, friend)["incoming_status"] == "none"
    assert world.follow(friend, me)["outgoing_status"] in {"follows", "requested"}
    assert_consistent(world)


def test_cannot_follow_oneself_and_unknown_users_raise_key_error(world):
    me = world.default_user_id
    with pytest.raises(NotAllowedError):
        world.follow(me, me)
    with pytest.raises(KeyError):
        world.follow(me, "0")


def test_like_and_unlike(world):
    me = world.default_user_id
    mid = next(m for u in world.user_ids() if u != me for m in world.media_ids_of_user(u) if not world.has_liked(me, m))
    count = world.media(mid)["likes"]["count"]
    world.like(me, mid)
    world.like(me, mid)  # liking twice is one like
    assert world.has_liked(me, mid) and world.media_likers(mid)[0] == me
    assert world.media(mid)["likes"]["count"] == count + 1
    assert world.liked_media(me)[0] == mid
    world.unlike(me, mid)
    assert not world.has_liked(me, mid) and mid not in world.liked_media(me)
    assert world.media(mid)["likes"]["count"] == count
    with pytest.raises(KeyError):
        world.like(me, "1_1")


def test_comment_and_delete_rules(world):
    me = world.default_user_id
    other = _public_stranger(world, me)
    mine = world.media_ids_of_user(me)[0]
    theirs = world.media_ids_of_user(
        next(u for u in world.user_ids() if u not in (me, other) and world.media_ids_of_user(u))
    )[0]
    count = world.media(theirs)["comments"]["count"]

    comment = world.comment(me, theirs, "Lovely #sunset")
    assert comment["text"] == "Lovely #sunset" and comment["from"]["id"] == me
    assert comment["created_time"] == str(world.now)
    assert world.media_comments(theirs)[-1] == comment == world.comment_object(theirs, comment["id"])
    assert world.media(theirs)["comments"]["count"] == count + 1

    by_other_on_mine = world.comment(other, mine, "nice")
    by_other_elsewhere = world.comment(other, theirs, "hello")
    with pytest.raises(NotAllowedError):
        world.delete_comment(me, theirs, by_other_elsewhere["id"])
    world.delete_comment(me, mine, by_other_on_mine["id"])  # my media: allowed
    world.delete_comment(me, theirs, comment["id"])  # my comment: allowed
    assert world.media(theirs)["comments"]["count"] == count + 1
    assert comment not in world.media_comments(theirs)
    with pytest.raises(KeyError):
        world.delete_comment(me, theirs, comment["id"])  # already gone
    with pytest.raises(KeyError):
        world.delete_comment(me, mine, by_other_elsewhere["id"])  # not a comment of that media
    with pytest.raises(ValueError):
        world.comment(me, mine, "   ")
    assert_consistent(world)


def test_cached_lists_change_after_writes(world):
    me = world.default_user_id
    target = _public_stranger(world, me)
    feed = world.feed(me)
    assert world.feed(me) is feed  # cached while nothing changes
    world.follow(me, target)
    assert set(world.feed(me)) == set(feed) | set(world.media_ids_of_user(target))
