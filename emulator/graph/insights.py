"""Insights that evolve with the world (instagram-graph/API.md §2), derived, not stored.

Every value is a function of the world's facts (followers, likes, comments, media age, the
clock) and of uniform draws keyed by the seed and the media, so the same world at the same time
answers the same numbers, and a later time answers numbers that only grew.

The shape of the numbers (sources in docs/emulator.md, "Graph mode: numbers"):
- like_count is the world's likers: a few per cent of the owner's followers, heavy-tailed;
- a feed post of an account of 50 followers reaches a median of about 55 % of them (reels 75 %,
  with a heavier tail: they travel beyond followers; stories 15 %), a share that falls with
  size as engagement per follower does, so that engagement per account reached is a few per
  cent to about ten at every size;
- reach, views, saves, shares, follows and profile visits accrue with age as
  1 - exp(-age / 1.2 days) (stories: 3 h): most in the first days;
- values are served as of INSIGHT_LAG before the world's now (they appear late, §2), and media
  younger than that, or older than two years, answer an empty `data` list.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from ..generate import DAY, FOLLOWER_ELASTICITY, REFERENCE_FOLLOWERS
from .model import unit

INSIGHT_LAG = 3 * 3600
KEPT_FOR = 2 * 365 * DAY
MIN_VIEWERS = 5  # below this reach, media insights answer code 10 (§2)
# (median share of the owner's followers reached at REFERENCE_FOLLOWERS, log-normal sigma)
REACH = {"FEED": (0.55, 0.6), "REELS": (0.75, 0.9), "STORY": (0.15, 0.5)}
NORMAL = NormalDist()

COMMON = ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions")
FEED = (*COMMON, "follows", "profile_visits", "profile_activity")
REELS = (*COMMON, "ig_reels_avg_watch_time", "ig_reels_video_view_total_time")
STORY = (
    "reach",
    "views",
    "replies",
    "shares",
    "follows",
    "profile_visits",
    "profile_activity",
    "navigation",
    "total_interactions",
)
METRICS = {"FEED": FEED, "REELS": REELS, "STORY": STORY}
# Retired in v22.0 (all versions from 2025-04-21, §2): served by older versions only.
RETIRED = {
    "impressions": ("FEED", "STORY"),
    "plays": ("REELS",),
    "clips_replays_count": ("REELS",),
    "ig_reels_aggregated_all_plays_count": ("REELS",),
}
RETIRED_IN = 22
BREAKDOWNS = {
    "profile_activity": ("action_type", ("BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "TEXT")),
    "navigation": ("story_navigation_action_type", ("TAP_FORWARD", "TAP_BACK", "TAP_EXIT", "SWIPE_FORWARD")),
}
TITLES = {
    "reach": "Accounts reached",
    "views": "Views",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "saved": "Saved",
    "total_interactions": "Interactions",
    "follows": "Follows",
    "profile_visits": "Profile visits",
    "profile_activity": "Profile activity",
    "replies": "Replies",
    "navigation": "Navigation",
    "ig_reels_avg_watch_time": "Average watch time",
    "ig_reels_video_view_total_time": "Total watch time",
    "impressions": "Impressions",
    "plays": "Plays",
    "clips_replays_count": "Replays",
    "ig_reels_aggregated_all_plays_count": "All plays",
}


def lognormal(seed: int, what: str, key: int, sigma: float) -> float:
    """exp(sigma * z), z standard normal drawn from (seed, what, key): median 1, heavy tail."""
    u = min(max(unit(seed, what, key), 1e-9), 1 - 1e-9)
    return math.exp(sigma * NORMAL.inv_cdf(u))


def accrued(age: float, tau: float) -> float:
    """The share of a media's lifetime reach reached at `age` seconds."""
    return 0.0 if age <= 0 else 1.0 - math.exp(-age / tau)


def media_values(seed: int, key: int, product: str, followers: int, likes: int, comments: int, age: float) -> dict:
    """Every metric of one media (or story) `age` seconds after posting."""
    story = product == "STORY"
    share, sigma = REACH[product]
    # the share reached falls with size as engagement per follower does (generate.py), so
    # engagement per account reached is alike for small and large accounts
    size = ((followers + 1.0) / REFERENCE_FOLLOWERS) ** -FOLLOWER_ELASTICITY
    final = followers * share * size * lognormal(seed, "reach", key, sigma)
    reach = max(int(final * accrued(age, 3 * 3600 if story else 1.2 * DAY)), math.ceil(1.2 * likes))
    views = int(reach * (1.2 if story else 1.4 + 0.6 * unit(seed, "views", key)) * (2.2 if product == "REELS" else 1))

    def part(what: str, rate: float, spread: float = 0.7) -> int:
        return int(reach * rate * lognormal(seed, what, key, spread))

    values = {
        "reach": reach,
        "views": views,
        "likes": likes,
        "comments": comments,
        "shares": part("shares", 0.008, 0.8),
        "saved": part("saved", 0.015),
        "follows": part("follows", 0.003, 0.8),
        "profile_visits": part("visits", 0.025, 0.5),
        "replies": part("replies", 0.01) if story else 0,
        "navigation": int(views * 1.5) if story else 0,
    }
    values["profile_activity"] = values["profile_visits"] // 4
    values["total_interactions"] = likes + comments + values["shares"] + values["saved"] + values["replies"]
    watch = int(4000 + 11000 * unit(seed, "watch", key))
    values["ig_reels_avg_watch_time"] = watch
    values["ig_reels_video_view_total_time"] = watch * views
    values["impressions"] = int(views * 0.9) if views else 0
    values["plays"] = views
    values["clips_replays_count"] = max(0, views - reach)
    values["ig_reels_aggregated_all_plays_count"] = int(views * 1.1)
    return values


def split(seed: int, what: str, key: int, total: int, names: tuple[str, ...]) -> list[tuple[str, int]]:
    """`total` split over `names` by deterministic weights (the last takes the rounding)."""
    weights = [0.2 + unit(seed, what, key, name) for name in names]
    parts = [int(total * w / sum(weights)) for w in weights]
    parts[-1] += total - sum(parts)
    return list(zip(names, parts))
