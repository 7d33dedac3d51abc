"""Rate limits (docs/api.md §5) and signed requests (§7.4, §7.5)."""

from __future__ import annotations

import pytest
import requests

from emulator import Emulator, World
from emulator.signing import forwarded_for_value, sign

from .helpers import Client, assert_error, public_stranger

SECRET = "6dc1787668c64c939929c17683d7cb74"
DOC_TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"


def test_rate_limit_headers_count_down(serve) -> None:
    client = Client(serve(rate_limit=10))
    remaining = [int(client.get("/users/self").headers["X-Ratelimit-Remaining"]) for _ in range(3)]
    assert remaining == [9, 8, 7]
    assert client.get("/users/self").headers["X-Ratelimit-Limit"] == "10"


def test_over_the_limit_answers_429_and_invalid_requests_count(serve, world: World) -> None:
    emu = serve(world, rate_limit=3)
    client = Client(emu)
    client.get("/users/99")  # an error still counts
    client.get("/users/self/friends")  # so does an unknown route
    assert client.get("/users/self").status_code == 200
    limited = client.get("/users/self")
    assert_error(limited, 429, "OAuthRateLimitException", "The maximum number of requests per hour has been exceeded.")
    assert limited.headers["X-Ratelimit-Remaining"] == "0"
    # per token: another user's token has its own window
    other = Client(emu, world.token_for(public_stranger(world)))
    assert other.get("/users/self").status_code == 200


def test_the_window_slides(serve) -> None:
    emu = serve(rate_limit=2, rate_window=60)
    # the window's own clock, moved by the test: three requests need not fit in a real
    # fraction of a second, and the window need not really pass
    now = [1000.0]
    emu._api.rate_window._clock = lambda: now[0]
    client = Client(emu)
    assert [client.get("/users/self").status_code for _ in range(3)] == [200, 200, 429]
    now[0] += 59
    assert client.get("/users/self").status_code == 429
    now[0] += 2  # the first three are older than the window; the fourth is not
    assert [client.get("/users/self").status_code for _ in range(2)] == [200, 429]


def test_rate_limit_reset_from_the_control_interface(serve) -> None:
    emu = serve(rate_limit=1)
    client = Client(emu)
    assert [client.get("/users/self").status_code for _ in range(2)] == [200, 429]
    assert requests.post(emu.root_url + "/_emulator/ratelimit/reset", timeout=5).json() == {"ok": True}
    assert client.get("/users/self").status_code == 200


def test_write_limits_per_endpoint(serve, world: World) -> None:
    client = Client(serve(world, write_limit=2))
    media = world.feed(world.default_user_id)[:3]
    assert [client.post(f"/media/{m}/likes").status_code for m in media[:2]] == [200, 200]
    limited = client.post(f"/media/{media[2]}/likes")
    assert_error(
        limited,
        429,
        "OAuthRateLimitException",
        "The maximum number of requests per hour has been exceeded. You have made 3 requests of the 2 allowed in the last hour.",
    )
    assert media[2] not in world.liked_media(world.default_user_id)
    assert client.post(f"/media/{media[2]}/comments", text="Still allowed").status_code == 200
    assert client.get(f"/media/{media[2]}/likes").status_code == 200, "reads are not write-limited"


def test_legacy_era_throttles_with_503(serve) -> None:
    client = Client(serve(era="legacy", rate_limit=1))
    assert [client.get("/users/self").status_code for _ in range(2)] == [200, 503]


# ----------------------------------------------------------------------------- signing


def test_signature_vectors_from_the_reference() -> None:
    assert (
        sign("/users/self", {"access_token": DOC_TOKEN}, SECRET)
        == "cbf5a1f41db44412506cb6563a3218b50f45a710c7a8a65a3e9b18315bb338bf"
    )
    assert (
        sign("/media/657988443280050001_25025320", {"access_token": DOC_TOKEN, "count": "10"}, SECRET)
        == "260634b241a6cfef5e4644c205fb30246ff637591142781b86e2075faf1b163a"
    )
    assert (
        forwarded_for_value("200.15.1.1", SECRET)
        == "200.15.1.1|7e3c45bc34f56fd8e762ee4590a53c8c2bbce27e967a85484712e5faa0191688"
    )
    assert (
        forwarded_for_value("200.15.1.1,131.51.1.35", SECRET)
        == "200.15.1.1,131.51.1.35|13cb27eee318a5c88f4456bae149d806437fb37ba9f52fac0b1b7d8c234e6cee"
    )


