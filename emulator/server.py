"""`Emulator`: the v1 API or the Graph API of a `World`, served over HTTP on loopback (docs/emulator.md)."""

from __future__ import annotations

from types import TracebackType

from .api import ApiApplication, LimitOptions
from .control import PREFIX, ControlInterface
from .faults import FaultInjector, FaultPlan, FiredFault
from .graph.app import GraphApplication, GraphOptions
from .routes import ApiOptions
from .stats import Stats
from .transport import HttpServer, Request, Response
from .world import ALL_SCOPES, World

APIS = ("v1", "graph")


class Emulator:
    """Serves the Instagram v1 API (`api="v1"`) or the Instagram Graph API (`api="graph"`) of
    `world` on `host:port` (port 0: a free port).

    Use it as a context manager, or call `start()` / `stop()`. Options are described in
    docs/emulator.md; they match the `python -m emulator` flags. In Graph mode `era`,
    `follows_any_user`, `write_limit` and `enforce_forwarded_for` do not apply, and
    `enforce_signature` requires `appsecret_proof`.
    """

    def __init__(
        self,
        world: World,
        api: str = "v1",
        era: str = "2016",
        follows_any_user: bool = False,
        rate_limit: int = 5000,
        rate_window: float = 3600,
        write_limit: int = 60,
        enforce_signature: bool = False,
        client_secret: str | None = None,
        enforce_forwarded_for: bool = False,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        if latency < 0:
            raise ValueError("latency must be >= 0 seconds")
        if api not in APIS:
            raise ValueError(f"api must be one of {APIS}")
        self.world = world
        self.api = api
        self.stats = Stats()
        self._faults = FaultInjector(faults)
        self._api: ApiApplication | GraphApplication
        if api == "graph":
            self._api = GraphApplication(
                world,
                GraphOptions(rate_limit, rate_window, require_proof=enforce_signature, app_secret=client_secret),
                self._faults,
                self.stats,
                latency=latency,
            )
        else:
            self._api = ApiApplication(
                world,
                ApiOptions(era=era, follows_any_user=follows_any_user),
                LimitOptions(
                    rate_limit=rate_limit,
                    rate_window=rate_window,
                    write_limit=write_limit,
                    enforce_signature=enforce_signature,
                    enforce_forwarded_for=enforce_forwarded_for,
                    client_secret=client_secret,
                ),
                self._faults,
                self.stats,
                latency=latency,
            )
        self._control = ControlInterface(self)
        self._address = (host, port)
        self._server: HttpServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        """Bind and serve from a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = HttpServer(self._handle, *self._address)
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _handle(self, request: Request) -> Response:
        if request.path.startswith(PREFIX + "/"):
            return self._control(request)
        return self._api(request)

    # ------------------------------------------------------------------ what clients need

    @property
    def port(self) -> int:
        """The port served on."""
        if self._server is None:
            raise RuntimeError("the emulator is not running: use start() or a with block")
        return self._server.address[1]

    @property
    def root_url(self) -> str:
        """`http://HOST:PORT`, the address of the server (the control interface is under it)."""
        host = self._address[0]
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API root to give clients: `http://HOST:PORT/v1`, or in Graph mode
        `http://HOST:PORT` (paths carry their version: `/v24.0/me`)."""
        return self.root_url if self.api == "graph" else f"{self.root_url}/v1"

    @property
    def access_token(self) -> str:
        """v1: a token with every scope for `world.default_user_id` (the user `self` means).
        Graph: a long-lived Facebook Login token of that user, issued now (world clock)."""
        if isinstance(self._api, GraphApplication):
            return self._api.issue_token({})["access_token"]
        return self.world.token_for(self.world.default_user_id)

    @property
    def graph(self) -> GraphApplication:
        """The Graph application (Graph mode only): its model, tokens and limits."""
        if not isinstance(self._api, GraphApplication):
            raise RuntimeError("not a Graph mode emulator")
        return self._api

    def issue_token(self, params: dict[str, str]) -> dict:
        """What `GET /_emulator/token` answers: v1 `user_id` and `scope`; Graph `kind`
        (fb_long, fb_short, ig_long, ig_short, page) and `user_id`."""
        if isinstance(self._api, GraphApplication):
            return self._api.issue_token(params)
        user_id = params.get("user_id") or self.world.default_user_id
        scopes = params.get("scope", " ".join(ALL_SCOPES)).split()
        return {"user_id": user_id, "access_token": self.world.token_for(user_id, scopes)}

    @property
    def era(self) -> str | None:
        return None if isinstance(self._api, GraphApplication) else self._api.options.era

    @property
    def follows_any_user(self) -> bool | None:
        return None if isinstance(self._api, GraphApplication) else self._api.options.follows_any_user

    def add_token(self, token: str, user_id: str | None = None, scopes: tuple[str, ...] = ALL_SCOPES) -> None:
        """Accept `token` for `user_id` (default: the world's default user), besides the
        world's own tokens (the CLI's `--access-token`). Graph mode: a token that never expires."""
        user_id = user_id or self.world.default_user_id
        if isinstance(self._api, GraphApplication):
            self._api.add_token(token, self.world.user_index(user_id))
        else:
            self._api.add_token(token, user_id, scopes)

    # ------------------------------------------------------------------ control

    def advance(self, seconds: int, **counts: int) -> dict:
        """`world.advance(...)` while no request is being answered; returns its summary."""
        with self._api.world_lock:
            summary = self.world.advance(seconds, **counts)
            if isinstance(self._api, GraphApplication):
                self._api.model.note_advance(summary)
            return summary

    def set_faults(self, plan: FaultPlan) -> None:
        """Inject faults from `plan` from the next request on (request numbers restart at 1)."""
        self._faults.install(plan)

    def clear_faults(self) -> None:
        """No more faults."""
        self._faults.install(None)

    @property
    def fault_plan(self) -> FaultPlan | None:
        return self._faults.plan

    @property
    def fired_faults(self) -> list[FiredFault]:
        """The faults injected since the plan was installed."""
        return self._faults.fired

    def reset_rate_limits(self) -> None:
        """Forget the requests counted by the global and write rate limits."""
        self._api.reset_limits()
