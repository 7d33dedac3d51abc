"""The HTTP core both sources' clients are built on: per-thread `requests` sessions that read a
body only up to `MAX_ANSWER_BYTES` and whose connections a stop request cuts, tenacity retries
whose waits a stop request ends, pacing on the run's budget, the rule that reads failing in a
row mean the server is down, the server's clock, repair of lone UTF-16 surrogates, and the
checks on an answer's size and length.

A source's client subclasses `HttpClient` with what is its API's own: how a request is
authenticated (`_request_params`), how an answer is decoded into an `Answer` or an error
(`_parse`), and what a request costs in a probe of the server's clock (`_probe_clock`).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .budget import PacingBudget
from .errors import (
    ANSWER_TOO_DEEP,
    ANSWER_TOO_LARGE,
    PAGE_TOO_LARGE,
    BudgetExhausted,
    InstagramAuthError,
    InstagramBadAnswer,
    InstagramError,
    InstagramRateLimited,
    InstagramRetriesExhausted,
    InstagramTransientError,
    InstagramUnavailable,
    InstagramWrongApi,
    RunStopped,
)
from .redaction import REDACTION, install_secret_filter, shorten
from .settings import MAX_ANSWER_BYTES, MAX_ITEMS_PER_ANSWER, MAX_REMEMBERED_REPAIRS, PAGE_SIZE_TOLERANCE
from .status import LastRun, RunStatus

logger = logging.getLogger("sources.instagram")

# Reads that outlast their retries one after the other, with no success in between, before the
# server counts as down for the rest of the run.
FAILURES_IN_A_ROW_MEAN_DOWN = 5

# Set once by `request_stop` (the CLI's SIGINT/SIGTERM handler): the process is stopping.
_STOP_REQUESTED = threading.Event()
_CLIENTS: weakref.WeakSet[HttpClient] = weakref.WeakSet()
# Every HTTP connection the clients opened and have not yet dropped (`request_stop`).
_CONNECTIONS: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()


def request_stop() -> None:
    """Stop every client of this process: no new request starts, waits between attempts end,
    and requests in flight fail at once (their sockets are shut down: closing a session closes
    only its idle connections, and a stalled answer would hold the run for the whole request
    timeout). Each reader ends as if the budget had run out, so the run loads what it read.
    Safe to call from a signal handler."""
    _STOP_REQUESTED.set()
    for client in list(_CLIENTS):
        client.close_connections()
    for connection in list(_CONNECTIONS):
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once
            except OSError:  # already closed
                pass


def stop_requested() -> bool:
    """Whether `request_stop` was called."""
    return _STOP_REQUESTED.is_set()


def wait_unless_stopped(seconds: float) -> None:
    """Wait `seconds`, or less if a stop is requested meanwhile."""
    _STOP_REQUESTED.wait(seconds)


@dataclass
class Answer:
    """One successful API answer: `data`, `pagination` and the server time it was observed."""

    data: Any
    pagination: dict[str, Any]
    observed_at: datetime


@runtime_checkable
class RunClient(Protocol):
    """What the readers of a run (`SourceRun.client`) need of any source's client."""

    status: RunStatus
    workers: int
    first_observed_at: datetime | None

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, endpoint: str = "") -> Answer: ...

    def server_now(self, probe: bool = True) -> datetime | None: ...

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]: ...


