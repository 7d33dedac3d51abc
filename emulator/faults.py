"""Deterministic fault injection: what goes wrong, on which request.

A `FaultPlan` says which faults happen: per-kind rates (drawn from a hash of the plan's seed
and the request number, so the same plan and request order give the same faults) and/or an
explicit schedule ("request #3 gets a 502"). Request numbers count the `/v1` requests served
since the plan was installed, starting at 1. The server executes the faults; this module only
decides and remembers.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

# What each kind does (docs/emulator.md has the table):
# answered instead of the real response, the request is NOT handled (no write happens):
REPLACING_KINDS = (
    "rate_limit",  # 429, enveloped body
    "rate_limit_top_level",  # 429, top-level body (2017 sandbox shape)
    "http_500",  # 500, enveloped JSON body
    "http_502",  # 502, HTML page from the load balancer
    "http_503",  # 503, HTML page from the load balancer
    "html_error",  # 500, Instagram's HTML error page
)
# the request IS handled (writes happen), then the answer is delayed, damaged or lost:
DAMAGING_KINDS = (
    "latency",  # answered after `latency_seconds`
    "stall",  # answered after `stall_seconds` (meant to exceed the client's timeout)
    "truncated",  # Content-Length promises the whole body, half is sent, connection closed
    "malformed",  # 200 with a complete but invalid JSON body
    "reset",  # connection reset (TCP RST), no answer
    "duplicate_page",  # a follow-up page request answered with the previous page again
)
FAULT_KINDS = REPLACING_KINDS + DAMAGING_KINDS


@dataclass(frozen=True)
class FaultPlan:
    """Which faults the server injects.

    rates: kind → probability per request (the sum must not exceed 1).
    schedule: request number (1-based) → kind; wins over `rates` for that request.
    burst: a `rate_limit` / `rate_limit_top_level` fault repeats on the next `burst - 1`
        requests too, like a real throttling period.
    endpoints: only requests to these endpoints ("GET /users/{id}/follows") get faults;
        `None` means every endpoint. Other requests are still numbered.
    """

    seed: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    schedule: dict[int, str] = field(default_factory=dict)
    latency_seconds: float = 0.5
    stall_seconds: float = 30.0
    burst: int = 1
    endpoints: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            _check_kind(kind)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate for {kind!r} must be between 0 and 1, got {rate}")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates must add up to at most 1")
        for number, kind in self.schedule.items():
            _check_kind(kind)
            if number < 1:
                raise ValueError(f"scheduled request numbers start at 1, got {number}")
        if self.burst < 1:
            raise ValueError("burst must be >= 1")
        if self.latency_seconds < 0 or self.stall_seconds < 0:
            raise ValueError("latency_seconds and stall_seconds must be >= 0")

    @property
    def kinds(self) -> set[str]:
        """Every kind this plan can inject."""
        return {k for k, rate in self.rates.items() if rate > 0} | set(self.schedule.values())

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultPlan:
        """Build a plan from its JSON form (the control interface's `POST /_emulator/faults`)."""
        unknown = set(raw) - {"seed", "rates", "schedule", "latency_seconds", "stall_seconds", "burst", "endpoints"}
        if unknown:
            raise ValueError(f"unknown fault plan fields: {sorted(unknown)}")
        endpoints = raw.get("endpoints")
        return cls(
            seed=int(raw.get("seed", 0)),
            rates={str(k): float(v) for k, v in (raw.get("rates") or {}).items()},
            schedule={int(k): str(v) for k, v in (raw.get("schedule") or {}).items()},
            latency_seconds=float(raw.get("latency_seconds", 0.5)),
            stall_seconds=float(raw.get("stall_seconds", 30.0)),
            burst=int(raw.get("burst", 1)),
            endpoints=None if endpoints is None else frozenset(map(str, endpoints)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of this plan."""
        return {
            "seed": self.seed,
            "rates": dict(self.rates),
            "schedule": {str(k): v for k, v in sorted(self.schedule.items())},
            "latency_seconds": self.latency_seconds,
            "stall_seconds": self.stall_seconds,
            "burst": self.burst,
            "endpoints": None if self.endpoints is None else sorted(self.endpoints),
        }

    @classmethod
    def from_cli(cls, specs: list[str], **options: Any) -> FaultPlan:
        """Build a plan from `--fault` values: `KIND:RATE` (e.g. `http_502:0.05`) or
        `KIND@N,M,...` (e.g. `reset@3,7`: requests #3 and #7 get a connection reset)."""
        rates: dict[str, float] = {}
        schedule: dict[int, str] = {}
        for spec in specs:
            if "@" in spec:
                kind, _, numbers = spec.partition("@")
                for number in numbers.split(","):
                    schedule[int(number)] = kind
            elif ":" in spec:
                kind, _, rate = spec.partition(":")
                rates[kind] = float(rate)
            else:
                raise ValueError(f"--fault expects KIND:RATE or KIND@N,M; got {spec!r}")
        return cls(rates=rates, schedule=schedule, **options)


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")


@dataclass(frozen=True)
class Decision:
    """The fault (or None) chosen for request `number`, and the plan it came from."""

    number: int
    kind: str | None
    plan: FaultPlan | None


@dataclass(frozen=True)
class FiredFault:
    """One injected fault, as listed by `FaultInjector.fired` and `GET /_emulator/faults`."""

    number: int
    endpoint: str
    kind: str


class FaultInjector:
    """Numbers requests and decides, from the plan, which fault (if any) each one gets.

    Thread-safe. Also remembers the last page served per (client, path) when the plan can
    inject `duplicate_page`, so that it can serve that page again.
    """

    _REMEMBERED_PAGES = 256

    def __init__(self, plan: FaultPlan | None = None):
        self._lock = threading.Lock()
        self.install(plan)

    def install(self, plan: FaultPlan | None) -> None:
        """Use `plan` from now on (None: no faults) and restart the request numbering."""
        with self._lock:
            self.plan = plan
            self._number = 0
            self._burst_left = 0
            self._burst_kind = ""
            self._fired: list[FiredFault] = []
            self._pages: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    @property
    def fired(self) -> list[FiredFault]:
        """The faults injected since the plan was installed, in request order."""
        with self._lock:
            return list(self._fired)

    @property
    def remembers_pages(self) -> bool:
        """Whether pages must be remembered for a later `duplicate_page`."""
        plan = self.plan
        return plan is not None and "duplicate_page" in plan.kinds

    def decide(self, endpoint: str) -> Decision:
        """Number the next request and choose its fault, if any."""
        with self._lock:
            self._number += 1
            number, plan = self._number, self.plan
            if plan is None:
                return Decision(number, None, None)
            if self._burst_left > 0:
                self._burst_left -= 1
                return Decision(number, self._burst_kind, plan)
            if plan.endpoints is not None and endpoint not in plan.endpoints:
                return Decision(number, None, plan)
            kind = plan.schedule.get(number) or _draw(plan, number)
            if kind in ("rate_limit", "rate_limit_top_level") and plan.burst > 1:
                self._burst_left, self._burst_kind = plan.burst - 1, kind
            return Decision(number, kind, plan)

    def note_fired(self, number: int, endpoint: str, kind: str) -> None:
        """Record that a fault was actually injected."""
        with self._lock:
            self._fired.append(FiredFault(number, endpoint, kind))

    def remember_page(self, key: tuple[str, str], body: bytes) -> None:
        """Keep `body` as the latest page served for `key` (client, path)."""
        with self._lock:
            self._pages[key] = body
            self._pages.move_to_end(key)
            while len(self._pages) > self._REMEMBERED_PAGES:
                self._pages.popitem(last=False)

    def previous_page(self, key: tuple[str, str]) -> bytes | None:
        """The page served last for `key`, if remembered."""
        with self._lock:
            return self._pages.get(key)


def _draw(plan: FaultPlan, number: int) -> str | None:
    """Pick a kind for request `number` from the rates, deterministically from the seed."""
    digest = hashlib.blake2b(f"{plan.seed}:{number}".encode(), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / 2**64
    for kind in sorted(plan.rates):  # sorted: the draw must not depend on dict order
        point -= plan.rates[kind]
        if point < 0:
            return kind
    return None
