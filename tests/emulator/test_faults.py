"""Fault injection (emulator.faults) and the control interface under /_emulator/."""

from __future__ import annotations

import time

import pytest
import requests

from emulator import FaultPlan, World

from .helpers import Client


def _statuses(client: Client, count: int, path: str = "/users/self") -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_a_schedule_fails_exactly_the_requests_it_names(serve) -> None:
    emu = serve(faults=FaultPlan(schedule={3: "http_502", 5: "http_503"}))
    client = Client(emu)
    assert _statuses(client, 6) == [200, 200, 502, 200, 503, 200]
    assert [(f.number, f.kind) for f in emu.fired_faults] == [(3, "http_502"), (5, "http_503")]
    assert emu.fired_faults[0].endpoint == "GET /users/{id}"


@pytest.mark.parametrize(
    ("kind", "status", "content_type", "body_check"),
    [
        (
            "rate_limit",
            429,
            "application/json",
            lambda b: b.startswith(b'{"meta":{"code":429,"error_type":"OAuthRateLimitException"'),
        ),
        (
            "rate_limit_top_level",
            429,
            "application/json",
            lambda b: b.startswith(b'{"code":429,"error_type":"OAuthRateLimitException"'),
        ),
        ("http_500", 500, "application/json", lambda b: b'"code":500' in b),
        ("http_502", 502, "text/html", lambda b: b"502 Bad Gateway" in b),
        ("http_503", 503, "text/html", lambda b: b"503" in b),
        ("html_error", 500, "text/html", lambda b: b"<html>" in b),
    ],
)
def test_replacing_faults(serve, kind: str, status: int, content_type: str, body_check) -> None:
    client = Client(serve(faults=FaultPlan(schedule={1: kind})))
    response = client.get("/users/self")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    assert "X-Ratelimit-Remaining" in response.headers
    assert body_check(response.content), response.content
    assert client.get("/users/self").status_code == 200


def test_replaced_writes_do_not_happen_but_damaged_ones_do(serve, world: World) -> None:
    me = world.default_user_id
    first, second = [m for m in world.feed(me) if m not in world.liked_media(me)][:2]
    client = Client(serve(world, faults=FaultPlan(schedule={1: "http_503", 2: "reset"})))
    assert client.post(f"/media/{first}/likes").status_code == 503
    with pytest.raises(requests.ConnectionError):
        client.post(f"/media/{second}/likes")
    liked = world.liked_media(me)
    assert first not in liked, "a 503 means the request was not handled"
    assert second in liked, "a reset after handling: the like happened, the answer was lost"


def test_rate_limit_bursts(serve) -> None:
    client = Client(serve(faults=FaultPlan(schedule={2: "rate_limit"}, burst=3)))
    assert _statuses(client, 6) == [200, 429, 429, 429, 200, 200]


def test_truncated_malformed_and_reset(serve) -> None:
    client = Client(serve(faults=FaultPlan(schedule={1: "truncated", 2: "malformed", 3: "reset"})))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        client.get("/users/self/feed")
    malformed = client.get("/users/self/feed")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    with pytest.raises(requests.ConnectionError):
        client.get("/users/self/feed")
    assert client.get("/users/self/feed").status_code == 200


def test_latency_and_stall(serve) -> None:
    client = Client(
        # the stall outlasts the client's timeout by seconds, so a slow machine cannot read it in time
        serve(faults=FaultPlan(schedule={1: "latency", 2: "stall"}, latency_seconds=0.3, stall_seconds=3.0))
    )
    started = time.perf_counter()
    assert client.get("/users/self").status_code == 200
    assert time.perf_counter() - started >= 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.session.get(client.emulator.base_url + "/users/self", params={"access_token": client.token}, timeout=0.3)
    assert client.get("/users/self").status_code == 200


def test_constant_latency_option(serve) -> None:
    client = Client(serve(latency=0.2))
    started = time.perf_counter()
    client.get("/users/self")
    assert time.perf_counter() - started >= 0.2


def test_duplicate_page_serves_the_previous_page_again(serve, world: World) -> None:
    emu = serve(world, faults=FaultPlan(schedule={1: "duplicate_page", 2: "duplicate_page"}))
    client = Client(emu)
    first = client.get("/users/self/followed-by", count=5)  # a first page: nothing to repeat
    repeated = client.session.get(first.json()["pagination"]["next_url"], timeout=5)
    assert repeated.content == first.content
    second = client.session.get(first.json()["pagination"]["next_url"], timeout=5).json()
    assert [u["id"] for u in second["data"]] == world.followed_by(world.default_user_id)[5:10]
    assert [(f.number, f.kind) for f in emu.fired_faults] == [(2, "duplicate_page")]


