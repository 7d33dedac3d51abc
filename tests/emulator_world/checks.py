"""Invariants every state of a world must satisfy (used after builds, writes and advances)."""

from emulator.world import World


def assert_consistent(world: World) -> None:
    """Counts reported by objects equal the lists the world returns; lists are newest first."""
    edges = set(world.follow_edges())
    assert len(edges) == len(world.follow_edges()), "duplicate follow edges"
    follows_total = 0
    for uid in world.user_ids():
        counts = world.user(uid)["counts"]
        follows = world.follows(uid)
        assert counts["follows"] == len(follows) == len(set(follows))
        assert counts["followed_by"] == len(world.followed_by(uid))
        assert counts["media"] == len(world.media_ids_of_user(uid))
        assert all((uid, other) in edges for other in follows)
        for seq_list in (world.follows_with_seq(uid), world.followed_by_with_seq(uid)):
            seqs = [seq for seq, _ in seq_list]
            assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
        for requester in world.requested_by(uid):
            assert world.is_private(uid) and (requester, uid) not in edges
        times = [int(world.media(m)["created_time"]) for m in world.media_ids_of_user(uid)]
        assert times == sorted(times, reverse=True)
        follows_total += len(follows)
    assert follows_total == len(edges)
    for uid in world.user_ids():
        for mid in world.media_ids_of_user(uid):
            media = world.media(mid)
            assert media["user"]["id"] == uid
            likers = world.media_likers(mid)
            assert media["likes"]["count"] == len(likers) == len(set(likers))
            assert media["comments"]["count"] == len(world.media_comments(mid))
    for name in world.tag_names():
        tagged = world.tag_media(name)
        assert world.tag(name)["media_count"] == len(tagged)
        seqs = [int(seq) for seq, _ in tagged]
        assert seqs == sorted(seqs, reverse=True)
