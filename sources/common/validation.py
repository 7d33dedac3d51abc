"""Start-up checks both sources share: a setting that cannot work is a configuration error
before any request, never a run that quietly reads nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


class InstagramConfigError(ValueError):
    """A setting of the source cannot work; the message names it and what it takes."""


# setting → (smallest allowed value, whether the smallest is excluded)
_LOWER_BOUNDS: dict[str, tuple[float, bool]] = {
    "media_page_size": (1, False),
    "follow_page_size": (1, False),
    "crawl_depth": (0, False),
    "crawl_max_users": (1, False),
    "budget_share": (0, True),
    "seed_refresh_hours": (0, True),
    "crawl_refresh_hours": (0, True),
    "list_max_age_hours": (0, True),
    "request_timeout": (0, True),
    "request_attempts": (1, False),
    "retry_backoff_seconds": (0, False),
    "workers": (1, False),
    "failure_max_runs": (1, False),
}


def check_base_url(base_url: str, example: str) -> None:
    """Raise `InstagramConfigError` for a `base_url` that is not an http(s) URL."""
    url = urlsplit(str(base_url))
    if url.scheme not in ("http", "https") or not url.hostname:
        raise InstagramConfigError(f"base_url must be an http(s) URL such as {example}, got {base_url!r}")


def check_numbers(numbers: Mapping[str, Any]) -> None:
    """Raise `InstagramConfigError` for a number setting out of range."""
    for name, value in numbers.items():
        if name == "engagement_ages_hours":
            continue
        lowest, excluded = _LOWER_BOUNDS[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InstagramConfigError(f"{name} must be a number, got {value!r}")
        if value < lowest or (excluded and value == lowest):
            raise InstagramConfigError(f"{name} must be {'>' if excluded else '>='} {lowest:g}, got {value!r}")
    ages = numbers.get("engagement_ages_hours", ())
    if isinstance(ages, str) or not all(isinstance(age, int | float) and age > 0 for age in ages):
        raise InstagramConfigError(f"engagement_ages_hours must be a list of hours > 0, got {ages!r}")
    if numbers.get("budget_share", 1) > 1:
        raise InstagramConfigError(f"budget_share must be at most 1, got {numbers['budget_share']!r}")
