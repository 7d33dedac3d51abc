"""Constants of the Instagram v1 source: endpoints, paging families and limits.

The raw tables (`TABLES`, `FOLLOW_EDGES_DISPOSITION`) are declared in
`sources/instagram_contract.py`, outside this package so that the transforms and the docs
generator can read them without importing the source; they are re-exported here.
"""

from __future__ import annotations

from ..instagram_contract import FOLLOW_EDGES_DISPOSITION as FOLLOW_EDGES_DISPOSITION
from ..instagram_contract import TABLES as TABLES

DEFAULT_BASE_URL = "https://api.instagram.com/v1"

# Largest page the v1 API served on media lists (docs/api.md §2.1, §2.6; python-instagram #136).
MAX_MEDIA_PAGE_SIZE = 33
# Follow lists: 50 per page is what python-instagram's recorded fixture shows (docs/api.md §2.2).
MAX_FOLLOW_PAGE_SIZE = 50
# `count` of a user search: the most the v1 API answered with.
MAX_USER_SEARCH_COUNT = 50

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_REQUEST_ATTEMPTS = 6
DEFAULT_RETRY_BACKOFF_SECONDS = 0.5
DEFAULT_BUDGET_SHARE = 0.8
DEFAULT_WORKERS = 8
DEFAULT_CRAWL_DEPTH = 1
DEFAULT_CRAWL_MAX_USERS = 1000
DEFAULT_COUNTERS_LOOKBACK_DAYS = 0.0
DEFAULT_FAILURE_MAX_RUNS = 5

# Rows gathered per table before they are handed to dlt as one Arrow table.
ROWS_PER_BATCH = 5000

# Paging families (docs/api.md §3.2): the pagination key holding the next cursor, and the query
# parameter that sends it back. `None`: the endpoint does not page.
PAGING: dict[str, tuple[str, str] | None] = {
    "id": ("next_max_id", "max_id"),
    "like": ("next_max_like_id", "max_like_id"),
    "tag": ("next_max_tag_id", "max_tag_id"),
    "cursor": ("next_cursor", "cursor"),
    "none": None,
}
