"""Everything around the endpoint handlers, for one `/v1` request.

In order: `_method` override; rate-limit counting (every request counts); routing (unknown
routes get an HTML 404); fault decision; token (or legacy `client_id`); signature and
`X-Insta-Forwarded-For` checks; global and per-endpoint write limits; static scope; the
handler, under the world lock; then rendering (envelope, JSONP) and damaging faults.
Every answer carries `X-Ratelimit-Limit`, `X-Ratelimit-Remaining` and a `Date` from the
world clock.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from email.utils import formatdate

import orjson

from . import errors, signing
from .faults import REPLACING_KINDS, Decision, FaultInjector
from .listings import Listings
from .ratelimit import SlidingWindow, WindowCount
from .routes import ApiOptions, Call, Route, Router
from .stats import Stats
from .transport import HTML_TYPE, JSON_TYPE, Request, Response
from .world import ALL_SCOPES, World

JSONP_TYPE = "text/javascript; charset=utf-8"
CALLBACK_NAME = re.compile(r"[A-Za-z_$][\w$.]{0,63}")
UNKNOWN_ENDPOINT = "unknown"  # the stats key of requests no route matched
# a request carrying one of these asks for a follow-up page (`duplicate_page` can repeat one)
CURSOR_PARAMS = ("max_id", "min_id", "cursor", "max_like_id", "max_tag_id", "min_tag_id")

NOT_FOUND_PAGE = (
    b"<!DOCTYPE html><html><head><title>Page Not Found &bull; Instagram</title></head>"
    b"<body><h2>Sorry, this page isn't available.</h2><p>The link you followed may be broken,"
    b" or the page may have been removed.</p></body></html>"
)
ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>Error &bull; Instagram</title></head>"
    b"<body><h2>Oops, an error occurred.</h2></body></html>"
)
GATEWAY_PAGES = {
    502: b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>",
    503: b"<html><head><title>503 Service Unavailable</title></head><body><center><h1>503 "
    b"Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>",
}


@dataclass(frozen=True)
class LimitOptions:
    """Rate limits (docs/api.md §5) and signing enforcement (§7.4, §7.5)."""

    rate_limit: int = 5000
    rate_window: float = 3600.0
    write_limit: int = 60
    enforce_signature: bool = False
    enforce_forwarded_for: bool = False
    client_secret: str | None = None

    def __post_init__(self) -> None:
        if (self.enforce_signature or self.enforce_forwarded_for) and not self.client_secret:
            raise ValueError("enforcing signatures needs the client_secret")


@dataclass
class Incoming:
    """One `/v1` request as the pipeline reads it."""

    request: Request
    method: str  # after the `_method` override
    params: dict[str, str]  # the query, and for a POST the form fields on top
    token: str | None
    window: WindowCount  # the caller's rate-limit window, this request counted


def dumps(value: object) -> bytes:
    """Compact JSON, keys in insertion order (deterministic for a deterministic world)."""
    return orjson.dumps(value)


class ApiApplication:
    """Answers `/v1` requests from a world."""

    def __init__(
        self,
        world: World,
        options: ApiOptions,
        limits: LimitOptions,
        faults: FaultInjector,
        stats: Stats,
        latency: float = 0.0,
    ):
        self.world = world
        self.options = options
        self.limits = limits
        self.faults = faults
        self.stats = stats
        self.latency = latency
        self.world_lock = threading.RLock()  # handlers and world.advance never interleave
        self.listings = Listings(world)
        self.router = Router()
        self.rate_window = SlidingWindow(limits.rate_limit, limits.rate_window)
        self.write_window = SlidingWindow(limits.write_limit, limits.rate_window)
        self.extra_tokens: dict[str, tuple[str, tuple[str, ...]]] = {}

    def add_token(self, token: str, user_id: str, scopes: tuple[str, ...] = ALL_SCOPES) -> None:
        """Accept `token` for `user_id` with `scopes`, besides the world's own tokens."""
        self.world.user_short(user_id)  # KeyError for an unknown user
        self.extra_tokens[token] = (user_id, tuple(scopes))

    def reset_limits(self) -> None:
        """Forget every request counted by the rate limits."""
        self.rate_window.reset()
        self.write_window.reset()

    # ------------------------------------------------------------------ the pipeline

    def __call__(self, request: Request) -> Response:
        params = dict(request.query)
        method = request.method
        if method == "POST":
            params.update(request.form)
            override = params.get("_method", "").upper()
            if override in ("DELETE", "PUT"):
                method = override
        token = params.get("access_token") or None
        client_key = (
            f"token:{token}"
            if token
            else f"client:{params['client_id']}"
            if params.get("client_id")
            else f"ip:{request.client_ip}"
        )
        window = self.rate_window.hit(client_key)
        matched = self.router.match(method, request.path)
        if matched is None:
            response = Response(404, NOT_FOUND_PAGE, HTML_TYPE)
            endpoint = UNKNOWN_ENDPOINT
        else:
            route, path_params = matched
            endpoint = route.endpoint
            response = self._answer(Incoming(request, method, params, token, window), route, path_params)
        response.headers += [
            ("X-Ratelimit-Limit", str(window.limit)),
            ("X-Ratelimit-Remaining", str(window.remaining)),
            ("Date", formatdate(self.world.now, usegmt=True)),
        ]
        response.delay += self.latency
        self.stats.record(endpoint, response.status)
        return response

    def _answer(self, incoming: Incoming, route: Route, path_params: dict[str, str]) -> Response:
        decision = self.faults.decide(route.endpoint)
        fault = decision.kind
        if fault in REPLACING_KINDS:
            self.faults.note_fired(decision.number, route.endpoint, fault)
            return self._fault_response(fault, incoming.window)
        params = incoming.params
        callback = params.get("callback") if incoming.method == "GET" else None
        valid_callback = callback is None or CALLBACK_NAME.fullmatch(callback) is not None
        if not valid_callback:
            callback = None  # never echo an unsafe name into a script
        try:
            if not valid_callback:
                raise errors.invalid_parameters("Invalid callback name.")
            call = self._authorize(incoming, route, path_params)
            with self.world_lock:
                reply = route.handler(call)
            body: dict = {"meta": {"code": 200}, "data": reply.data}
            if reply.pagination is not None:
                body = {"pagination": reply.pagination, **body}
            response = self._json(200, body, callback)
        except errors.ApiError as error:
            response = self._json(error.status, error.body(), callback)
        page_key = _page_key(incoming)
        previous = None
        if fault == "duplicate_page" and any(params.get(name) for name in CURSOR_PARAMS):
            previous = self.faults.previous_page(page_key)
        if response.status == 200 and self.faults.remembers_pages:
            self.faults.remember_page(page_key, response.body)
        if fault is not None:
            return self._damage(response, decision, route.endpoint, previous)
        return response

    def _authorize(self, incoming: Incoming, route: Route, path_params: dict[str, str]) -> Call:
        """Identify the caller and apply every check that comes before the handler."""
        request = incoming.request
        viewer, scopes = self._caller(incoming, route, path_params)
        if self.limits.enforce_signature:
            endpoint = request.path[len("/v1") :]
            signed = {k: v for k, v in [*request.query, *request.form] if k != "sig"}
            sigs = [v for k, v in [*request.query, *request.form] if k == "sig"]
            signing.check_signature(endpoint, signed, sigs, self.limits.client_secret or "")
        is_write = incoming.method in ("POST", "DELETE")
        if self.limits.enforce_forwarded_for and is_write:
            signing.check_forwarded_for(
                request.headers.get(signing.FORWARDED_FOR_HEADER), self.limits.client_secret or ""
            )
        if incoming.window.exceeded:
            raise errors.legacy_throttled() if self.options.legacy else errors.rate_limited()
        if route.write_family is not None and is_write:
            writes = self.write_window.hit(f"{route.write_family}:{incoming.token}")
            if writes.exceeded:
                raise (
                    errors.legacy_throttled()
                    if self.options.legacy
                    else errors.write_rate_limited(writes.made, writes.limit)
                )
        call = Call(
            self.world, self.listings, self.options, request, incoming.params, path_params, viewer, frozenset(scopes)
        )
        if route.scope is not None:
            call.require(route.scope)
        return call

    def _caller(
        self, incoming: Incoming, route: Route, path_params: dict[str, str]
    ) -> tuple[str | None, tuple[str, ...]]:
        """(user id, scopes) of the token; `client_id`-only calls (legacy era) have no user."""
        token = incoming.token
        if token is None:
            if self.options.legacy and incoming.params.get("client_id"):
                if route.write_family is not None:
                    raise errors.client_id_write(incoming.method, route.write_family)
                if not route.needs_user and "self" not in path_params.values():
                    return None, ()  # a public read
            raise errors.missing_token()
        owner = self.extra_tokens.get(token) or self.world.user_for_token(token)
        if owner is None:
            raise errors.invalid_token()
        return owner

    # ------------------------------------------------------------------ rendering

    @staticmethod
    def _json(status: int, body: dict, callback: str | None) -> Response:
        if callback:
            return Response(status, callback.encode() + b"(" + dumps(body) + b");", JSONP_TYPE)
        return Response(status, dumps(body), JSON_TYPE)

    def _fault_response(self, fault: str, window: WindowCount) -> Response:
        if fault == "rate_limit":
            return Response(429, dumps(errors.rate_limited().body()))
        if fault == "rate_limit_top_level":
            made = max(window.made, window.limit + 1)
            return Response(429, dumps(errors.rate_limited(top_level=True, made=made, limit=window.limit).body()))
        if fault == "http_500":
            return Response(500, dumps(errors.ApiError(500, "APIError", "Oops, an error occurred.").body()))
        if fault == "html_error":
            return Response(500, ERROR_PAGE, HTML_TYPE)
        status = 502 if fault == "http_502" else 503
        return Response(status, GATEWAY_PAGES[status], HTML_TYPE)

    def _damage(self, response: Response, decision: Decision, endpoint: str, previous: bytes | None) -> Response:
        return damage(self.faults, response, decision, endpoint, previous)


def damage(
    faults: FaultInjector, response: Response, decision: Decision, endpoint: str, previous: bytes | None
) -> Response:
    """Apply a fault that acts on a handled request's answer (see emulator.faults); both API
    modes use it.

    `previous`: the page served before this one on the same list, for `duplicate_page`.
    """
    fault, plan = decision.kind, decision.plan
    assert fault is not None and plan is not None
    if fault == "duplicate_page":
        if previous is None:
            return response  # a first page, or nothing remembered: nothing to repeat
        response.body = previous
    elif fault == "latency":
        response.delay += plan.latency_seconds
    elif fault == "stall":
        response.delay += plan.stall_seconds
    elif fault == "malformed":
        response.status = 200
        response.body = response.body[: len(response.body) // 2] + b"<!-- malformed -->"
    else:  # "truncated", "reset": carried out by the transport
        response.damage = fault
    faults.note_fired(decision.number, endpoint, fault)
    return response


def _page_key(incoming: Incoming) -> tuple[str, str]:
    """Which list a page belongs to: the client and the path (without suffix or slash)."""
    params, request = incoming.params, incoming.request
    client = params.get("access_token") or params.get("client_id") or request.client_ip
    return client, request.path.rstrip("/").removesuffix(".json")
