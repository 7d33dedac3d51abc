"""Everything around the Graph API's handlers, for one request (docs/emulator.md, "Graph mode").

In order: the version from the path (none: the oldest served); usage counting for the token's
account and for the app (every call counts, refused ones too); the fault decision; the token
endpoints, which need no valid token; the token (query or `Authorization: Bearer`), its expiry
on the world clock and `appsecret_proof` when required; throttling past 100 % of usage; the
handler under the world lock; then the Graph error envelope and damaging faults. Every answer
carries `X-App-Usage`, `X-Business-Use-Case-Usage` (for a token's account), the version served
and a `Date` from the world clock.
"""

from __future__ import annotations

import hmac
import math
import re
import threading
from dataclasses import dataclass
from email.utils import formatdate

import orjson

from ..api import ERROR_PAGE, damage
from ..faults import REPLACING_KINDS, FaultInjector
from ..ratelimit import SlidingWindow, WindowCount
from ..stats import Stats
from ..transport import HTML_TYPE, JSON_TYPE, Request, Response
from ..world import NotAllowedError, World
from . import errors, handlers
from .model import GraphModel
from .nodes import Ctx, iso
from .tokens import KIND_NAMES, Token, appsecret_proof

SERVED_VERSIONS = ("v21.0", "v22.0", "v23.0", "v24.0")  # a path without a version: the oldest
LATEST = SERVED_VERSIONS[-1]
VERSION = re.compile(r"v[0-9]+\.[0-9]+")
TOKEN_PATHS = ("oauth/access_token", "access_token", "refresh_access_token")
APP_LIMIT_FACTOR = 4  # the app's limit, in calls of one account's: one busy account throttles first
PATH_NAMES = {
    "user": "{ig-user-id}",
    "media": "{ig-media-id}",
    "child": "{ig-media-id}",
    "story": "{ig-media-id}",
    "comment": "{ig-comment-id}",
    "page": "{page-id}",
    "fb_user": "{user-id}",
    "hashtag": "{ig-hashtag-id}",
    "container": "{ig-container-id}",
}


@dataclass(frozen=True)
class GraphOptions:
    """Usage limits (§5) and proof enforcement (§6). `rate_limit` calls per account in
    `rate_window` seconds are 100 % of `X-Business-Use-Case-Usage`."""

    rate_limit: int = 5000
    rate_window: float = 3600.0
    require_proof: bool = False
    app_secret: str | None = None

    def __post_init__(self) -> None:
        if self.require_proof and not self.app_secret:
            raise ValueError("requiring appsecret_proof needs the app secret (client_secret)")


def dumps(value: object) -> bytes:
    return orjson.dumps(value)


def _percent(count: WindowCount) -> int:
    return count.made * 100 // max(1, count.limit)


