"""Everything the resources use: the HTTP client (`client`), row shaping (`shaping`), list
reading (`lists`), per-entity readers (`readers`), the follow crawl (`crawl`) and the
repair of follow history after a crashed load (`repair`)."""

from .client import (
    BudgetExhausted,
    InstagramAuthError,
    InstagramBadRequest,
    InstagramClient,
    InstagramEntityError,
    InstagramError,
    InstagramNotAllowed,
    InstagramNotFound,
    InstagramPermissionError,
    InstagramRateLimited,
    InstagramTransientError,
    install_secret_filter,
    sign,
)
from .crawl import FollowCrawl
from .lists import MediaList, fan_in, read_follow_list
from .readers import Extraction
from .repair import remove_rows_loaded_twice
from .shaping import FullProfiles, Rows, TableBatches, column_hints, to_arrow

__all__ = [
    "BudgetExhausted",
    "Extraction",
    "FollowCrawl",
    "FullProfiles",
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
    "MediaList",
    "Rows",
    "TableBatches",
    "column_hints",
    "fan_in",
    "install_secret_filter",
    "read_follow_list",
    "remove_rows_loaded_twice",
    "sign",
    "to_arrow",
]
