"""The accounts a token reads (instagram-graph/API.md §1) and the token's health (§6).

Found once per run, by whichever resource asks first: the token is checked (`debug_token`:
its login, its expiry), then its accounts are listed the way its login allows: Facebook Login
through the Pages of `/me/accounts` (a Page without a linked professional account is skipped),
a Page token through its own Page, Instagram Login as `/me` itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ...common.errors import InstagramAuthError, InstagramEntityError, RunStopped
from ...common.rows import Rows
from ...common.source_run import SourceRun
from ..settings import ACCOUNT_FIELDS, MAX_PAGE_SIZE, TOKEN_WARNING_DAYS
from .client import GraphClient
from .shaping import account_rows

logger = logging.getLogger("sources.instagram_graph")

FACEBOOK, INSTAGRAM = "facebook", "instagram"
LINKED_ACCOUNT = "instagram_business_account{id,username}"


@dataclass(frozen=True)
class Account:
    """A professional account the token reads, and how it reaches it."""

    id: str
    username: str | None
    login: str  # FACEBOOK or INSTAGRAM
    page_id: str | None = None


@dataclass(frozen=True)
class Token:
    """What `debug_token` says of the token."""

    login: str
    page: bool  # a Page token: `/me` is the Page
    expires_at: datetime | None  # None: never


class Accounts:
    """The accounts of one run: those the token can see, or of them those named in `wanted`
    (ids or user names)."""

    def __init__(self, run: SourceRun, client: GraphClient, wanted: Sequence[str]):
        self.run = run
        self.client = client
        self.wanted = set(wanted)
        self._found: list[Account] | None = None
        self._lock = threading.Lock()

    def found(self) -> list[Account]:
        """The accounts to read (the first call asks the API; a stopped run finds none)."""
        with self._lock:
            if self._found is None:
                token = self._check_token()
                accounts = list(self._listed(token))
                self._found = [a for a in accounts if not self.wanted or {a.id, a.username} & self.wanted]
                missing = self.wanted - {name for a in accounts for name in (a.id, a.username)}
                if missing:
                    logger.warning("the token cannot read the configured accounts %s", sorted(missing))
            return self._found

    def rows(self) -> Iterator[Rows]:
        """Each account's profile and a snapshot of its counters."""
        for account in self.found():
            answer, failed = self.run.detail(
                "account", account.id, f"/{account.id}", "GET /{ig-user-id}", {"fields": ACCOUNT_FIELDS}
            )
            yield (
                failed
                if answer is None
                else account_rows(answer.data, account.login, account.page_id, answer.observed_at)
            )

    def _check_token(self) -> Token:
        """The token's login and expiry; a token the API says is invalid stops the run (as a
        refused token), one expiring within `TOKEN_WARNING_DAYS` is warned about."""
        try:
            answer = self.client.get("/debug_token", {"input_token": self.client.token}, endpoint="GET /debug_token")
        except InstagramEntityError as error:  # a host without debug_token (graph.instagram.com)
            logger.info("the token's expiry cannot be checked (%s)", error)
            return Token(FACEBOOK, False, None)
        data: dict[str, Any] = answer.data if isinstance(answer.data, dict) else {}
        scopes = [str(scope) for scope in data.get("scopes") or []]
        login = INSTAGRAM if any(scope.startswith("instagram_business_") for scope in scopes) else FACEBOOK
        expires = int(data.get("expires_at") or 0)
        token = Token(login, data.get("type") == "PAGE", datetime.fromtimestamp(expires, UTC) if expires else None)
        if data.get("is_valid") is False:
            self.client.stop(
                InstagramAuthError(
                    f"The access token is no longer valid (expired at {token.expires_at}). Issue a new long-lived"
                    " token (instagram-graph/API.md §6) and set sources.instagram_graph.access_token."
                )
            )
            raise RunStopped()
        if token.expires_at is not None:
            left = token.expires_at - answer.observed_at
            if left < timedelta(days=TOKEN_WARNING_DAYS):
                renew = (
                    "refresh it (GET /refresh_access_token?grant_type=ig_refresh_token)"
                    if login == INSTAGRAM
                    else "exchange a new one (GET /oauth/access_token?grant_type=fb_exchange_token)"
                )
                logger.warning(
                    "the access token expires at %s, in %.1f days: %s and set sources.instagram_graph.access_token",
                    token.expires_at.isoformat(),
                    left.total_seconds() / 86400,
                    renew,
                )
        return token

    def _listed(self, token: Token) -> Iterator[Account]:
        if token.login == INSTAGRAM:
            me = self.client.get("/me", {"fields": "user_id,username"}, endpoint="GET /me").data
            yield Account(str(me.get("user_id") or me["id"]), me.get("username"), INSTAGRAM)
            return
        if token.page:
            page = self.client.get("/me", {"fields": f"id,{LINKED_ACCOUNT}"}, endpoint="GET /me").data
            yield from _linked([page])
            return
        params = {"fields": f"id,{LINKED_ACCOUNT}", "limit": MAX_PAGE_SIZE}
        for page in self.client.pages("/me/accounts", params, endpoint="GET /me/accounts"):
            yield from _linked(page.items)


def _linked(pages: list[dict[str, Any]]) -> Iterator[Account]:
    """The professional accounts linked to Facebook Pages (a Page without one is skipped)."""
    for page in pages:
        linked = page.get("instagram_business_account")
        if isinstance(linked, dict) and linked.get("id"):
            yield Account(str(linked["id"]), linked.get("username"), FACEBOOK, str(page.get("id")))