class GraphApplication:
    """Answers Graph API requests from a world."""

    def __init__(self, world: World, options: GraphOptions, faults: FaultInjector, stats: Stats, latency: float = 0):
        self.world = world
        self.model = GraphModel(world)
        self.options = options
        self.faults = faults
        self.stats = stats
        self.latency = latency
        self.world_lock = threading.RLock()
        self.account_window = SlidingWindow(options.rate_limit, options.rate_window)
        self.app_window = SlidingWindow(options.rate_limit * APP_LIMIT_FACTOR, options.rate_window)
        self.extra_tokens: dict[str, Token] = {}

    def add_token(self, text: str, user: int) -> None:
        """Accept `text` as a Facebook Login token of user index `user` that never expires."""
        self.extra_tokens[text] = Token("pg", user, self.world.now)

    def reset_limits(self) -> None:
        self.account_window.reset()
        self.app_window.reset()

    def issue_token(self, params: dict[str, str]) -> dict:
        """`GET /_emulator/token?kind=&user_id=` in Graph mode: a token issued now."""
        kind = KIND_NAMES.get(params.get("kind", "fb_long"))
        if kind is None:
            raise ValueError(f"kind must be one of {sorted(KIND_NAMES)}")
        user = self.model.owner
        if params.get("user_id"):
            resolved = GraphModel.resolve(params["user_id"])
            user = resolved[1] if resolved and resolved[0] == "user" else self.world.user_index(params["user_id"])
        if not self.model.is_professional(user):
            raise ValueError("the Graph API serves professional accounts only")
        with self.world_lock:
            text = self.model.tokens.make(kind, user, self.world.now)
            token = self.model.tokens.read(text)
            assert token is not None
            return {"user_id": GraphModel.user_id(user), "access_token": text, "expires_at": token.expires_at}

    # ------------------------------------------------------------------ the pipeline

    def __call__(self, request: Request) -> Response:
        params = dict(request.query)
        if request.method != "GET":
            params.update(request.form)
        segments = [s for s in request.path.split("/") if s]
        version = SERVED_VERSIONS[0]
        if segments and VERSION.fullmatch(segments[0]):
            version = segments.pop(0)
        token_text = params.get("access_token") or _bearer(request)
        token = self._token(token_text)
        key = f"user:{token.user}" if token else f"ip:{request.client_ip}"
        account, app = self.account_window.hit(key), self.app_window.hit("app")
        endpoint = f"{request.method} /" + "/".join(_path_name(s) for s in segments)
        decision = self.faults.decide(endpoint)
        if decision.kind in REPLACING_KINDS:
            self.faults.note_fired(decision.number, endpoint, decision.kind)
            response = self._fault_response(decision.kind, decision.number)
        else:
            try:
                ctx = Ctx(self.model, token, token_text or "", version, f"http://{request.host}", params)
                body = self._answer(request.method, segments, ctx, account, app)
                response = Response(200, dumps(body), JSON_TYPE)
            except errors.GraphError as error:
                response = Response(error.status, dumps(error.body(f"{decision.number}:{endpoint}")), JSON_TYPE)
            page_key = (token_text or request.client_ip, request.path)
            previous = None
            if decision.kind == "duplicate_page" and (params.get("after") or params.get("before")):
                previous = self.faults.previous_page(page_key)
            if response.status == 200 and self.faults.remembers_pages:
                self.faults.remember_page(page_key, response.body)
            if decision.kind is not None:
                response = damage(self.faults, response, decision, endpoint, previous)
        response.headers += self._usage_headers(token, key, account, app)
        response.headers += [("facebook-api-version", version), ("Date", formatdate(self.world.now, usegmt=True))]
        response.delay += self.latency
        self.stats.record(endpoint, response.status)
        return response

    def _token(self, text: str | None) -> Token | None:
        if not text:
            return None
        return self.extra_tokens.get(text) or self.model.tokens.read(text)

    def _answer(self, method: str, segments: list[str], ctx: Ctx, account: WindowCount, app: WindowCount) -> dict:
        if ctx.version not in SERVED_VERSIONS:
            if int(ctx.version[1:].split(".")[0]) < int(SERVED_VERSIONS[0][1:].split(".")[0]):
                raise errors.GraphError(
                    2635, f"(#2635) You are calling a deprecated version of the Graph API. Please update to {LATEST}."
                )
            raise errors.unknown_path(ctx.version)
        path = "/".join(segments)
        if path in TOKEN_PATHS:
            with self.world_lock:
                return handlers.exchange(ctx, path, self.options.app_secret)
        if not ctx.token_text:
            raise errors.missing_token()
        if path == "debug_token":
            with self.world_lock:
                return handlers.debug_token(ctx)
        token = ctx.token
        if token is None:
            raise errors.invalid_token()
        if token.expired(self.world.now):
            raise errors.expired_token(iso(token.expires_at), iso(self.world.now))
        if self.options.require_proof:
            proof = ctx.params.get("appsecret_proof", "")
            expected = appsecret_proof(ctx.token_text, self.options.app_secret or "")
            if not hmac.compare_digest(proof, expected):
                raise errors.bad_proof()
        if account.exceeded:
            minutes = math.ceil(self.account_window.regain_seconds(f"user:{token.user}") / 60)
            raise errors.business_throttled(minutes)
        if app.exceeded:
            raise errors.app_throttled()
        ctx.viewer = token.user
        with self.world_lock:
            try:
                return self._dispatch(method, segments, ctx)
            except KeyError:
                raise errors.no_such_object(segments[-1]) from None
            except NotAllowedError:
                raise errors.permission() from None

    def _dispatch(self, method: str, segments: list[str], ctx: Ctx) -> dict:
        if segments == ["ig_hashtag_search"] and method == "GET":
            return handlers.hashtag_search(ctx)
        if len(segments) == 1:
            kind, n = handlers.resolve(ctx, segments[0])
            if method == "GET":
                return handlers.get_node(ctx, kind, n)
            if method == "POST":
                return handlers.update_node(ctx, kind, n)
            if method == "DELETE":
                return handlers.delete_node(ctx, kind, n)
        if len(segments) == 2:
            kind, n = handlers.resolve(ctx, segments[0])
            if method == "GET":
                return handlers.get_edge(ctx, kind, n, segments[1])
            if method == "POST":
                return handlers.post_edge(ctx, kind, n, segments[1])
        raise errors.unknown_path("/".join(segments))

    # ------------------------------------------------------------------ headers and faults

    def _usage_headers(self, token: Token | None, key: str, account: WindowCount, app: WindowCount) -> list:
        app_percent = _percent(app)
        headers = [
            (
                "X-App-Usage",
                dumps(
                    {"call_count": app_percent, "total_cputime": app_percent // 3, "total_time": app_percent // 2}
                ).decode(),
            )
        ]
        if token is not None:
            percent = _percent(account)
            regain = math.ceil(self.account_window.regain_seconds(key) / 60) if account.exceeded else 0
            usage = {
                GraphModel.user_id(token.user): [
                    {
                        "type": "instagram",
                        "call_count": percent,
                        "total_cputime": percent // 3,
                        "total_time": percent // 2,
                        "estimated_time_to_regain_access": regain,
                    }
                ]
            }
            headers.append(("X-Business-Use-Case-Usage", dumps(usage).decode()))
        return headers

    @staticmethod
    def _fault_response(fault: str, number: int) -> Response:
        """The replacing faults, Graph-shaped (an HTML page only for `html_error`)."""
        if fault == "html_error":
            return Response(500, ERROR_PAGE, HTML_TYPE)
        error = {
            "rate_limit": errors.business_throttled(1),
            "rate_limit_top_level": errors.app_throttled(),
            "http_500": errors.unknown_error(),
            "http_502": errors.service_unavailable(502),
            "http_503": errors.service_unavailable(503),
        }[fault]
        return Response(error.status, dumps(error.body(f"fault:{number}")), JSON_TYPE)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization") or ""
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _path_name(segment: str) -> str:
    """A path segment as the stats and fault plans name it (`/{ig-user-id}/media`)."""
    resolved = GraphModel.resolve(segment)
    return PATH_NAMES[resolved[0]] if resolved else segment
