"""The accounts a token reads (instagram-graph/API.md §1).

Found once per run, by whichever resource asks first: the token is checked (`helpers/token.py`:
its login, its expiry, its refresh), then its accounts are listed the way its login allows: Facebook Login
through the Pages of `/me/accounts` (a Page without a linked professional account is skipped),
a Page token through its own Page, Instagram Login as `/me` itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ...common.rows import Rows
from ...common.source_run import SourceRun
from ..settings import ACCOUNT_FIELDS, MAX_PAGE_SIZE
from .client import GraphClient
from .shaping import account_rows
from .token import FACEBOOK, INSTAGRAM, Token, TokenFile, check_token

logger = logging.getLogger("sources.instagram_graph")

LINKED_ACCOUNT = "instagram_business_account{id,username}"


@dataclass(frozen=True)
class Account:
    """A professional account the token reads, and how it reaches it."""

    id: str
    username: str | None
    login: str  # FACEBOOK or INSTAGRAM
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
            answer, failed = self.run.detail(
                "account", account.id, f"/{account.id}", "GET /{ig-user-id}", {"fields": ACCOUNT_FIELDS}
            )
            yield (
                failed
                if answer is None
                else account_rows(answer.data, account.login, account.page_id, answer.observed_at)
            )

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
