"""Constants of the Instagram v1 source: endpoints, paging families and limits.

The raw tables (`TABLES`, `FOLLOW_EDGES_DISPOSITION`) are declared in
`sources/instagram_contract.py`, outside this package so that the transforms and the docs
generator can read them without importing the source; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlt.common.configuration import configspec

from ..common.tuning import Tuning
from ..instagram_contract import FOLLOW_EDGES_DISPOSITION as FOLLOW_EDGES_DISPOSITION
from ..instagram_contract import TABLES as TABLES

DEFAULT_BASE_URL = "https://api.instagram.com/v1"

# Largest page the v1 API served on media lists (docs/api.md §2.1, §2.6; python-instagram #136).
MAX_MEDIA_PAGE_SIZE = 33
# Follow lists: 50 per page is what python-instagram's recorded fixture shows (docs/api.md §2.2).
MAX_FOLLOW_PAGE_SIZE = 50
# `count` of a user search: the most the v1 API answered with.
MAX_USER_SEARCH_COUNT = 50

DEFAULT_CRAWL_DEPTH = 1
DEFAULT_CRAWL_MAX_USERS = 1000
# The refresh policy (docs/refresh.md): hours until a thing is read again.
DEFAULT_SEED_REFRESH_HOURS = 6.0  # seeds' profiles and lists; tags, locations, relationships, searches
DEFAULT_CRAWL_REFRESH_HOURS = 24.0  # users found by the crawl
DEFAULT_LIST_MAX_AGE_HOURS = 168.0  # a follow list whose count did not change waits at most this long
# A media's counters, likes and comments: at these ages after posting, then never again. Every
# 6 hours through the first week, when most likes and comments arrive, so that a counter misses
# at most 6 hours of them; a list's next pages refresh 20 to 33 media a request
# (docs/refresh.md says what it costs).
DEFAULT_ENGAGEMENT_AGES_HOURS = (1.0, 3.0, *(float(hours) for hours in range(6, 169, 6)), 336.0, 720.0)


@configspec
class InstagramTuning(Tuning):
    """How the v1 source reads (`[sources.instagram.tuning]`), beside what `Tuning` shares.

    media_page_size, follow_page_size: `count` per page (default: the API's maximum).
    seed_refresh_hours: age at which the seeds (`user_ids`: profile, follow lists), tags,
        locations, relationships and searches are read again.
    crawl_refresh_hours: the same for users found by the crawl.
    list_max_age_hours: a follow list whose count is unchanged since its last complete read is
        read again only once that read is this old (change detection).
    engagement_ages_hours: ages after posting at which a media's counters are read again, and
        its likes and comments if their counter changed; then never again.
    """

    media_page_size: int = MAX_MEDIA_PAGE_SIZE
    follow_page_size: int = MAX_FOLLOW_PAGE_SIZE
    seed_refresh_hours: float = DEFAULT_SEED_REFRESH_HOURS
    crawl_refresh_hours: float = DEFAULT_CRAWL_REFRESH_HOURS
    list_max_age_hours: float = DEFAULT_LIST_MAX_AGE_HOURS
    engagement_ages_hours: Sequence[float] = DEFAULT_ENGAGEMENT_AGES_HOURS


# Most users the crawl takes from the schedule in one run (the most overdue first): more than
# an hour's budget can read, and few enough to hold in memory.
MAX_DUE_USERS_PER_RUN = 20_000

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
