"""The v1 HTTP client: request signing, rate-budget pacing, retries (tenacity) and cursor paging.

Secrets travel in query strings, as v1 requires, so every URL that can reach a message is
sanitized first (`redaction`), and a logging filter masks them in urllib3's DEBUG lines.

An answer costs at most the entity read, whatever the server sends (docs/architecture.md,
"Hostile answers"): a lone UTF-16 surrogate is replaced with U+FFFD (and the rows holding it are
flagged, `repaired`), and a body too large, nested too deep, a page far larger than asked or a
cursor that loops raise `InstagramBadAnswer`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ...common.budget import RateBudget
from ...common.errors import (
    CURSOR_LOOP,
    InstagramAuthError,
    InstagramBadRequest,
    InstagramEntityError,
    InstagramInvalidId,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramNotV1Error,
    InstagramPermissionError,
    InstagramRateLimited,
    InstagramRetriesExhausted,
    InstagramTransientError,
)
from ...common.http_client import Answer, HttpClient, RunClient, check_length, refused
from ...common.redaction import shorten
from ...common.status import RunStatus
from ..settings import PAGING
from .paths import request_path

logger = logging.getLogger("sources.instagram")


def sign(endpoint: str, params: Mapping[str, str], client_secret: str) -> str:
    """The v1 `sig` parameter (docs/api.md §7.4): HMAC-SHA256 of `endpoint|k=v|...` sorted by key."""
    parts = [endpoint] + [f"{key}={params[key]}" for key in sorted(params)]
    return hmac.new(client_secret.encode(), "|".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass
class Page:
    """One page of a list and the cursor of the next one (None on the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    observed_at: datetime


class Budget(Protocol):
    """What readers ask of a run's rate budget."""

    exhausted: bool


@runtime_checkable
class PagingClient(Protocol):
    """What a list reader (`media_lists`, `follow_lists`) needs of a client: the pages of a
    list, paced by the run's budget, and the run's status. `InstagramClient` is one; the unit
    tests' fakes are checked against it (tests/unit/test_fakes.py)."""

    budget: Budget
    status: RunStatus

    def pages(
        self,
        path: str,
        family: str,
        params: Mapping[str, Any] | None = None,
        *,
        cursor: str | None = None,
        endpoint: str = "",
    ) -> Iterator[Page]: ...


@runtime_checkable
class ApiClient(PagingClient, RunClient, Protocol):
    """What the readers of a v1 run need of a client."""


# The v1 error types (docs/api.md §5), by what they concern.
ENTITY_ERRORS: dict[str, type[InstagramEntityError]] = {
    "APINotFoundError": InstagramNotFound,
    "APINotAllowedError": InstagramNotAllowed,
    "OAuthPermissionsException": InstagramPermissionError,
    "APIInvalidParametersError": InstagramBadRequest,
}
AUTH_ERRORS = {
    "OAuthAccessTokenException",
    "OAuthParameterException",
    "OAuthClientException",
    "OAuthForbiddenException",
    "OAuthException",
}
RATE_LIMIT_CODES = {420, 429}


class InstagramClient(HttpClient):
    """A small v1 client on the shared HTTP core: request signing, the v1 envelope and its
    errors, and cursor paging.

    Cursor parameters (`max_id`, `cursor`, `max_tag_id`, `max_like_id`) are sent back instead
    of requesting `next_url`, so the token is added in one place and no URL is ever stored.
    """

    api_name = "v1"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        client_secret: str | None = None,
        *,
        timeout: float = 30.0,
        attempts: int = 6,
        budget_share: float = 1.0,
        workers: int = 8,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        status: RunStatus | None = None,
    ):
        """`status`: the run's status, where the client notes what stopped the run and the reads
        that failed (by default one of its own)."""
        if not access_token:
            raise InstagramAuthError("No access token configured (sources.instagram.access_token).")
        super().__init__(
            base_url,
            (access_token, client_secret),
            RateBudget(budget_share),
            timeout=timeout,
            attempts=attempts,
            workers=workers,
            backoff_seconds=backoff_seconds,
            max_backoff_seconds=max_backoff_seconds,
            status=status,
        )
        self._token = access_token
        self._secret = client_secret or None

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, endpoint: str = "") -> Answer:
        """GET `path` (relative to base_url; an id in it goes through `paths.api_path`),
        retrying transient failures (`HttpClient.get`). A list answer far longer than the
        `count` in `params` is an `InstagramBadAnswer`; `InstagramInvalidId` is raised for a
        path holding an id of the wrong shape, before any request."""
        endpoint = endpoint or path
        try:
            path = request_path(path, endpoint)
        except InstagramInvalidId as error:
            logger.warning("%s", error)
            raise
        return super().get(path, params, endpoint=endpoint)

    def pages(
        self,
        path: str,
        family: str,
        params: Mapping[str, Any] | None = None,
        *,
        cursor: str | None = None,
        endpoint: str = "",
    ) -> Iterator[Page]:
        """Pages of a list, newest first, from `cursor` (None: the top) to the end.

        A stale answer (a server that served the previous page again) is fetched again
        instead of being taken for the next page. It is recognised by its items (all on the
        page before) or, on the first page of a list resumed from a saved cursor, by its next
        cursor (the one just sent). A next cursor already sent in this read (a list that loops:
        page 3 leads back to page 2) ends the read with `InstagramBadAnswer` (`CursorLoop`).
        """
        paging = PAGING[family]
        previous_ids: set[str] = set()
        sent = {cursor} if cursor is not None else set()
        read = 0
        while True:
            query = dict(params or {})
            if paging and cursor is not None:
                query[paging[1]] = cursor
            answer, ids, next_cursor = self._fresh_page(path, query, endpoint, paging, cursor, previous_ids)
            yield Page(answer.data or [], next_cursor, answer.observed_at)
            read += 1
            if next_cursor is None:
                return
            if next_cursor in sent:
                message = (
                    f"{endpoint or path} ({path}): the list loops (after {read} pages, the next cursor"
                    f" {shorten(next_cursor, 100)!r} leads back to a page already read); its read stops here"
                )
                raise refused(message, CURSOR_LOOP, endpoint, answer.observed_at)
            sent.add(next_cursor)
            cursor, previous_ids = next_cursor, ids

    # -- internals --------------------------------------------------------------------------

    def _probe_clock(self) -> None:
        self.get("/users/self", endpoint="GET /users/{id}")

    def _request_params(self, path: str, query: dict[str, str]) -> dict[str, str]:
        params = {"access_token": self._token, **query}
        if self._secret:
            params["sig"] = sign(path, params, self._secret)
        return params

    def _fresh_page(
        self,
        path: str,
        query: dict[str, Any],
        endpoint: str,
        paging: tuple[str, str] | None,
        cursor: str | None,
        previous_ids: set[str],
    ) -> tuple[Answer, set[str], str | None]:
        for _ in range(self.attempts):
            answer = self.get(path, query, endpoint=endpoint)
            ids = {str(item.get("id")) for item in answer.data or [] if isinstance(item, dict)}
            raw = answer.pagination.get(paging[0]) if paging else None
            next_cursor = None if raw in (None, "") else str(raw)
            served_again = bool(previous_ids and ids and ids <= previous_ids)
            cursor_moved = cursor is None or next_cursor != cursor
            if cursor_moved and not served_again:
                return answer, ids, next_cursor
            logger.warning("%s: the previous page was served again; fetching it once more", endpoint or path)
        stale = InstagramTransientError(f"{endpoint or path}: the same page kept being served", endpoint=endpoint)
        raise InstagramRetriesExhausted(stale, self.attempts)

    def _parse(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        safe: str,
        endpoint: str,
        query: Mapping[str, str] | None = None,
    ) -> Answer:
        observed_at = self._observe(headers)
        content = self._decode(status, body, safe, endpoint, observed_at)
        v1 = isinstance(content, dict) and (isinstance(content.get("meta"), dict) or "error_type" in content)
        if not v1:
            return self._not_v1(status, safe, endpoint, observed_at)
        self._counted_answer(body, content, safe, endpoint)
        meta = content.get("meta") if isinstance(content.get("meta"), dict) else content
        code = meta.get("code", status)
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = status
        if status == 200 and code == 200 and "meta" in content:
            pagination = content.get("pagination")
            data = content.get("data")
            if isinstance(data, list):
                check_length(data, (query or {}).get("count"), safe, endpoint, observed_at)
            return Answer(data, pagination if isinstance(pagination, dict) else {}, observed_at)
        error_type = str(meta.get("error_type") or f"HTTP{status}")
        api_message = self.sanitize(str(meta.get("error_message") or ""))
        message = f"{safe}: HTTP {status} {error_type}: {api_message}"
        kwargs = {
            "endpoint": endpoint,
            "error_type": error_type,
            "api_message": api_message,
            "observed_at": observed_at,
        }
        if status in RATE_LIMIT_CODES or code in RATE_LIMIT_CODES or error_type == "OAuthRateLimitException":
            raise InstagramRateLimited(message, **kwargs)
        if status >= 500 or status == 200:
            raise InstagramTransientError(message, **kwargs)
        if error_type in AUTH_ERRORS:
            raise InstagramAuthError(f"The API refused the credentials. {message}", **kwargs)
        raise ENTITY_ERRORS.get(error_type, InstagramBadRequest)(message, **kwargs)

    def _not_v1(self, status: int, safe: str, endpoint: str, observed_at: datetime) -> Answer:
        """Classify an answer without the v1 envelope (docs/api.md §1): a 5xx page from a proxy or a
        damaged body is transient; a URI too long concerns the entity; an HTML 404 is an unknown
        route, which only a wrong server gives before any v1 answer; anything else before a v1
        answer means the server is not v1."""
        kwargs = {"endpoint": endpoint, "error_type": f"HTTP{status}", "observed_at": observed_at}
        if status >= 500 or status == 200:
            raise InstagramTransientError(f"{safe}: HTTP {status} with a body that is not a v1 answer", **kwargs)
        if status == 414:
            raise InstagramBadRequest(f"{safe}: HTTP 414, the request's URI is too long", **kwargs)
        if self.api_answers:
            if status == 404:
                raise InstagramNotFound(f"{safe}: HTTP 404 (not a JSON answer)", **kwargs)
            raise InstagramTransientError(f"{safe}: HTTP {status} with a body that is not a v1 answer", **kwargs)
        raise InstagramNotV1Error(
            f"{safe}: HTTP {status} without the v1 envelope: is base_url ({self.base_url}) a v1 API, ending in /v1?",
            **kwargs,
        )