class HttpClient:
    """A client on `requests.Session` with tenacity retries and budget pacing; subclasses add
    their API's authentication and envelope."""

    # what the answers of a working server are called in messages ("no v1 answer yet")
    api_name = "API"

    def __init__(
        self,
        base_url: str,
        secrets: Iterable[str | None],
        budget: PacingBudget,
        *,
        timeout: float,
        attempts: int,
        workers: int,
        backoff_seconds: float,
        max_backoff_seconds: float,
        status: RunStatus | None,
    ):
        """`secrets`: what no log line may show (masked from now on); `status`: the run's
        status, where the client notes what stopped the run and the reads that failed (by
        default one of its own)."""
        install_secret_filter(*secrets)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.budget = budget
        self.workers = max(1, workers)
        self._backoff = (backoff_seconds, max_backoff_seconds)
        self._local = threading.local()
        self._sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()
        self._count_lock = threading.Lock()
        self.requests_made = 0
        self.status = status or RunStatus()
        self.first_observed_at: datetime | None = None
        self._latest_answer: datetime | None = None  # the server's time in its latest answer
        self.api_answers = 0  # answers in the API's envelope (errors included): the server speaks it
        self._failures_in_a_row = 0
        self._failing_endpoints: set[str] = set()
        self.texts_repaired = 0  # strings of answers whose lone surrogates were replaced
        self._repaired: dict[int, str] = {}  # hash of a repaired string → the endpoint that sent it
        _CLIENTS.add(self)

    # -- what a source's client defines -----------------------------------------------------

    def _request_params(self, path: str, query: dict[str, str]) -> dict[str, str]:
        """The query string of a request: `query` with the credentials."""
        raise NotImplementedError

    def _parse(
        self, status: int, headers: Mapping[str, str], body: bytes, safe: str, endpoint: str, query: Mapping[str, str]
    ) -> Answer:
        """The `Answer` of a response to a request with `query`, or the error it is."""
        raise NotImplementedError

    def _probe_clock(self) -> None:
        """One cheap request, whose answer tells the server's time."""
        raise NotImplementedError

    # -- public -----------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, endpoint: str = "") -> Answer:
        """GET `path` (relative to base_url), retrying transient failures.

        Raises `BudgetExhausted` when the run's budget is spent, `RunStopped` once the run
        stops (a refused token, a server that does not speak the API or is down,
        SIGINT/SIGTERM), an `InstagramEntityError` subclass for per-entity refusals,
        `InstagramBadAnswer` (also per entity) for an answer that cannot be used, and
        `InstagramRetriesExhausted` (also per entity) when retries did not help.
        """
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        endpoint = endpoint or path
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=self._backoff[0], max=self._backoff[1]),
            retry=retry_if_exception_type(InstagramTransientError),
            before_sleep=self._log_retry,
            sleep=_STOP_REQUESTED.wait,  # a stop request ends the wait between attempts
            reraise=True,
        )
        try:
            answer = retrying(self._get_once, path, query, endpoint)
        except InstagramRateLimited:
            self.budget.run_out()
            raise BudgetExhausted() from None
        except InstagramTransientError as error:
            if _STOP_REQUESTED.is_set():
                raise RunStopped() from None
            self._failed(error)
            raise InstagramRetriesExhausted(error, self.attempts) from None
        except (InstagramAuthError, InstagramWrongApi) as error:
            self.stop(error)
            raise RunStopped() from None
        with self._count_lock:
            self._failures_in_a_row = 0
            self._failing_endpoints.clear()
        return answer

    def stop(self, reason: InstagramError) -> None:
        """Stop the run for `reason` (the first reason wins): every later request raises
        `RunStopped`, so each reader ends as if the budget had run out."""
        if self.status.stop(reason):
            logger.error("stopping the run: %s", reason)

    def server_now(self, probe: bool = True) -> datetime | None:
        """The server's clock: the time of its latest answer. Schedules run on the server's
        clock (the emulator's world clock moves only when it is advanced); a run that needs
        the time before any answer asks for it (with `probe`; else None)."""
        if self._latest_answer is None and probe:
            self._probe_clock()
        if self._latest_answer is None:
            return None if not probe else local_time()  # a server that sends no Date header
        return self._latest_answer

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """`function` over `items` on the client's worker threads, results in input order."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="instagram-detail") as pool:
            yield from pool.map(function, items)

    def last_run(self, **refresh: Any) -> LastRun:
        """The run's figures, with `refresh` (the schedule's), for the source state."""
        return self.status.last_run(
            requests=self.requests_made,
            rate_limit_remaining=self.budget.remaining,
            budget_exhausted=self.budget.exhausted,
            interrupted=_STOP_REQUESTED.is_set(),
            sanitize=self.sanitize,
            **refresh,
        )

    def close_connections(self) -> None:
        """Close every worker's session, so that requests in flight fail at once."""
        for session in list(self._sessions):
            session.close()

    def sanitize(self, text: str) -> str:
        """`text` with every secret masked."""
        return REDACTION.redact(text)

    def repaired(self, text: str) -> str | None:
        """The endpoint of the answer that held `text` with lone surrogates (which this client
        replaced with U+FFFD), or None when `text` is not such a repaired string. The first
        `MAX_REMEMBERED_REPAIRS` repaired strings of a run are remembered (by hash)."""
        return self._repaired.get(hash(text)) if self._repaired else None

    # -- internals --------------------------------------------------------------------------

    def _failed(self, error: InstagramTransientError) -> None:
        """Count an entity read that outlasted its retries. A server that failed
        `FAILURES_IN_A_ROW_MEAN_DOWN` reads in a row on more than one endpoint is down for the
        whole run; so is one that never answered in the API's envelope, once reads of a second
        endpoint (or that many reads) failed too. One endpoint failing always concerns its
        entities only, even when it is the first one read."""
        with self._count_lock:
            self.status.entity_failed()
            self._failures_in_a_row += 1
            self._failing_endpoints.add(error.endpoint)
            many = self._failures_in_a_row >= FAILURES_IN_A_ROW_MEAN_DOWN
            several = len(self._failing_endpoints) > 1
            down = (many and several) or (not self.api_answers and (many or several))
        if down:
            how = (
                f"no {self.api_name} answer yet"
                if not self.api_answers
                else f"{self._failures_in_a_row} reads in a row failed"
            )
            self.stop(InstagramUnavailable(f"the API server is unavailable ({how}); last error: {error}"))
            raise RunStopped() from None

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "instagram-dlt-source"
            for scheme in ("http://", "https://"):
                session.mount(scheme, BoundedBodyAdapter())
            self._local.session = session
            self._sessions.add(session)
        return session

    def _get_once(self, path: str, query: dict[str, str], endpoint: str) -> Answer:
        if self.status.stopped_by is not None or _STOP_REQUESTED.is_set():
            raise RunStopped()
        params = self._request_params(path, query)
        safe = f"{endpoint} ({path})"
        self.budget.acquire()
        if self.status.stopped_by is not None or _STOP_REQUESTED.is_set():  # while it waited its turn
            self.budget.release(None)
            raise RunStopped()
        headers: Mapping[str, str] | None = None
        failure: InstagramError | None = None
        try:
            response = self._session().get(self.base_url + path, params=params, timeout=self.timeout)
            headers = response.headers
            body = response.content
        except AnswerTooLarge as error:
            headers = error.response.headers
            message = f"{safe}: HTTP {error.response.status_code}, an answer longer than {error.limit} bytes; refused"
            failure = refused(message, ANSWER_TOO_LARGE, endpoint, server_time(headers))
        except requests.RequestException as error:  # its text holds the full URL: never reuse it
            failure = InstagramTransientError(
                f"{safe}: {type(error).__name__} (connection failed or timed out)", endpoint=endpoint
            )
        finally:
            with self._count_lock:
                self.requests_made += 1
            self.budget.release(headers)
        if failure is not None:
            raise failure
        return self._parse(response.status_code, response.headers, body, safe, endpoint, query)

    def _observe(self, headers: Mapping[str, str]) -> datetime:
        """The server's time of an answer (its Date header, else the local clock), noted as the
        run's first and latest."""
        observed_at = server_time(headers)
        if self.first_observed_at is None:
            self.first_observed_at = observed_at  # stays None until a server says its time
        if observed_at is not None:
            self._latest_answer = max(observed_at, self._latest_answer or observed_at)
        return observed_at or local_time()

    def _decode(self, status: int, body: bytes, safe: str, endpoint: str, observed_at: datetime) -> Any:
        """The decoded JSON of a body (None when it is not JSON)."""
        try:
            return json.loads(body)
        except ValueError:
            return None
        except RecursionError:  # the decoder recurses once per level of nesting
            raise refused(
                f"{safe}: HTTP {status}, an answer nested too deep to decode", ANSWER_TOO_DEEP, endpoint, observed_at
            ) from None

    def _counted_answer(self, body: bytes, content: Any, safe: str, endpoint: str) -> None:
        """Count an answer in the API's envelope, and repair its lone surrogates."""
        with self._count_lock:
            self.api_answers += 1
        if _SURROGATE_ESCAPE.search(body):  # a lone surrogate can only come from such an escape
            self._repair(content, safe, endpoint)

    def _repair(self, content: Any, safe: str, endpoint: str) -> None:
        """Replace the lone surrogates of a decoded answer, remember the repaired strings (so
        that `repaired` flags the rows holding them) and say where they were."""
        repairs = repair_surrogates(content)
        if not repairs:
            return
        with self._count_lock:
            self.texts_repaired += len(repairs)
            for _, text in repairs:
                if len(self._repaired) >= MAX_REMEMBERED_REPAIRS:
                    break
                self._repaired.setdefault(hash(text), endpoint)
        places = [_place(where, content) for where, _ in repairs[:5]]
        more = f" and {len(repairs) - 5} more" if len(repairs) > 5 else ""
        logger.warning(
            "%s: lone UTF-16 surrogates replaced with U+FFFD in %d strings: %s%s",
            safe,
            len(repairs),
            ", ".join(places),
            more,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.info("retrying after %s (attempt %d of %d)", error, state.attempt_number, self.attempts)


# A lone surrogate in a decoded answer can only come from a `\uD800`-`\uDFFF` escape (raw
# surrogate bytes are not UTF-8, and fail the decoding); a valid pair decodes to one character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_READ_CHUNK_BYTES = 64 * 1024


class AnswerTooLarge(Exception):
    """A body longer than `limit` bytes (raised by `BoundedBodyAdapter`, unread beyond it)."""

    def __init__(self, response: requests.Response, limit: int):
        super().__init__(f"an answer longer than {limit} bytes")
        self.response = response
        self.limit = limit


class _KnownHTTPConnection(HTTPConnection):
    """An HTTP connection that `request_stop` can find (`_CONNECTIONS`)."""

    def connect(self) -> None:
        super().connect()
        _CONNECTIONS.add(self)


class _KnownHTTPSConnection(HTTPSConnection):
    """An HTTPS connection that `request_stop` can find (`_CONNECTIONS`)."""

    def connect(self) -> None:
        super().connect()
        _CONNECTIONS.add(self)


class _KnownHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _KnownHTTPConnection


class _KnownHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _KnownHTTPSConnection


class BoundedBodyAdapter(HTTPAdapter):
    """requests' transport adapter, reading a body only up to `MAX_ANSWER_BYTES` (decoded, as
    `Response.content` has it): a longer one raises `AnswerTooLarge` and its connection is
    dropped, so that memory stays bounded whatever the server sends, an endless body included.
    Its connections are known to `request_stop`, which cuts them."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _KnownHTTPConnectionPool, "https": _KnownHTTPSConnectionPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any) -> requests.Response:
        response = super().send(request, stream=True, **kwargs)
        if stream:
            return response
        limit = MAX_ANSWER_BYTES
        length = response.headers.get("Content-Length", "")
        too_long = length.isdigit() and int(length) > limit  # refused unread
        chunks: list[bytes] = []
        size = 0
        for chunk in () if too_long else response.iter_content(_READ_CHUNK_BYTES):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                too_long = True
                break
        if too_long:
            response.close()
            raise AnswerTooLarge(response, limit)
        response._content = b"".join(chunks)  # what `Response.content` then returns, as requests does
        response._content_consumed = True
        return response


def repair_surrogates(content: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Replace, in place, every lone UTF-16 surrogate in the strings (keys included) of a
    decoded JSON answer with U+FFFD; returns where each repaired string was (its path of keys
    and indexes) and the string as repaired, in document order. Iterative: no depth limit."""
    repairs: list[tuple[tuple[str | int, ...], str]] = []
    todo: deque[tuple[Any, tuple[str | int, ...]]] = deque([(content, ())])
    while todo:
        node, where = todo.popleft()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    del node[key]
                    key = _LONE_SURROGATE.sub("\ufffd", key)
                    node[key] = value
                    repairs.append(((*where, key), key))
                if isinstance(value, str) and _LONE_SURROGATE.search(value):
                    node[key] = _LONE_SURROGATE.sub("\ufffd", value)
                    repairs.append(((*where, key), node[key]))
                elif isinstance(value, dict | list):
                    todo.append((value, (*where, key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str) and _LONE_SURROGATE.search(value):
                    node[index] = _LONE_SURROGATE.sub("\ufffd", value)
                    repairs.append(((*where, index), node[index]))
                elif isinstance(value, dict | list):
                    todo.append((value, (*where, index)))
    return repairs


def _place(where: tuple[str | int, ...], content: Any) -> str:
    """`data[0].caption.text (id 123_45)`: a path in an answer, and the id of the object of
    `data` it lies in."""
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else f"{'.' if text else ''}{shorten(part, 100)}"
    entity: Any = content.get("data") if isinstance(content, dict) and where[:1] == ("data",) else None
    if isinstance(entity, list):
        entity = entity[where[1]] if len(where) > 1 and isinstance(where[1], int) else None
    if isinstance(entity, dict) and (entity.get("id") or entity.get("name")) is not None:
        text += f" (id {shorten(str(entity.get('id') or entity.get('name')), 100)})"
    return text


def check_length(data: list[Any], asked: str | None, safe: str, endpoint: str, observed_at: datetime) -> None:
    """Refuse a list answer far longer than the page size asked for (`asked`: v1's `count`, the
    Graph API's `limit`; without one, longer than any answer may be)."""
    size = int(asked) if asked is not None and str(asked).isdigit() and int(asked) > 0 else None
    limit = PAGE_SIZE_TOLERANCE * size if size else MAX_ITEMS_PER_ANSWER
    if len(data) <= limit:
        return
    why = f"{PAGE_SIZE_TOLERANCE} times the count of {size} sent" if size else "an answer may hold"
    message = f"{safe}: {len(data)} items in one answer, more than the {limit} allowed ({why}); refused"
    raise refused(message, PAGE_TOO_LARGE, endpoint, observed_at)


def refused(message: str, error_type: str, endpoint: str, observed_at: datetime | None) -> InstagramBadAnswer:
    """The error of an answer that cannot be used (logged as a WARNING)."""
    logger.warning("%s", message)
    return InstagramBadAnswer(message, endpoint=endpoint, error_type=error_type, observed_at=observed_at)


def server_time(headers: Mapping[str, str]) -> datetime | None:
    """The answer's Date header as an aware UTC datetime (None if missing or unreadable)."""
    try:
        return parsedate_to_datetime(headers["Date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return None


def local_time() -> datetime:
    """The local clock, for the rare row observed without a server answer."""
    return datetime.now(UTC).replace(microsecond=0)
