"""`python -m emulator`: serve the v1 API (or with `--api graph` the Graph API) of a seeded world
until SIGINT or SIGTERM.

The first line on stdout is the base URL (`http://HOST:PORT/v1`; Graph mode
`http://HOST:PORT`, with versioned paths), printed once the server accepts connections. See
docs/emulator.md for every flag.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading

from .faults import FAULT_KINDS, FaultPlan
from .routes import ERAS
from .server import Emulator
from .world import World, WorldConfig

SECRET_ENV = "EMULATOR_CLIENT_SECRET"


def _world_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per WorldConfig field (`--users`, `--media-per-user`, ...)."""
    group = parser.add_argument_group("world", "size and shape of the synthetic world")
    for config_field in dataclasses.fields(WorldConfig):
        flag = "--" + config_field.name.replace("_", "-")
        kind = float if config_field.type in (float, "float") else int
        group.add_argument(
            flag,
            type=kind,
            default=config_field.default,
            dest=config_field.name,
            help=f"(default: {config_field.default})",
        )


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: 0, a free port)")
    parser.add_argument(
        "--api", choices=("v1", "graph"), default="v1", help="the v1 API (default) or the Instagram Graph API"
    )
    parser.add_argument("--access-token", help="also accept this token for the default user (all scopes)")
    parser.add_argument("--era", choices=ERAS, default="2016")
    parser.add_argument(
        "--follows-any-user", action="store_true", help="serve follows/followed-by of any user, not only self"
    )
    parser.add_argument("--rate-limit", type=int, default=5000, help="requests per token per window")
    parser.add_argument("--rate-window", type=float, default=3600, help="window in seconds (sliding)")
    parser.add_argument(
        "--write-limit", type=int, default=60, help="likes/comments/relationship writes per token per window, each"
    )
    parser.add_argument("--enforce-signature", action="store_true", help="require a valid `sig`")
    parser.add_argument(
        "--enforce-forwarded-for", action="store_true", help="require a signed X-Insta-Forwarded-For header on writes"
    )
    parser.add_argument(
        "--client-secret",
        default=os.environ.get(SECRET_ENV),
        help=f"the app's client secret (or the {SECRET_ENV} environment variable)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    faults = parser.add_argument_group("faults", f"kinds: {', '.join(FAULT_KINDS)}")
    faults.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND:RATE|KIND@N,M",
        help="e.g. http_502:0.05 (5%% of requests) or reset@3,7 (requests #3 and #7)",
    )
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument("--stall-seconds", type=float, default=30.0)
    faults.add_argument("--fault-latency", type=float, default=0.5, help="seconds of a `latency` fault")
    faults.add_argument("--fault-burst", type=int, default=1, help="length of 429 bursts")
    _world_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = WorldConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(WorldConfig)})
        plan = (
            FaultPlan.from_cli(
                args.fault,
                seed=args.fault_seed,
                stall_seconds=args.stall_seconds,
                latency_seconds=args.fault_latency,
                burst=args.fault_burst,
            )
            if args.fault
            else None
        )
        emulator = Emulator(
            World(config),
            api=args.api,
            era=args.era,
            follows_any_user=args.follows_any_user,
            rate_limit=args.rate_limit,
            rate_window=args.rate_window,
            write_limit=args.write_limit,
            enforce_signature=args.enforce_signature,
            enforce_forwarded_for=args.enforce_forwarded_for,
            client_secret=args.client_secret,
            latency=args.latency,
            faults=plan,
            host=args.host,
            port=args.port,
        )
    except ValueError as error:
        parser.error(str(error))
    if args.access_token:
        emulator.add_token(args.access_token)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with emulator:
        print(emulator.base_url, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
