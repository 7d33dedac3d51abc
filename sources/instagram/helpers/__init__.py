"""What the v1 resources use, one module per step of a page's path (docs/architecture.md):

`client` (the v1 client on the shared HTTP core, `sources/common/http_client.py`: signing, the
v1 envelope, cursor paging) → the readers (`media_lists`, `follow_lists` and `crawl`, `objects`,
`search`, `engagement`; sharing `common.source_run.SourceRun` and asking
`common.schedule.Schedule` what is due) → `shaping` (API objects → `common.rows.Rows`) → `items`
(rows → typed Arrow batches with their dlt hints). `repair` mends the follow history after a
crashed load; `refused` names configured entities the server does not know.
"""

from .client import InstagramClient, sign
from .crawl import FollowCrawl
from .engagement import Engagement
from .items import column_hints, dlt_items
from .media_lists import MediaLists
from .objects import Profiles, Relationships, SingleMedia
from .refused import refused_entities
from .repair import remove_rows_loaded_twice
from .search import Searches, search_queries

__all__ = [
    "Engagement",
    "FollowCrawl",
    "InstagramClient",
    "MediaLists",
    "Profiles",
    "Relationships",
    "Searches",
    "SingleMedia",
    "column_hints",
    "dlt_items",
    "refused_entities",
    "remove_rows_loaded_twice",
    "search_queries",
    "sign",
]
