"""The insights edges (instagram-graph/API.md §2): `/{media-id}/insights` with the media type's
metric set and the v22 retirements, `/{ig-user-id}/insights` with its periods, metric types,
breakdowns and 30-day window, and `insights.metric(…)` as a field of media. The numbers come
from emulator.graph.insights.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..generate import DAY
from . import errors, insights
from .fields import Field
from .model import GraphModel, node_id, unit
from .nodes import EXPANSIONS, Ctx, iso
from .params import list_param, time_param


def media_insights(ctx: Ctx, kind: str, n: int) -> dict:
    """`/{media-id}/insights?metric=…` (§2): the type's metric set, retirements by version,
    code 10 below MIN_VIEWERS, an empty list where the values are not there (yet, or any more)."""
    model, world = ctx.model, ctx.model.world
    if kind == "child":
        raise errors.bad_parameter("Insights are not available for album children")
    if kind == "story":
        owner, posted, _ = model.story(n) or (0, 0, 0)
        product, likes, comments = "STORY", 0, 0
    else:
        owner, posted, media_kind, _, _, _, likes, comments = model.media(n)
        product = model.product_type(n, media_kind)
    metrics = list_param(ctx, "metric")
    if not metrics:
        raise errors.bad_parameter("The parameter metric is required")
    for metric in metrics:
        if metric in insights.RETIRED and ctx.major >= insights.RETIRED_IN:
            raise errors.bad_parameter(
                f"Starting from version v{insights.RETIRED_IN}.0 and above, the {metric} metric is no longer "
                "supported. Please use views instead."
            )
    allowed = set(insights.METRICS[product]) | {m for m, types in insights.RETIRED.items() if product in types}
    for metric in metrics:
        if metric not in allowed:
            raise errors.unsupported_metric(metric)
    seen_at = world.now - insights.INSIGHT_LAG
    if seen_at <= posted or world.now - posted > insights.KEPT_FOR:
        return {"data": []}
    followers = model.user(owner)["followers_count"]
    key = n if kind == "media" else -n
    values = insights.media_values(model.seed, key, product, followers, likes, comments, seen_at - posted)
    if values["reach"] < insights.MIN_VIEWERS:
        raise errors.not_enough_viewers()
    breakdown = ctx.params.get("breakdown")
    data = []
    for metric in metrics:
        item: dict[str, Any] = {
            "name": metric,
            "period": "lifetime",
            "values": [{"value": values[metric]}],
            "title": insights.TITLES[metric],
            "description": f"{insights.TITLES[metric]} of this media.",
            "id": f"{node_id(kind, n)}/insights/{metric}/lifetime",
        }
        dimension = insights.BREAKDOWNS.get(metric)
        if breakdown and dimension and dimension[0] == breakdown:
            parts = insights.split(model.seed, metric, key, values[metric], dimension[1])
            item["total_value"] = {
                "value": values[metric],
                "breakdowns": [
                    {
                        "dimension_keys": [breakdown],
                        "results": [{"dimension_values": [name], "value": v} for name, v in parts],
                    }
                ],
            }
        data.append(item)
    return {"data": data}


# Account insights (§2): which metrics, with which periods and metric types.
DAILY = ("reach", "views", "follower_count")
TOTAL_ONLY = (
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "profile_links_taps",
    "follows_and_unfollows",
)
DEMOGRAPHICS = ("follower_demographics", "engaged_audience_demographics")
RATES = {  # per account reached, a day (see insights' module doc)
    "accounts_engaged": 0.05,
    "likes": 0.035,
    "comments": 0.003,
    "shares": 0.006,
    "saves": 0.01,
    "replies": 0.002,
    "profile_links_taps": 0.003,
}
DEMOGRAPHIC_VALUES = {
    "age": ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("F", "M", "U"),
    "country": ("US", "BR", "IN", "DE", "GB", "FR", "IT", "ES"),
    "city": ("London, England", "São Paulo, São Paulo", "Berlin, Berlin", "New York, New York", "Paris, Île-de-France"),
}
MIN_FOLLOWERS = 100
WINDOW_DAYS = 30


def _day_reach(ctx: Ctx, i: int, day: int) -> int:
    """Accounts reached on `day`: what the account's media and stories gained that day."""
    model, start, end = ctx.model, day * DAY, (day + 1) * DAY
    followers = model.user(i)["followers_count"]
    total = followers * 0.02 * insights.lognormal(model.seed, "day reach", i * 100_000 + day, 0.3)
    for index in model.media_of(i):
        posted = model.media(index)[1]
        if posted >= end:
            continue
        if start - posted > 30 * DAY:
            break  # older media add next to nothing; the list is newest first
        product = model.product_type(index, model.media(index)[2])
        gained = [
            insights.media_values(model.seed, index, product, followers, 0, 0, t - posted)["reach"]
            for t in (max(start, posted), end)
        ]
        total += 0.7 * (gained[1] - gained[0])
    total += followers * 0.08 * len(model.stories_on(i, day))
    return int(total)


