"""The control interface under `/_emulator/` (no auth; loopback clients only).

| method and path | does |
| --- | --- |
| GET /_emulator/world | seed, size, clock, default user, era |
| GET /_emulator/stats | request counters |
| POST /_emulator/stats/reset | zero the counters |
| POST /_emulator/advance | move the world clock: `seconds` and optional counts (JSON or form) |
| GET /_emulator/faults | the fault plan and the faults fired so far |
| POST /_emulator/faults | install a fault plan (JSON, `FaultPlan.from_dict`) |
| DELETE /_emulator/faults | no more faults |
| POST /_emulator/ratelimit/reset | forget the requests counted by the rate limits |
| GET /_emulator/token?user_id=&scope= | a token of the world (scopes space-separated); Graph mode: `kind=` fb_long, fb_short, ig_long, ig_short, page |
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from .faults import FaultPlan
from .transport import JSON_TYPE, Request, Response

if TYPE_CHECKING:
    from .server import Emulator

PREFIX = "/_emulator"
ADVANCE_COUNTS = ("new_media", "new_follows", "unfollows", "new_likes", "new_comments")


class ControlError(Exception):
    """A bad control request (answered with 400 and the reason)."""


class ControlInterface:
    """Answers `/_emulator/...` requests for one emulator."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self._routes: dict[tuple[str, str], Callable[[Request], object]] = {
            ("GET", "/world"): self._world,
            ("GET", "/stats"): lambda _: emulator.stats.snapshot(),
            ("POST", "/stats/reset"): self._reset_stats,
            ("POST", "/advance"): self._advance,
            ("GET", "/faults"): self._faults,
            ("POST", "/faults"): self._set_faults,
            ("DELETE", "/faults"): self._clear_faults,
            ("POST", "/ratelimit/reset"): self._reset_rate_limits,
            ("GET", "/token"): self._token,
        }

    def __call__(self, request: Request) -> Response:
        if not ipaddress.ip_address(request.client_ip.split("%")[0]).is_loopback:
            return _json(403, {"error": "the control interface answers loopback clients only"})
        action = self._routes.get((request.method, request.path[len(PREFIX) :].rstrip("/")))
        if action is None:
            return _json(
                404,
                {
                    "error": "unknown control endpoint",
                    "endpoints": sorted(f"{method} {PREFIX}{path}" for method, path in self._routes),
                },
            )
        try:
            return _json(200, action(request))
        except (ControlError, ValueError, KeyError, TypeError) as error:
            return _json(400, {"error": str(error)})

    def _world(self, _: Request) -> dict:
        emulator = self.emulator
        return {
            "config": dataclasses.asdict(emulator.world.config),
            "now": emulator.world.now,
            "default_user_id": emulator.world.default_user_id,
            "api": emulator.api,
            "era": emulator.era,
            "follows_any_user": emulator.follows_any_user,
        }

    def _reset_stats(self, _: Request) -> dict:
        self.emulator.stats.reset()
        return {"ok": True}

    def _advance(self, request: Request) -> dict:
        fields = _fields(request)
        if "seconds" not in fields:
            raise ControlError("advance needs `seconds`")
        unknown = set(fields) - {"seconds", *ADVANCE_COUNTS}
        if unknown:
            raise ControlError(f"unknown advance fields: {sorted(unknown)}")
        counts = {name: int(fields[name]) for name in ADVANCE_COUNTS if fields.get(name) is not None}
        return self.emulator.advance(int(fields["seconds"]), **counts)

    def _faults(self, _: Request) -> dict:
        plan = self.emulator.fault_plan
        return {
            "plan": None if plan is None else plan.to_dict(),
            "fired": [dataclasses.asdict(fired) for fired in self.emulator.fired_faults],
        }

    def _set_faults(self, request: Request) -> dict:
        self.emulator.set_faults(FaultPlan.from_dict(_fields(request)))
        return self._faults(request)

    def _clear_faults(self, request: Request) -> dict:
        self.emulator.clear_faults()
        return self._faults(request)

    def _reset_rate_limits(self, _: Request) -> dict:
        self.emulator.reset_rate_limits()
        return {"ok": True}

    def _token(self, request: Request) -> dict:
        return self.emulator.issue_token(dict(request.query))


def _fields(request: Request) -> dict:
    """The request's fields: a JSON object body (whatever its Content-Type: `curl -d` declares
    JSON as a form), else form fields, else the query."""
    if request.body.lstrip().startswith((b"{", b"[")):
        try:
            fields = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            raise ControlError(f"the body is not valid JSON: {error}") from None
        if not isinstance(fields, dict):
            raise ControlError("the body must be a JSON object")
        return fields
    if request.form:
        return dict(request.form)
    if request.body:
        raise ControlError("the body is neither a JSON object nor form fields")
    return dict(request.query)


def _json(status: int, body: object) -> Response:
    return Response(status, orjson.dumps(body), JSON_TYPE)
