"""Start-up checks of the v1 source's settings (with the shared ones of
`sources/common/validation.py`): a setting that cannot work is a configuration error before any
request, never a run that quietly reads nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ...common.validation import InstagramConfigError, check_base_url, check_numbers

# What the ids of each kind look like (docs/api.md §1, "Ids in paths"), the one place that says so: users
# `self` or digits, media `<digits>_<digits>` (the oldest: digits), locations and geographies
# digits, shortcodes the permalink's URL-safe base64 letters, tag names any text but `.` and `..`
# (they are percent-encoded, and a dot segment would move the path). Configured ids are checked
# against these at start-up (`check_ids`), ids from answers when a request path is built
# (`paths.api_path`).
ID_SHAPES = {
    "user": re.compile(r"self|\d+"),
    "media": re.compile(r"\d+(_\d+)?"),
    "location": re.compile(r"\d+"),
    "geography": re.compile(r"\d+"),
    "shortcode": re.compile(r"[A-Za-z0-9_-]+"),
    "tag": re.compile(r"(?!\.\.?\Z).+", re.DOTALL),
}
ID_PATTERNS = {
    "user_ids": ID_SHAPES["user"],
    "media_ids": ID_SHAPES["media"],
    "location_ids": ID_SHAPES["location"],
    "geography_ids": ID_SHAPES["geography"],
}


# A shard's name becomes part of its pipeline's name, its config section and its rows' keys.
SHARD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_shard_name(shard: str) -> None:
    """Raise `InstagramConfigError` for a shard name that cannot name a pipeline."""
    if not isinstance(shard, str) or not SHARD_NAME.fullmatch(shard):
        raise InstagramConfigError(
            f"shard names are lower-case letters, digits and '_' (starting with a letter), got {shard!r}"
        )


def check_ids(ids: Mapping[str, Sequence[Any]]) -> None:
    """Raise `InstagramConfigError` for an id that cannot name an entity of its kind (an id
    is put into a URL path, so `self?count=1` must never get there)."""
    for setting, values in ids.items():
        if isinstance(values, str):
            raise InstagramConfigError(f"{setting} must be a list, got the text {values!r}")
        for value in values:
            if not ID_PATTERNS[setting].fullmatch(str(value)):
                raise InstagramConfigError(f"{setting} holds {value!r}, which is not a valid id")


def distinct(ids: Sequence[Any]) -> list[str]:
    """`ids` as text, each once, in their order: an id listed twice names one entity, read once
    (two reads of one list in a run would share its bookmarks and its queue of engagement)."""
    return list(dict.fromkeys(str(value) for value in ids))


def check_settings(base_url: str, numbers: Mapping[str, Any]) -> None:
    """Raise `InstagramConfigError` for an unusable `base_url` or a number out of range."""
    check_base_url(base_url, "https://api.instagram.com/v1")
    if not urlsplit(str(base_url)).path.rstrip("/").endswith("/v1"):
        raise InstagramConfigError(f"base_url must end in /v1 (the API's version prefix), got {base_url!r}")
    check_numbers(numbers)
