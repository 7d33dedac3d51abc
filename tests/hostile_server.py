"""A hostile v1 server for tests: a stdlib HTTP server on 127.0.0.1 (port 0, one thread) that
answers what a test scripted, per path and cursor, in the v1 envelope or as raw bytes.

It serves what a real server never should: lone surrogates, answers nested 100,000 levels
deep, cursors that lead back to a page already served, pages a hundred times larger than the
`count` asked for, an answer that never ends. Anything not scripted gets the v1
`APINotFoundError` (HTTP 400). Every answer says the hourly allowance is `rate_limit`, minus the
requests served.

    with HostileServer() as server:
        server.page("/users/1/media/recent", [media(...)], next_cursor="2")
        server.page("/users/1/media/recent", [media(...)], cursor="2")
        instagram(base_url=server.base_url, access_token=server.access_token, ...)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The query parameters that send a cursor back, by the pagination key that carried it
# (docs/api.md §3.2).
CURSOR_PARAMS = {"next_max_id": "max_id", "next_cursor": "cursor", "next_max_tag_id": "max_tag_id"}
CURSOR_PARAMS["next_max_like_id"] = "max_like_id"
ENDLESS_CHUNK = b'{"id": "0", "username": "endless"},' * 1000
ENDLESS_MAX_BYTES = 2**30  # a guard for the tests: a client that never hangs up gets 1 GiB


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: the status and the body, bytes as they are sent; an endless one
    repeats `ENDLESS_CHUNK` after the body, without a Content-Length, until the client leaves."""

    status: int
    body: bytes
    endless: bool = False


class HostileServer:
    """Serves scripted v1 answers on loopback; `requests` lists what was asked, in order, and
    `raw_paths` each request's path as it came on the wire (`/v1` included, not decoded)."""

    access_token = "hostile-token-0123456789"

    def __init__(self, rate_limit: int = 5000) -> None:
        self.rate_limit = rate_limit
        self.endless_bytes_sent = 0
        self._answers: dict[tuple[str, str | None], Scripted] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.raw_paths: list[str] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-v1", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- scripting ---------------------------------------------------------------------------

    def raw(self, path: str, body: bytes, *, status: int = 200, cursor: str | None = None) -> None:
        """Answer GET `/v1{path}` (with `cursor` sent back, or none) with these very bytes."""
        self._answers[(path, cursor)] = Scripted(status, body)

    def answer(
        self, path: str, data: Any, *, pagination: Mapping[str, Any] | None = None, cursor: str | None = None
    ) -> None:
        """Answer with the v1 envelope around `data` (JSON with `\\u` escapes, as the API sent it)."""
        envelope: dict[str, Any] = {"meta": {"code": 200}, "data": data}
        if pagination is not None:
            envelope["pagination"] = pagination
        self.raw(path, json.dumps(envelope).encode(), cursor=cursor)

    def page(
        self,
        path: str,
        items: Sequence[Any],
        *,
        cursor: str | None = None,
        next_cursor: str | None = None,
        key: str = "next_max_id",
    ) -> None:
        """One page of a list: `items`, and `next_cursor` under the pagination `key`."""
        pagination = {key: next_cursor} if next_cursor is not None else {}
        self.answer(path, list(items), pagination=pagination, cursor=cursor)

    def endless(self, path: str) -> None:
        """Answer with a v1 list that never ends: items, as fast as the client reads them."""
        self._answers[(path, None)] = Scripted(200, b'{"meta": {"code": 200}, "data": [', endless=True)

    def error(
        self, path: str, error_type: str = "APINotFoundError", message: str = "not found", status: int = 400
    ) -> None:
        """Answer with a v1 error."""
        meta = {"code": status, "error_type": error_type, "error_message": message}
        self.raw(path, json.dumps({"meta": meta}).encode(), status=status)

    def served(self, path: str) -> int:
        """How many requests asked for `path`."""
        with self._lock:
            return sum(1 for asked, _ in self.requests if asked == path)

    # -- serving -----------------------------------------------------------------------------

    def _lookup(self, path: str, params: dict[str, str]) -> Scripted:
        cursor = next((params[name] for name in CURSOR_PARAMS.values() if name in params), None)
        found = self._answers.get((path, cursor))
        if found is not None:
            return found
        meta = {"code": 400, "error_type": "APINotFoundError", "error_message": f"nothing scripted for {path}"}
        return Scripted(400, json.dumps({"meta": meta}).encode())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                url = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                params.pop("access_token", None)
                path = url.path.removeprefix("/v1")
                with server._lock:
                    server.requests.append((path, params))
                    server.raw_paths.append(url.path)
                    remaining = max(0, server.rate_limit - len(server.requests))
                scripted = server._lookup(path, params)
                self.send_response(scripted.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                if scripted.endless:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(scripted.body)))
                self.send_header("X-Ratelimit-Limit", str(server.rate_limit))
                self.send_header("X-Ratelimit-Remaining", str(remaining))
                self.end_headers()
                self.wfile.write(scripted.body)
                while scripted.endless and server.endless_bytes_sent < ENDLESS_MAX_BYTES:
                    self.wfile.write(ENDLESS_CHUNK)  # until the client hangs up (the write then fails)
                    server.endless_bytes_sent += len(ENDLESS_CHUNK)

            def log_message(self, *_: Any) -> None:
                pass  # quiet

        return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up on an endless answer is the point


def media(media_id: str, owner_id: str, *, caption: str | None = None, created_time: int = 1_500_000_000) -> dict:
    """A v1 Media object (docs/api.md §4.2), as small as the source accepts."""
    owner = {"id": owner_id, "username": f"user{owner_id}", "full_name": "", "profile_picture": ""}
    return {
        "id": media_id,
        "type": "image",
        "created_time": str(created_time),
        "link": f"https://www.instagram.com/p/{media_id}/",
        "filter": "Normal",
        "user": owner,
        "caption": None if caption is None else {"id": f"c{media_id}", "text": caption, "from": owner},
        "likes": {"count": 0},
        "comments": {"count": 0},
        "tags": [],
        "users_in_photo": [],
        "images": {"standard_resolution": {"url": f"https://img.example/{media_id}.jpg"}},
    }


def user(user_id: str) -> dict:
    """A short v1 User object (docs/api.md §4.1)."""
    return {"id": user_id, "username": f"user{user_id}", "full_name": f"User {user_id}", "profile_picture": ""}
