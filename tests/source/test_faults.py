"""Every fault the emulator injects is survived, with data equal to a fault-free run."""

from __future__ import annotations

from emulator import Emulator, FaultPlan, World
from emulator.faults import FAULT_KINDS

from .conftest import SMALL_WORLD, Loader, only


def _config(world: World) -> dict:
    return dict(
        user_ids=["self", *world.follows(world.default_user_id)[:2]],
        tags=sorted(world.tag_names(), key=lambda t: -len(world.tag_media(t)))[:1],
        crawl_depth=1, crawl_max_users=6, media_page_size=4, follow_page_size=4,
        request_timeout=0.5, request_attempts=10, retry_backoff_seconds=0.01,
        **only("user_profiles", "user_media", "feed", "tag_media", "follow_graph"),
    )


def test_every_fault_kind_is_survived(tmp_path) -> None:
    world = World(SMALL_WORLD)
    clean = Loader(tmp_path, "clean")
    with Emulator(world, follows_any_user=True) as emu:
        clean.run(emu, **_config(world))

    faulty = Loader(tmp_path, "faulty")
    plan = FaultPlan(seed=3, rates={kind: 0.025 for kind in FAULT_KINDS}, latency_seconds=0.05, stall_seconds=1.0)
    with Emulator(World(SMALL_WORLD), follows_any_user=True, faults=plan) as emu:
        faulty.run(emu, **_config(world))
        fired = {fault.kind for fault in emu.fired_faults}
    assert fired == set(FAULT_KINDS)
    assert faulty.last_run()["work_remaining"] is False
    assert faulty.tables() == clean.tables()
