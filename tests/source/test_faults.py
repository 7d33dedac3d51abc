"""Every fault the emulator injects is survived, with data equal to a fault-free run."""

from __future__ import annotations

import pytest

from emulator import Emulator, FaultPlan, World
from emulator.faults import FAULT_KINDS

from .conftest import SMALL_WORLD, Loader, only


def _config(world: World) -> dict:
    """Every resource, with small pages so that most requests are follow-up pages."""
    me = world.default_user_id
    return dict(
        user_ids=["self", *world.follows(me)[:2]],
        tags=sorted(world.tag_names(), key=lambda t: -len(world.tag_media(t)))[:1],
        location_ids=sorted(world.location_ids(), key=lambda lid: -len(world.location_media(lid)))[:1],
        geography_ids=world.geography_ids()[:1],
        media_ids=world.media_ids_of_user(world.follows(me)[0])[:2],
        user_search_queries=["a"],
        tag_search_queries=[world.tag_names()[0][:3]],
        crawl_depth=1,
        crawl_max_users=6,
        media_page_size=4,
        follow_page_size=4,
        # a timeout a loaded machine's ordinary answers stay far under, a stall (4 s) far over
        request_timeout=2.0,
        request_attempts=10,
        retry_backoff_seconds=0.01,
    )


def test_every_fault_kind_is_survived(tmp_path) -> None:
    world = World(SMALL_WORLD)
    clean = Loader(tmp_path, "clean")
    with Emulator(world, follows_any_user=True) as emu:
        clean.run(emu, **_config(world))

    faulty = Loader(tmp_path, "faulty")
    plan = FaultPlan(seed=3, rates={kind: 0.025 for kind in FAULT_KINDS}, latency_seconds=0.05, stall_seconds=4.0)
    with Emulator(World(SMALL_WORLD), follows_any_user=True, faults=plan) as emu:
        faulty.run(emu, **_config(world))
        fired = {fault.kind for fault in emu.fired_faults}
    assert fired == set(FAULT_KINDS)
    assert faulty.last_run()["work_remaining"] is False
    assert faulty.tables() == clean.tables()


@pytest.mark.parametrize(
    "config",
    [
        dict(media_page_size=2, engagement_from=[], **only("user_media")),
        dict(crawl_depth=0, follow_page_size=2, **only("follow_graph")),
    ],
    ids=["media list", "follow list"],
)
def test_a_duplicate_page_on_the_first_request_of_a_resumed_list(tmp_path, config: dict) -> None:
    """A list cut short by the budget resumes from its saved cursor next run; if the server
    answers that first request with the page it served last (the one before the cursor), the
    page is fetched again instead of failing the run."""
    clean = Loader(tmp_path, "clean")
    with Emulator(World(SMALL_WORLD)) as emu:
        clean.run(emu, **config)

    resumed = Loader(tmp_path, "resumed")
    # the budget allows 3 requests a run: request #4 is the first of the second run
    with Emulator(World(SMALL_WORLD), rate_limit=3, faults=FaultPlan(schedule={4: "duplicate_page"})) as emu:
        resumed.run(emu, budget_share=1.0, **config)
        assert resumed.last_run()["work_remaining"] and emu.stats.total == 3
        emu.reset_rate_limits()
        for _ in range(20):
            resumed.run(emu, budget_share=1.0, **config)
            if not resumed.last_run()["work_remaining"]:
                break
            emu.reset_rate_limits()
        assert [fault.kind for fault in emu.fired_faults] == ["duplicate_page"]
    assert resumed.tables() == clean.tables()