def _forbidden(response: requests.Response, message: str) -> None:
    assert response.status_code == 403
    assert response.json() == {"code": 403, "error_type": "OAuthForbiddenException", "error_message": message}


def test_signature_enforcement(serve) -> None:
    emu = serve(enforce_signature=True, client_secret=SECRET)
    token = emu.access_token
    url = emu.base_url + "/users/self/feed.json"
    params = {"access_token": token, "count": "5"}
    good = sign("/users/self/feed.json", params, SECRET)  # the path as sent, suffix included
    _forbidden(requests.get(url, params=params, timeout=5), "Invalid signed-request: Missing required parameter 'sig'")
    _forbidden(
        requests.get(url, params={**params, "sig": "0" * 64}, timeout=5),
        "Invalid signed-request: Signature does not match",
    )
    without_suffix = sign("/users/self/feed", params, SECRET)
    _forbidden(
        requests.get(url, params={**params, "sig": without_suffix}, timeout=5),
        "Invalid signed-request: Signature does not match",
    )
    assert requests.get(url, params={**params, "sig": good}, timeout=5).status_code == 200
    # python-instagram sends two sigs; one matching is enough
    token_only = sign("/users/self/feed.json", {"access_token": token}, SECRET)
    query = [("access_token", token), ("sig", token_only), ("count", "5"), ("sig", good)]
    assert requests.get(url, params=query, timeout=5).status_code == 200


def test_post_signatures_cover_query_and_body(serve, world: World) -> None:
    emu = serve(world, enforce_signature=True, client_secret=SECRET)
    token, media_id = emu.access_token, world.feed(world.default_user_id)[0]
    path = f"/media/{media_id}/comments"
    token_only = sign(path, {"access_token": token}, SECRET)
    # python-instagram's POST: sig over the token only, text in the body → refused (its issue #153)
    refused = requests.post(
        emu.base_url + path, params={"access_token": token, "sig": token_only}, data={"text": "hi there"}, timeout=5
    )
    _forbidden(refused, "Invalid signed-request: Signature does not match")
    both = sign(path, {"access_token": token, "text": "hi there"}, SECRET)
    accepted = requests.post(
        emu.base_url + path, params={"access_token": token}, data={"text": "hi there", "sig": both}, timeout=5
    )
    assert accepted.status_code == 200


def test_forwarded_for_enforcement_on_writes(serve, world: World) -> None:
    emu = serve(world, enforce_forwarded_for=True, client_secret=SECRET)
    client = Client(emu)
    media_id = world.feed(world.default_user_id)[0]
    _forbidden(
        client.post(f"/media/{media_id}/likes"), "Invalid header: X-Insta-Forwarded-For is required for this operation"
    )
    bad = client.session.post(
        emu.base_url + f"/media/{media_id}/likes",
        data={"access_token": client.token},
        headers={"X-Insta-Forwarded-For": "127.0.0.1|" + "0" * 64},
        timeout=5,
    )
    _forbidden(bad, "Invalid header: X-Insta-Forwarded-For signature does not match")
    good = client.session.post(
        emu.base_url + f"/media/{media_id}/likes",
        data={"access_token": client.token},
        headers={"X-Insta-Forwarded-For": forwarded_for_value("127.0.0.1", SECRET)},
        timeout=5,
    )
    assert good.status_code == 200
    assert client.get("/users/self").status_code == 200, "reads need no header"


def test_enforcement_needs_the_secret(world: World) -> None:
    with pytest.raises(ValueError, match="client_secret"):
        Emulator(world, enforce_signature=True)
