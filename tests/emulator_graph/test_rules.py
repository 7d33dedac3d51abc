"""The Graph API's rules that need a clock or a count (instagram-graph/API.md §2, §4–§6): the
hashtag limit, the 24-hour story window, token lifetimes and the refresh window, retired
metrics, usage headers growing to throttling, and fault plans with Graph-shaped bodies. Each
test has its own emulator: they advance the world or spend a limit."""

from __future__ import annotations

import json
from collections.abc import Callable

import requests

from emulator import Emulator
from emulator.faults import FaultPlan

from .conftest import Graph

DAY = 86400


def test_hashtag_limit_is_30_unique_in_a_rolling_7_days(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    tags = emulator.world.tag_names()
    for name in tags[:30]:
        assert graph.ok("ig_hashtag_search", user_id=graph.me, q=name)["data"][0]["id"]
    over = graph.error(graph.get("ig_hashtag_search", user_id=graph.me, q=tags[30]))
    assert (over["code"], over["error_subcode"]) == (24, 2207024)
    assert graph.ok("ig_hashtag_search", user_id=graph.me, q=tags[3])["data"]  # a repeat is no new hashtag
    emulator.advance(3 * DAY, **{k: 0 for k in ("new_media", "new_follows", "unfollows", "new_likes", "new_comments")})
    graph.error(graph.get("ig_hashtag_search", user_id=graph.me, q=tags[31]))  # still within 7 days
    emulator.advance(4 * DAY + 1, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    assert graph.ok("ig_hashtag_search", user_id=graph.me, q=tags[31])["data"]  # the first 30 aged out


def test_stories_vanish_24_hours_after_posting(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    stories = graph.ok(f"{graph.me}/stories", fields="id,timestamp,media_product_type")["data"]
    assert stories and {s["media_product_type"] for s in stories} == {"STORY"}
    oldest = stories[-1]
    assert graph.ok(oldest["id"], fields="id,timestamp")["timestamp"] == oldest["timestamp"]
    assert graph.ok(f"{oldest['id']}/insights", metric="reach,views,navigation")["data"]
    emulator.advance(DAY, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    later = graph.ok(f"{graph.me}/stories", fields="id,timestamp")["data"]
    assert not {s["id"] for s in stories} & {s["id"] for s in later}  # all posted > 24 h ago
    now = emulator.world.now
    assert all(now - DAY < _unix(s["timestamp"]) <= now for s in later)
    gone = graph.error(graph.get(oldest["id"], fields="id"))
    assert (gone["code"], gone["error_subcode"]) == (100, 33)


def _unix(timestamp: str) -> int:
    import calendar
    import time

    return calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%S+0000"))


def _control_token(emulator: Emulator, kind: str) -> str:
    return requests.get(f"{emulator.root_url}/_emulator/token", params={"kind": kind}, timeout=10).json()[
        "access_token"
    ]


def test_token_lifetimes_and_the_refresh_window(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph(client_secret="app-secret")
    short = _control_token(emulator, "ig_short")
    graph = Graph(emulator, short)
    me = graph.ok("me", fields="user_id,username")  # Instagram Login: /me is the IG account
    assert me["user_id"] == graph.me
    wrong = graph.get("access_token", grant_type="ig_exchange_token", client_secret="nope")
    assert graph.error(wrong)["code"] == 101
    exchanged = graph.ok("access_token", grant_type="ig_exchange_token", client_secret="app-secret")
    assert exchanged["token_type"] == "bearer" and exchanged["expires_in"] == 60 * DAY
    long = Graph(emulator, exchanged["access_token"])
    too_young = long.error(long.get("refresh_access_token", grant_type="ig_refresh_token"))
    assert too_young["code"] == 190
    emulator.advance(3601, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    expired = graph.error(graph.get("me"))  # the short token lived 1 h
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    emulator.advance(DAY, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    refreshed = long.ok("refresh_access_token", grant_type="ig_refresh_token")
    assert refreshed["expires_in"] == 60 * DAY and refreshed["access_token"] != long.token
    debug = long.ok("debug_token", input_token=refreshed["access_token"])["data"]
    assert debug["is_valid"] and debug["expires_at"] == emulator.world.now + 60 * DAY
    emulator.advance(60 * DAY - 3600, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    late = long.error(long.get("refresh_access_token", grant_type="ig_refresh_token"))
    assert (late["code"], late["error_subcode"]) == (190, 463)  # expired: too late to refresh
    assert Graph(emulator, refreshed["access_token"]).ok("me")["id"] == graph.me  # refreshed one lives


def test_facebook_login_tokens_and_page_tokens(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph(client_secret="app-secret")
    graph = Graph(emulator, _control_token(emulator, "fb_short"))
    long = graph.ok(
        "oauth/access_token",
        grant_type="fb_exchange_token",
        client_id="1",
        client_secret="app-secret",
        fb_exchange_token=graph.token,
    )
    pages = Graph(emulator, long["access_token"]).ok("me/accounts", fields="access_token,instagram_business_account")
    page_token = pages["data"][0]["access_token"]
    emulator.advance(400 * DAY, new_media=0, new_follows=0, unfollows=0, new_likes=0, new_comments=0)
    debug = graph.ok("debug_token", input_token=page_token)["data"]
    assert debug["type"] == "PAGE" and debug["expires_at"] == 0 and debug["is_valid"]
    assert graph.error(graph.get("me"))["code"] == 190


def test_token_in_a_bearer_header_and_appsecret_proof(serve_graph: Callable[..., Emulator]) -> None:
    from emulator.graph.tokens import appsecret_proof

    emulator = serve_graph(enforce_signature=True, client_secret="app-secret")
    token = emulator.access_token
    url = f"{emulator.base_url}/v24.0/me"
    proof = appsecret_proof(token, "app-secret")
    bearer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, params={"appsecret_proof": proof})
    assert bearer.status_code == 200, bearer.text
    missing = requests.get(url, headers={"Authorization": f"Bearer {token}"}).json()["error"]
    assert missing["code"] == 100 and "appsecret_proof" in missing["message"]
    assert requests.get(url).json()["error"]["code"] == 104
    assert requests.get(url, params={"access_token": "EAAGnope"}).json()["error"]["code"] == 190


def test_a_retired_metric_fails_the_whole_request(serve_graph: Callable[..., Emulator]) -> None:
    graph = Graph(serve_graph())
    media = graph.ok(f"{graph.me}/media", fields="id,media_product_type", limit=100)["data"]
    feed = next(m["id"] for m in media[3:] if m["media_product_type"] == "FEED")
    reel = next(m["id"] for m in media[3:] if m["media_product_type"] == "REELS")
    retired = graph.error(graph.get(f"{feed}/insights", metric="reach,impressions,likes"))
    assert retired["code"] == 100 and "impressions" in retired["message"]
    assert graph.error(graph.get(f"{reel}/insights", metric="plays"))["code"] == 100
    old = graph.get(f"{feed}/insights", version="v21.0", metric="reach,impressions").json()["data"]
    assert [m["name"] for m in old] == ["reach", "impressions"]
    oldest = graph.get(f"{reel}/insights", version=None, metric="plays,clips_replays_count").json()["data"]
    assert [m["name"] for m in oldest] == ["plays", "clips_replays_count"]  # no version: v21.0
    wrong_type = graph.error(graph.get(f"{feed}/insights", metric="reach,ig_reels_avg_watch_time"))
    # the text of instagram-graph/API.md §2
    assert wrong_type["message"] == "The metric ig_reels_avg_watch_time is not supported for this media type"
    assert graph.error(graph.get("me", version="v12.0"))["code"] == 2635


def test_usage_headers_grow_to_throttling(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph(rate_limit=20)
    graph = Graph(emulator)
    seen = []
    for _ in range(20):
        response = graph.get(graph.me, fields="id")
        assert response.status_code == 200
        usage = json.loads(response.headers["X-Business-Use-Case-Usage"])[graph.me][0]
        seen.append((usage["call_count"], json.loads(response.headers["X-App-Usage"])["call_count"]))
        assert usage["type"] == "instagram" and usage["estimated_time_to_regain_access"] == 0
    assert [s[0] for s in seen] == list(range(5, 101, 5))  # 5 % a call, 100 % at the 20th
    assert seen[-1][1] == 25 and [s[1] for s in seen] == sorted(s[1] for s in seen)
    throttled = graph.get(graph.me, fields="id")
    error = graph.error(throttled)
    assert error["code"] == 80002 and error["is_transient"] is True
    usage = json.loads(throttled.headers["X-Business-Use-Case-Usage"])[graph.me][0]
    assert usage["call_count"] == 105 and usage["estimated_time_to_regain_access"] == 60
    requests.post(f"{emulator.root_url}/_emulator/ratelimit/reset", timeout=10)
    assert graph.get(graph.me).status_code == 200


def test_fault_plans_answer_graph_shaped_errors(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph(faults=FaultPlan(schedule={1: "http_500", 2: "rate_limit", 3: "http_503", 4: "truncated"}))
    graph = Graph(emulator)
    first = graph.get("me")
    assert first.status_code == 500 and first.json()["error"]["code"] == 1
    assert graph.error(graph.get("me"))["code"] == 80002
    unavailable = graph.get("me")
    assert unavailable.status_code == 503 and unavailable.json()["error"]["code"] == 2
    try:
        graph.get("me")
        raise AssertionError("a truncated answer must fail")
    except requests.exceptions.RequestException:
        pass
    assert graph.get("me").status_code == 200
    assert [f.kind for f in emulator.fired_faults] == ["http_500", "rate_limit", "http_503", "truncated"]
    assert emulator.fired_faults[0].endpoint == "GET /me"


def test_duplicate_page_repeats_the_page_before(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph(faults=FaultPlan(schedule={2: "duplicate_page"}))
    graph = Graph(emulator)
    first = graph.ok(f"{graph.me}/media", fields="id", limit=5)
    again = graph.session.get(first["paging"]["next"], timeout=10).json()
    assert again == first  # the client sees the first page twice, as after a proxy's replay
    assert [f.kind for f in emulator.fired_faults] == ["duplicate_page"]


def test_insights_appear_late_and_then_grow(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    container = graph.post(f"{graph.me}/media", image_url="https://example.com/x.jpg", caption="New")
    published = graph.post(f"{graph.me}/media_publish", creation_id=container.json()["id"]).json()["id"]
    assert graph.ok(f"{published}/insights", metric="reach")["data"] == []  # not there yet
    quiet = {"new_media": 0, "new_follows": 0, "unfollows": 0, "new_likes": 0, "new_comments": 0}
    age = 3 * 3600 + 600  # insights as of 10 minutes after posting (they lag 3 hours)
    emulator.advance(age, **quiet)
    assert graph.error(graph.get(f"{published}/insights", metric="reach"))["code"] == 10  # too few viewers yet
    reach = []
    for hours in (24, 48, 72, 24 * 7):
        emulator.advance(hours * 3600 - age, **quiet)
        age = hours * 3600
        reach.append(graph.ok(f"{published}/insights", metric="reach")["data"][0]["values"][0]["value"])
    assert reach == sorted(reach) and reach[-1] > reach[0]
    assert reach[1] - reach[0] > reach[3] - reach[2]  # most of it in the first days
    limit = graph.ok(f"{graph.me}/content_publishing_limit", fields="quota_usage,config")["data"][0]
    assert limit["quota_usage"] == 0  # the publish was more than 24 h ago


def test_account_insights_windows_and_thresholds(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    now = emulator.world.now
    daily = graph.ok(
        f"{graph.me}/insights", metric="reach,follower_count", period="day", since=now - 7 * DAY, until=now
    )
    assert [m["name"] for m in daily["data"]] == ["reach", "follower_count"]
    assert len(daily["data"][0]["values"]) == 7
    too_long = graph.error(graph.get(f"{graph.me}/insights", metric="reach", period="day", since=now - 40 * DAY))
    assert too_long["code"] == 100
    total = graph.ok(
        f"{graph.me}/insights",
        metric="reach,likes",
        period="day",
        metric_type="total_value",
        breakdown="media_product_type",
    )["data"][0]["total_value"]
    results = total["breakdowns"][0]["results"]
    assert sum(r["value"] for r in results) == total["value"]
    series_only = graph.ok(f"{graph.me}/insights", metric="likes", period="day")
    assert series_only["data"] == []  # total_value-only metrics answer no time series
    small = next(
        i
        for i in range(emulator.world.user_count())
        if emulator.graph.model.is_professional(i) and emulator.graph.model.user(i)["followers_count"] < 100
    )
    token = requests.get(
        f"{emulator.root_url}/_emulator/token", params={"user_id": emulator.graph.model.user_id(small)}, timeout=10
    ).json()["access_token"]
    other = Graph(emulator, token)
    names = [
        m["name"]
        for m in other.ok(
            f"{other.url('')[:0]}{emulator.graph.model.user_id(small)}/insights",
            metric="reach,follower_count",
            period="day",
        )["data"]
    ]
    assert names == ["reach"]  # follower_count needs 100 followers


def test_follower_counts_move_with_the_worlds_follows(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    before = graph.ok(graph.me, fields="followers_count")["followers_count"]
    summary = emulator.advance(DAY + 4 * 3600, new_media=0, new_follows=3000, unfollows=0, new_likes=0, new_comments=0)
    owner = emulator.world.default_user_id
    gained = sum(1 for _, followed in summary["new_follows"] if followed == owner)
    assert gained > 0
    assert graph.ok(graph.me, fields="followers_count")["followers_count"] == before + gained
    series = graph.ok(f"{graph.me}/insights", metric="follower_count", period="day")["data"][0]["values"]
    assert series[-1]["value"] == gained  # the day's new followers, as the advance made them


def test_the_same_seed_answers_the_same_bytes(serve_graph: Callable[..., Emulator]) -> None:
    answers = []
    for emulator in (serve_graph(), serve_graph()):
        graph = Graph(emulator)
        media = graph.ok(f"{graph.me}/media", fields="id", limit=3)["data"][0]["id"]
        replies = []
        for path, params in (
            (f"{graph.me}/media", {"fields": "id,caption,like_count,timestamp,children{id}", "limit": 5}),
            (f"{media}/insights", {"metric": "reach,views,saved,shares"}),
            (f"{graph.me}/insights", {"metric": "reach,follower_count", "period": "day"}),
            (f"{graph.me}/stories", {"fields": "id,timestamp"}),
            (f"{media}/insights", {"metric": "impressions"}),
        ):
            response = graph.get(path, **params)
            replies.append(
                (
                    response.status_code,
                    response.headers["Date"],
                    response.content.replace(emulator.base_url.encode(), b""),
                )
            )
        answers.append(replies)
    assert answers[0] == answers[1]


def test_publishing_limit_is_100_a_rolling_day(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    for _ in range(100):
        container = graph.post(f"{graph.me}/media", image_url="https://example.com/a.jpg").json()["id"]
        assert graph.post(f"{graph.me}/media_publish", creation_id=container).status_code == 200
    assert graph.ok(f"{graph.me}/content_publishing_limit")["data"][0]["quota_usage"] == 100
    container = graph.post(f"{graph.me}/media", image_url="https://example.com/a.jpg").json()["id"]
    over = graph.error(graph.post(f"{graph.me}/media_publish", creation_id=container))
    assert (over["code"], over["error_subcode"]) == (9, 2207042)
    assert graph.ok(graph.me, fields="media_count")["media_count"] == 160


def test_the_control_interface_advances_the_graph_world(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph = Graph(emulator)
    before = graph.ok(f"{graph.me}/stories", fields="id")["data"]
    answer = requests.post(
        f"{emulator.root_url}/_emulator/advance", json={"seconds": 2 * DAY, "new_media": 0}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["to"] == emulator.world.now
    after = graph.ok(f"{graph.me}/stories", fields="id")["data"]
    assert after and not {s["id"] for s in before} & {s["id"] for s in after}
    assert requests.get(f"{emulator.root_url}/_emulator/stats", timeout=10).json()["by_endpoint"] == {
        "GET /{ig-user-id}/stories": 2
    }