def test_rates_are_deterministic_by_seed(serve) -> None:
    plan = FaultPlan(seed=7, rates={"http_500": 0.3, "http_502": 0.1})
    runs = []
    for _ in range(2):
        emu = serve(faults=plan)
        _statuses(Client(emu), 60)
        runs.append([(f.number, f.kind) for f in emu.fired_faults])
    assert runs[0] == runs[1]
    assert 10 <= len(runs[0]) <= 40
    other = serve(faults=FaultPlan(seed=8, rates=plan.rates))
    _statuses(Client(other), 60)
    assert [(f.number, f.kind) for f in other.fired_faults] != runs[0]


def test_faults_limited_to_endpoints(serve) -> None:
    emu = serve(faults=FaultPlan(rates={"http_500": 1.0}, endpoints=frozenset({"GET /users/{id}/followed-by"})))
    client = Client(emu)
    assert client.get("/users/self").status_code == 200
    assert client.get("/users/self/followed-by").status_code == 500


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"rates": {"gremlins": 0.1}}, "unknown fault kind"),
        ({"rates": {"http_500": 0.7, "reset": 0.6}}, "at most 1"),
        ({"schedule": {"0": "reset"}}, "start at 1"),
        ({"sedd": 1}, "unknown fault plan fields"),
    ],
)
def test_invalid_plans_are_refused(plan: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan.from_dict(plan)


def test_cli_fault_specs() -> None:
    plan = FaultPlan.from_cli(["http_502:0.05", "reset@3,7"], seed=4)
    assert plan.rates == {"http_502": 0.05} and plan.schedule == {3: "reset", 7: "reset"} and plan.seed == 4
    with pytest.raises(ValueError, match="KIND:RATE"):
        FaultPlan.from_cli(["reset"])


# ----------------------------------------------------------------------------- control interface


def test_control_faults_stats_and_reset(serve) -> None:
    emu = serve()
    control = emu.root_url + "/_emulator"
    installed = requests.post(control + "/faults", json={"schedule": {"1": "http_500"}}, timeout=5).json()
    assert installed["plan"]["schedule"] == {"1": "http_500"}
    client = Client(emu)
    assert _statuses(client, 2) == [500, 200]
    state = requests.get(control + "/faults", timeout=5).json()
    assert state["fired"] == [{"number": 1, "endpoint": "GET /users/{id}", "kind": "http_500"}]
    assert requests.delete(control + "/faults", timeout=5).json()["plan"] is None
    stats = requests.get(control + "/stats", timeout=5).json()
    assert stats == {"total": 2, "by_endpoint": {"GET /users/{id}": 2}, "by_status": {"200": 1, "500": 1}}
    assert emu.stats.total == 2 and emu.stats.by_status == {200: 1, 500: 1}
    requests.post(control + "/stats/reset", timeout=5)
    assert emu.stats.total == 0 and emu.stats.by_endpoint == {}
    bad = requests.post(control + "/faults", json={"rates": {"nope": 1}}, timeout=5)
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]


def test_control_advance_world_and_token(serve, world: World) -> None:
    emu = serve(world)
    control = emu.root_url + "/_emulator"
    start = world.now
    summary = requests.post(control + "/advance", json={"seconds": 3600, "new_media": 3}, timeout=5).json()
    assert (summary["from"], summary["to"], len(summary["new_media"])) == (start, start + 3600, 3)
    assert requests.post(control + "/advance", data={"seconds": "60", "new_follows": "0"}, timeout=5).ok
    assert world.now == start + 3660
    about = requests.get(control + "/world", timeout=5).json()
    assert about["now"] == world.now and about["default_user_id"] == world.default_user_id
    assert about["config"]["seed"] == world.config.seed and about["era"] == "2016"
    issued = requests.get(control + "/token", params={"scope": "basic"}, timeout=5).json()
    assert world.user_for_token(issued["access_token"]) == (world.default_user_id, ("basic",))
    assert requests.post(control + "/advance", json={"secs": 1}, timeout=5).status_code == 400
    assert requests.get(control + "/nothing", timeout=5).status_code == 404
    assert emu.stats.total == 0, "control requests are not API requests"


@pytest.mark.parametrize("headers", [{"Content-Type": "application/x-www-form-urlencoded"}, {}])
def test_control_reads_json_bodies_whatever_their_content_type(serve, headers: dict) -> None:
    """`curl -d '{...}'` (docs/emulator.md) declares its JSON body as form-urlencoded; a bare
    HTTP client may declare nothing. Both bodies are JSON objects, and are read as such."""
    emu = serve()
    control = emu.root_url + "/_emulator"
    plan = b'{"seed": 1, "rates": {"truncated": 0.1}, "schedule": {"3": "stall"}}'
    installed = requests.post(control + "/faults", data=plan, headers=headers, timeout=5)
    assert installed.status_code == 200, installed.text
    assert installed.json()["plan"]["schedule"] == {"3": "stall"}
    start = emu.world.now
    advanced = requests.post(control + "/advance", data=b'{"seconds": 60}', headers=headers, timeout=5)
    assert advanced.status_code == 200, advanced.text
    assert emu.world.now == start + 60
