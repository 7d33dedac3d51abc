"""The Graph API client on the shared HTTP core (`sources/common/http_client.py`): the version
in every path, `appsecret_proof`, the Graph error envelope (instagram-graph/API.md §4), paging
by following `next` (§3) and the usage budget (§5).

The token travels in the query string and in every `next` URL: a `next` URL is read for its
parameters, sent again without the token (added in one place), and never stored; neither is a
cursor (§3: they go stale).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ...common.errors import (
    CURSOR_LOOP,
    BudgetExhausted,
    InstagramAuthError,
    InstagramBadRequest,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramPermissionError,
    InstagramTransientError,
    InstagramWrongApi,
)
from ...common.http_client import Answer, HttpClient, check_length, refused
from ...common.redaction import install_secret_filter
from ...common.status import RunStatus
from ..settings import (
    NO_SUCH_OBJECT_SUBCODE,
    PERMISSION_CODES,
    THROTTLING_CODES,
    TOKEN_CODE,
    TRANSIENT_CODES,
)
from .budget import UsageBudget

logger = logging.getLogger("sources.instagram_graph")

# Query parameters that hold a credential: never copied from a `next` URL (the client adds its own).
CREDENTIALS = frozenset({"access_token", "appsecret_proof"})
HASHTAG_LIMIT_CODE = 24
# Its code 190 refuses the refresh (a token too young), not the token (§6)
REFRESH_ENDPOINT = "GET /refresh_access_token"
# Code 100 naming the proof: the app secret is wrong or missing (§6)
BAD_PARAMETER_CODE = 100
PROOF = "appsecret_proof"


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token with the app secret (§6)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


@dataclass
class GraphPage:
    """One page of a list."""

    items: list[dict[str, Any]]
    answer: Answer


class GraphClient(HttpClient):
    """The Graph API client: GET a node or an edge, page a list."""

    api_name = "Graph API"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        app_secret: str | None = None,
        *,
        api_version: str,
        budget_share: float = 1.0,
        timeout: float = 30.0,
        attempts: int = 6,
        workers: int = 8,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        status: RunStatus | None = None,
    ):
        if not access_token:
            raise InstagramAuthError("No access token configured (sources.instagram_graph.access_token).")
        self.usage = UsageBudget(budget_share)
        super().__init__(
            f"{base_url.rstrip('/')}/{api_version}",
            (access_token, app_secret),
            self.usage,
            timeout=timeout,
            attempts=attempts,
            workers=workers,
            backoff_seconds=backoff_seconds,
            max_backoff_seconds=max_backoff_seconds,
            status=status,
        )
        self.api_version = api_version
        self._app_secret = app_secret
        self.use_token(access_token)

    def use_token(self, access_token: str) -> None:
        """Send `access_token` from the next request on (the one kept or refreshed,
        `helpers/token.py`), masked in every log line like the configured one."""
        install_secret_filter(access_token)
        self.token = access_token
        self._proof = appsecret_proof(access_token, self._app_secret) if self._app_secret else None

    def pages(self, path: str, params: Mapping[str, Any], *, endpoint: str) -> Iterator[GraphPage]:
        """The pages of a list from its top to its end: the next page is asked for with the
        parameters of the `next` URL (its `after` cursor among them), and the list ends when an
        answer has no `next` (§3: a short or empty page does not end it). A cursor may repeat
        from one page to the next (hashtag media, §2), so a loop is recognised by its items: a
        page that brings none not seen in this read ends it (`CursorLoop`)."""
        query = {key: str(value) for key, value in params.items()}
        seen: set[str] = set()
        while True:
            answer = self.get(path, query, endpoint=endpoint)
            items = [item for item in answer.data or [] if isinstance(item, dict)]
            ids = {str(item.get("id")) for item in items}
            if seen and ids and ids <= seen:
                message = f"{endpoint} ({path}): the list loops (a page brings nothing new); its read stops here"
                raise refused(message, CURSOR_LOOP, endpoint, answer.observed_at)
            seen |= ids
            yield GraphPage(items, answer)
            next_query = next_page_query(answer.pagination)
            if next_query is None:
                return
            query = next_query

    # -- internals --------------------------------------------------------------------------

    def _probe_clock(self) -> None:
        self.get("/me", endpoint="GET /me")

    def _request_params(self, path: str, query: dict[str, str]) -> dict[str, str]:
        params = {**query, "access_token": self.token}
        if self._proof:
            params[PROOF] = self._proof
        return params

    def _parse(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        safe: str,
        endpoint: str,
        query: Mapping[str, str],
    ) -> Answer:
        observed_at = self._observe(headers)
        content = self._decode(status, body, safe, endpoint, observed_at)
        error = content.get("error") if isinstance(content, dict) else None
        if not isinstance(content, dict) or (status != 200 and not isinstance(error, dict)):
            return self._not_graph(status, safe, endpoint, observed_at)
        self._counted_answer(body, content, safe, endpoint)
        if status == 200 and error is None:
            data = content.get("data", content)
            if isinstance(data, list):
                check_length(data, query.get("limit"), safe, endpoint, observed_at)
            paging = content.get("paging")
            return Answer(data, paging if isinstance(paging, dict) else {}, observed_at)
        raise self._error(status, error if isinstance(error, dict) else {}, safe, endpoint, observed_at)

    def _error(self, status: int, error: Mapping[str, Any], safe: str, endpoint: str, observed_at: Any) -> Exception:
        """The exception of a Graph error answer (§4)."""
        code = _int(error.get("code"))
        subcode = _int(error.get("error_subcode"))
        error_type = f"{error.get('type') or 'GraphError'}#{code}" + (f"/{subcode}" if subcode else "")
        api_message = self.sanitize(str(error.get("message") or ""))
        message = f"{safe}: HTTP {status} {error_type}: {api_message}"
        kwargs = {
            "endpoint": endpoint,
            "error_type": error_type,
            "api_message": api_message,
            "observed_at": observed_at,
            "code": code,
        }
        if code in THROTTLING_CODES:
            # Retrying within the minutes it names would only keep the account throttled:
            # the run stops cleanly, and the next one continues.
            self.usage.throttled(_regain_minutes(api_message))
            return BudgetExhausted()
        if code == TOKEN_CODE and endpoint != REFRESH_ENDPOINT:
            return InstagramAuthError(
                f"The Graph API refused the access token ({error_type}: {api_message}). Issue a new long-lived"
                " token (instagram-graph/API.md §6) and set sources.instagram_graph.access_token.",
                **kwargs,
            )
        if code == BAD_PARAMETER_CODE and PROOF in api_message:
            # a wrong app secret, or none where the app requires the proof: no request can pass
            return InstagramAuthError(
                f"The Graph API refused appsecret_proof ({error_type}: {api_message}). Set"
                " sources.instagram_graph.app_secret to the app's secret (instagram-graph/API.md §6).",
                **kwargs,
            )
        if code in TRANSIENT_CODES or status >= 500 or error.get("is_transient") is True:
            return InstagramTransientError(message, **kwargs)
        if code in PERMISSION_CODES:
            return InstagramPermissionError(message, **kwargs)
        if code == HASHTAG_LIMIT_CODE:
            return InstagramNotAllowed(message, **kwargs)
        if subcode == NO_SUCH_OBJECT_SUBCODE:
            return InstagramNotFound(message, **kwargs)
        return InstagramBadRequest(message, **kwargs)

    def _not_graph(self, status: int, safe: str, endpoint: str, observed_at: Any) -> Answer:
        """An answer without the Graph envelope: a proxy's 5xx page or a damaged body is
        transient; anything else before any Graph answer means `base_url` is not the API."""
        kwargs = {"endpoint": endpoint, "error_type": f"HTTP{status}", "observed_at": observed_at}
        if status >= 500 or status == 200 or self.api_answers:
            raise InstagramTransientError(f"{safe}: HTTP {status} with a body that is not a Graph API answer", **kwargs)
        raise InstagramWrongApi(
            f"{safe}: HTTP {status} without the Graph error envelope: is base_url ({self.base_url}) the Graph API?",
            **kwargs,
        )


def next_page_query(paging: Mapping[str, Any]) -> dict[str, str] | None:
    """The query of the next page: the parameters of the `next` URL, credentials left out
    (None: the list ends, §3)."""
    next_url = paging.get("next")
    if not isinstance(next_url, str) or not next_url:
        return None
    return {key: value for key, value in parse_qsl(urlsplit(next_url).query) if key not in CREDENTIALS}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _regain_minutes(message: str) -> int | None:
    """The minutes a throttling message names (`estimated time to regain access: N minutes`)."""
    words = message.replace(")", " ").split()
    for index, word in enumerate(words[:-1]):
        if word.rstrip(":") == "access" and words[index + 1].isdigit():
            return int(words[index + 1])
    return None
