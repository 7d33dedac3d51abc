"""Everything the resources use, one module per step of a page's path (docs/architecture.md):

`client` (HTTP, retries, paging; with `budget`, `redaction` and `errors`) → the readers
(`media_lists`, `follow_lists` and `crawl`, `objects`, `search`, `engagement`; sharing
`source_run.SourceRun` with its `status`, `failures`, and `fan_in` for parallel lists; asking
`schedule.Schedule` what is due, over `refresh_policy`, `schedule_store` and `warehouse_sql`)
→ `shaping` (API objects → `rows.Rows`) → `items` (rows → typed Arrow batches with their dlt
hints). `repair` mends the follow history after a crashed load.
"""

from .client import InstagramClient, request_stop, sign
from .crawl import FollowCrawl
from .engagement import Engagement
from .errors import (
    BudgetExhausted,
    InstagramAuthError,
    InstagramBadRequest,
    InstagramEntityError,
    InstagramError,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramPermissionError,
    InstagramRateLimited,
    InstagramTransientError,
    causes_of,
    duckdb_is_busy,
)
from .fan_in import fan_in
from .items import column_hints, dlt_items
from .media_lists import MediaLists
from .objects import Profiles, Relationships, SingleMedia
from .redaction import install_secret_filter
from .refresh_policy import RefreshPolicy
from .repair import remove_rows_loaded_twice
from .schedule import Schedule, refresh_summary
from .search import Searches, search_queries
from .source_run import SourceRun

__all__ = [
    "BudgetExhausted",
    "Engagement",
    "FollowCrawl",
    "InstagramAuthError",
    "InstagramBadRequest",
    "InstagramClient",
    "InstagramEntityError",
    "InstagramError",
    "InstagramNotAllowed",
    "InstagramNotFound",
    "InstagramPermissionError",
    "InstagramRateLimited",
    "InstagramTransientError",
    "MediaLists",
    "Profiles",
    "RefreshPolicy",
    "Schedule",
    "refresh_summary",
    "Relationships",
    "Searches",
    "SingleMedia",
    "SourceRun",
    "causes_of",
    "column_hints",
    "dlt_items",
    "duckdb_is_busy",
    "fan_in",
    "install_secret_filter",
    "remove_rows_loaded_twice",
    "request_stop",
    "search_queries",
    "sign",
]
