"""The accounts a token reads (instagram-graph/API.md §1).

Found once per run, by whichever resource asks first: the token is checked (`helpers/token.py`:
its login, its expiry, its refresh), then its accounts are listed the way its login allows: Facebook Login
through the Pages of `/me/accounts` (a Page without a linked professional account is skipped),
a Page token through its own Page, Instagram Login as `/me` itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...common.rows import Rows
from ...common.source_run import SourceRun
from ..settings import ACCOUNT_FIELDS, MAX_PAGE_SIZE
from .client import GraphClient
from .shaping import account_rows
from .token import FACEBOOK, INSTAGRAM, Token, TokenFile, check_token

logger = logging.getLogger("sources.instagram_graph")

LINKED_ACCOUNT = f"instagram_business_account{{{ACCOUNT_FIELDS}}}"


@dataclass(frozen=True)
class Account:
    """A professional account the token reads, how it reaches it, and its profile as the
    listing answered it (the profile's fields ride along: no request of its own)."""

    id: str
    username: str | None
    login: str  # FACEBOOK or INSTAGRAM
    profile: Mapping[str, Any]
    observed_at: datetime
    page_id: str | None = None


class Accounts:
    """The accounts of one run: those the token can see, or of them those named in `wanted`
    (ids or user names)."""

    def __init__(self, run: SourceRun, client: GraphClient, wanted: Sequence[str], token_file: TokenFile | None):
        self.run = run
        self.client = client
        self.wanted = set(wanted)
        self.token_file = token_file
        self._found: list[Account] | None = None
        self._lock = threading.Lock()

    def found(self) -> list[Account]:
        """The accounts to read (the first call asks the API; a stopped run finds none)."""
        with self._lock:
            if self._found is None:
                token = check_token(self.client, self.token_file)
                accounts = list(self._listed(token))
                self._found = [a for a in accounts if not self.wanted or {a.id, a.username} & self.wanted]
                missing = self.wanted - {name for a in accounts for name in (a.id, a.username)}
                if missing:
                    logger.warning("the token cannot read the configured accounts %s", sorted(missing))
            return self._found

    def rows(self) -> Iterator[Rows]:
        """Each account's profile and a snapshot of its counters."""
        for account in self.found():
            yield account_rows(account.profile, account.login, account.page_id, account.observed_at)

    def _listed(self, token: Token) -> Iterator[Account]:
        if token.login == INSTAGRAM:
            answer = self.client.get("/me", {"fields": f"user_id,{ACCOUNT_FIELDS}"}, endpoint="GET /me")
            me = answer.data
            account_id = str(me.get("user_id") or me["id"])
            yield Account(account_id, me.get("username"), INSTAGRAM, {**me, "id": account_id}, answer.observed_at)
            return
        if token.page:
            answer = self.client.get("/me", {"fields": f"id,{LINKED_ACCOUNT}"}, endpoint="GET /me")
            yield from _linked([answer.data], answer.observed_at)
            return
        params = {"fields": f"id,{LINKED_ACCOUNT}", "limit": MAX_PAGE_SIZE}
        for page in self.client.pages("/me/accounts", params, endpoint="GET /me/accounts"):
            yield from _linked(page.items, page.answer.observed_at)


def _linked(pages: list[dict[str, Any]], observed_at: datetime) -> Iterator[Account]:
    """The professional accounts linked to Facebook Pages (a Page without one is skipped)."""
    for page in pages:
        linked = page.get("instagram_business_account")
        if isinstance(linked, dict) and linked.get("id"):
            account_id = str(linked["id"])
            yield Account(account_id, linked.get("username"), FACEBOOK, linked, observed_at, str(page.get("id")))
