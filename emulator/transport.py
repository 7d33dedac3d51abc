"""The HTTP transport: a threaded stdlib server with HTTP/1.1 keep-alive.

It turns each HTTP request into a `Request`, asks the application for a `Response` and
writes it in a single send (no Nagle/delayed-ACK stalls on keep-alive connections). It also
carries out the transport-level faults the application asks for: a delay, a truncated body,
a connection reset. It never logs request lines: they carry access tokens.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MAX_BODY_BYTES = 1 << 20


@dataclass
class Request:
    """One HTTP request, as the application sees it."""

    method: str
    path: str  # as received, without the query string
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]  # form fields of a urlencoded body (or of one with no Content-Type)
    body: bytes
    headers: Message
    client_ip: str
    host: str  # the Host header (or the server's address): next_urls point back here


@dataclass
class Response:
    """What to send back, and how to damage it.

    `delay`: seconds to wait before answering (latency, stalls).
    `damage`: None, "truncated" (send half the body, then close) or "reset" (TCP RST).
    """

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    damage: str | None = None


Application = Callable[[Request], Response]
FORM_TYPE = "application/x-www-form-urlencoded"


def _is_form(headers: Message) -> bool:
    """Whether a body is form fields: declared as form-urlencoded (any case, any parameters), or
    sent with no Content-Type at all, as real clients did and the API accepted (docs/api.md §1).
    A body of any other declared type is not read."""
    declared = (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    return declared in ("", FORM_TYPE)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = 120  # seconds an idle keep-alive connection may hold its thread
    server: _Server

    def _serve(self) -> None:
        request = self._read_request()
        if request is None:
            return
        try:
            response = self.server.application(request)
        except Exception as error:  # a bug: answer 500 and say where, never what (tokens)
            frames = "".join(traceback.format_tb(error.__traceback__))
            print(f"emulator: internal error {type(error).__name__}\n{frames}", file=sys.stderr, flush=True)
            response = Response(500, b"internal error", "text/plain; charset=utf-8")
        if response.delay > 0 and self.server.stopping.wait(response.delay):
            self.close_connection = True  # shutting down: drop the delayed answer
            return
        if response.damage == "reset":
            self._reset_connection()
            return
        self._write(response)

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = do_PATCH = _serve

    def _read_request(self) -> Request | None:
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(HTTPStatus.BAD_REQUEST, "bad Content-Length")
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return None
        body = self.rfile.read(length) if length else b""
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True) if _is_form(self.headers) else []
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return Request(
            method=self.command,
            path=split.path,
            query=parse_qsl(split.query, keep_blank_values=True),
            form=form,
            body=body,
            headers=self.headers,
            client_ip=self.client_address[0],
            host=host,
        )

    def _write(self, response: Response) -> None:
        reason = HTTPStatus(response.status).phrase
        lines = [f"HTTP/1.1 {response.status} {reason}", f"Content-Type: {response.content_type}"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        lines.append(f"Content-Length: {len(response.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = b"" if self.command == "HEAD" else response.body
        if response.damage == "truncated":
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(head + body)

    def _reset_connection(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        """Silenced: request lines carry access tokens, which must never reach a log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], application: Application):
        self.application = application
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients that hang up (resets, timeouts) are normal here."""


class HttpServer:
    """Serves `application` on `host:port` (port 0: a free port) from a background thread."""

    def __init__(self, application: Application, host: str = "127.0.0.1", port: int = 0):
        self._server = _Server((host, port), application)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Start accepting connections in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"emulator-http-{self.address[1]}",
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, wake delayed answers, close the listening socket."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
