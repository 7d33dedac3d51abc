"""Business discovery (instagram-graph/API.md §2): the public counters of configured
competitors (other professional accounts) and their newest media, one request each per run,
asked through an account of the token (Facebook Login only)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ...common.errors import InstagramEntityError
from ...common.rows import Rows
from ...common.source_run import SourceRun
from ...common.validation import InstagramConfigError
from ..settings import COMPETITOR_FIELDS
from .client import GraphClient
from .shaping import competitor_rows

# Instagram user names: letters, digits, '.' and '_' (checked before one is put into `fields`).
USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")


def check_usernames(usernames: Sequence[str]) -> list[str]:
    """The configured competitors, each once; `InstagramConfigError` for one that cannot be a
    user name."""
    for name in usernames:
        if not USERNAME.fullmatch(str(name)):
            raise InstagramConfigError(f"competitors holds {name!r}, which is not an Instagram user name")
    return list(dict.fromkeys(str(name) for name in usernames))


class Competitors:
    """Reads the configured competitors."""

    def __init__(self, run: SourceRun, client: GraphClient, usernames: Sequence[str]):
        self.run = run
        self.client = client
        self.usernames = usernames

    def rows_of(self, account_id: str) -> Iterator[Rows]:
        """Each competitor's counters and newest media, asked as `account_id`."""
        for username in self.usernames:
            fields = f"business_discovery.username({username}){{{COMPETITOR_FIELDS}}}"
            answer, failed = self.run.detail(
                "competitor",
                username,
                f"/{account_id}",
                "GET /{ig-user-id}?fields=business_discovery",
                {"fields": fields},
            )
            if answer is None:
                yield failed
                continue
            found = answer.data.get("business_discovery") if isinstance(answer.data, dict) else None
            if not isinstance(found, dict):
                yield self.run.failed(
                    "competitor",
                    username,
                    InstagramEntityError("no business_discovery in the answer", error_type="NotFound"),
                )
                continue
            yield competitor_rows(found, username, answer.observed_at)
