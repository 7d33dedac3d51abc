"""Business discovery (instagram-graph/API.md §2): the public counters of configured
competitors (other professional accounts) and their media, asked through an account of the
token (Facebook Login only).

Each request gives the competitor's counters and a page of its media (the nested `media` edge,
paged by its `after` cursor: `media.after(C).limit(N){…}`). A run reads each competitor's media
newest first down to the newest of its last complete read (`newest_first.py`): its first read
goes down its whole list, over as many runs as the budget needs, and later runs read the pages
with new media, at least the first. Every media read gets a snapshot of its counters, so the
newest page's media are followed run after run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...common.errors import InstagramEntityError
from ...common.rows import Rows
from ...common.source_run import SourceRun
from ...common.validation import InstagramConfigError
from ..settings import COMPETITOR_FIELDS, HASHTAG_MEDIA_FIELDS
from .client import GraphClient, check_progress
from .newest_first import read_newest_first
from .shaping import competitor_rows

# Instagram user names: letters, digits, '.' and '_' (checked before one is put into `fields`).
USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")
ENDPOINT = "GET /{ig-user-id}?fields=business_discovery"


def check_usernames(usernames: Sequence[str]) -> list[str]:
    """The configured competitors, each once; `InstagramConfigError` for one that cannot be a
    user name."""
    for name in usernames:
        if not USERNAME.fullmatch(str(name)):
            raise InstagramConfigError(f"competitors holds {name!r}, which is not an Instagram user name")
    return list(dict.fromkeys(str(name) for name in usernames))


@dataclass(frozen=True)
class DiscoveryPage:
    """One business discovery answer: the competitor's fields, a page of its media, and the
    cursor of the next page (None: its list ends here)."""

    found: Mapping[str, Any]
    items: list[dict[str, Any]]
    observed_at: datetime
    next_cursor: dict[str, str] | None


class Competitors:
    """Reads the configured competitors."""

    def __init__(
        self, run: SourceRun, client: GraphClient, usernames: Sequence[str], state: dict[str, Any], page_size: int
    ):
        """`state`: `{username: its media's read (`newest_first.py`)}` (resource state)."""
        self.run = run
        self.client = client
        self.usernames = usernames
        for name in [name for name in state if name not in usernames]:
            del state[name]  # no longer configured
        self.reads = state
        self.page_size = page_size

    def rows_of(self, account_id: str) -> Iterator[Rows]:
        """Each competitor's counters and media, asked as `account_id`."""
        for username in self.usernames:
            if self.run.deferred("competitor", username):
                continue
            try:
                for page in read_newest_first(
                    f"competitor {username}",
                    self.reads.setdefault(username, {}),
                    lambda cursor, username=username: self._pages(account_id, username, cursor),
                ):
                    yield competitor_rows(page.found, page.items, username, page.observed_at)
            except InstagramEntityError as error:
                yield self.run.failed("competitor", username, error)
                continue
            self.run.succeeded("competitor", username)

    def _pages(self, account_id: str, username: str, cursor: Mapping[str, str] | None) -> Iterator[DiscoveryPage]:
        """The competitor's media pages from the one `cursor` names (None: the newest)."""
        after = (cursor or {}).get("after")
        seen: set[str] = set()
        while True:
            edge = f"media.after({after}).limit({self.page_size})" if after else f"media.limit({self.page_size})"
            fields = f"business_discovery.username({username}){{{COMPETITOR_FIELDS},{edge}{{{HASHTAG_MEDIA_FIELDS}}}}}"
            answer = self.client.get(f"/{account_id}", {"fields": fields}, endpoint=ENDPOINT)
            found = answer.data.get("business_discovery") if isinstance(answer.data, dict) else None
            if not isinstance(found, dict):
                raise InstagramEntityError("no business_discovery in the answer", error_type="NotFound")
            media = found.get("media") if isinstance(found.get("media"), dict) else {}
            items = [item for item in media.get("data") or [] if isinstance(item, dict)]
            check_progress(seen, items, ENDPOINT, f"/{account_id}", answer)
            # the nested list has cursors only (no `next`: it has no path of its own, §3)
            after = ((media.get("paging") or {}).get("cursors") or {}).get("after")
            yield DiscoveryPage(found, items, answer.observed_at, {"after": str(after)} if after else None)
            if not after:
                return