def _day_follows(ctx: Ctx, i: int, day: int) -> int:
    recorded = ctx.model.overlays.follower_days.get(i, {})
    if day in recorded:
        return recorded[day]
    followers = ctx.model.user(i)["followers_count"]
    draw = insights.lognormal(ctx.model.seed, "day follows", i * 100_000 + day, 0.6)
    return int(followers * 0.004 * draw + unit(ctx.model.seed, "day follows", i, day))


def _end_time(day: int) -> str:
    return iso((day + 1) * DAY + 7 * 3600)  # Pacific midnight, as the real end_time values


def user_insights(ctx: Ctx, kind: str, i: int) -> dict:
    """`/{ig-user-id}/insights` (§2)."""
    model, world = ctx.model, ctx.model.world
    metrics = list_param(ctx, "metric")
    period = ctx.params.get("period")
    metric_type = ctx.params.get("metric_type", "time_series")
    if not metrics:
        raise errors.bad_parameter("The parameter metric is required")
    if period not in ("day", "week", "days_28", "lifetime"):
        raise errors.bad_parameter("period must be one of the following values: day, week, days_28, lifetime")
    now_day = (world.now - insights.INSIGHT_LAG) // DAY
    since, until = time_param(ctx, "since"), time_param(ctx, "until")
    last = now_day if until is None else min(now_day, until // DAY - 1)
    first = last - 1 if since is None else since // DAY
    if last - first + 1 > WINDOW_DAYS or first < now_day - WINDOW_DAYS:
        raise errors.insights_out_of_range()
    followers = model.user(i)["followers_count"]
    breakdown = ctx.params.get("breakdown")
    data = []
    for metric in metrics:
        known = metric in DAILY or metric in TOTAL_ONLY or metric in DEMOGRAPHICS or metric == "online_followers"
        if not known:
            raise errors.bad_parameter(
                f"metric[0] must be one of the following values: {', '.join(DAILY + TOTAL_ONLY)}"
            )
        if metric in ("follower_count", "online_followers", *DEMOGRAPHICS) and followers < MIN_FOLLOWERS:
            continue  # not available below 100 followers: left out of the answer
        item = {
            "name": metric,
            "period": period,
            "title": metric.replace("_", " ").capitalize(),
            "description": f"{metric.replace('_', ' ').capitalize()} of the account.",
            "id": f"{GraphModel.user_id(i)}/insights/{metric}/{period}",
        }
        if metric in DEMOGRAPHICS:
            if not breakdown or breakdown not in DEMOGRAPHIC_VALUES:
                raise errors.bad_parameter(f"{metric} needs breakdown age, gender, city or country")
            base = followers if metric == "follower_demographics" else int(followers * 0.3)
            parts = insights.split(model.seed, metric + breakdown, i, base, DEMOGRAPHIC_VALUES[breakdown])
            # demographics answer their breakdown only, no total (as recorded)
            item["total_value"] = {"breakdowns": _breakdown_value(base, breakdown, parts)["breakdowns"]}
        elif metric == "online_followers":
            item["values"] = [
                {
                    "value": dict(
                        insights.split(model.seed, "online", i * 1000 + d, followers, tuple(map(str, range(24))))
                    ),
                    "end_time": _end_time(d),
                }
                for d in range(first, last + 1)
            ]
        else:
            per_day = {d: _daily(ctx, i, metric, d) for d in range(first, last + 1)}
            if metric_type == "total_value":
                total = sum(per_day.values())
                value: dict[str, Any] = {"value": total}
                if breakdown == "media_product_type":
                    parts = insights.split(model.seed, metric + breakdown, i, total, ("POST", "REEL", "STORY", "AD"))
                    value = _breakdown_value(total, breakdown, parts)
                item["total_value"] = value
            elif metric in TOTAL_ONLY:
                continue  # these have no time series: the answer leaves them out (§2)
            else:
                item["values"] = [{"value": v, "end_time": _end_time(d)} for d, v in per_day.items()]
        data.append(item)
    return {"data": data}


def _daily(ctx: Ctx, i: int, metric: str, day: int) -> int:
    if metric == "follower_count" or metric == "follows_and_unfollows":
        return _day_follows(ctx, i, day)
    reach = _day_reach(ctx, i, day)
    if metric == "reach":
        return reach
    if metric == "views":
        return int(reach * 1.6)
    if metric == "total_interactions":
        return sum(int(reach * RATES[m]) for m in ("likes", "comments", "shares", "saves", "replies"))
    return int(reach * RATES[metric])


def _breakdown_value(total: int, dimension: str, parts: list[tuple[str, int]]) -> dict:
    return {
        "value": total,
        "breakdowns": [
            {"dimension_keys": [dimension], "results": [{"dimension_values": [k], "value": v} for k, v in parts]}
        ],
    }


def insights_field(ctx: Ctx, kind: str, n: int, selected: Field) -> dict:
    """`fields=insights.metric(reach,likes)`: the insights edge as a field (its modifiers are
    the edge's parameters; a retired or unsupported metric fails the whole request as there)."""
    params = {name: selected.modifiers[name] for name in ("metric", "breakdown") if name in selected.modifiers}
    inner = replace(ctx, params=params)
    return media_insights(inner, kind, n)


for _kind in ("media", "story"):
    EXPANSIONS[(_kind, "insights")] = insights_field
