"""Graph API objects → rows of the raw tables (`sources/instagram_graph_contract.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ...common.rows import Rows


def graph_time(text: Any) -> datetime | None:
    """A Graph timestamp (`2017-05-31T23:28:20+0000`) as an aware UTC datetime."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def snapshot_key(entity_id: str, observed_at: datetime) -> str:
    return f"{entity_id}:{int(observed_at.timestamp())}"


def account_rows(account: Mapping[str, Any], login: str, page_id: str | None, observed_at: datetime) -> Rows:
    """An account and a snapshot of its counters."""
    account_id = str(account["id"])
    return {
        "accounts": [
            {
                "id": account_id,
                "username": _text(account.get("username")),
                "name": _text(account.get("name")),
                "biography": _text(account.get("biography")),
                "website": _text(account.get("website")),
                "profile_picture_url": _text(account.get("profile_picture_url")),
                "login": login,
                "page_id": page_id,
                "observed_at": observed_at,
            }
        ],
        "account_counts": [
            {
                "snapshot_key": snapshot_key(account_id, observed_at),
                "account_id": account_id,
                "observed_at": observed_at,
                "followers_count": _int(account.get("followers_count")),
                "follows_count": _int(account.get("follows_count")),
                "media_count": _int(account.get("media_count")),
            }
        ],
    }


def media_rows(media: Mapping[str, Any], account_id: str, observed_at: datetime) -> Rows:
    """A media, its album children and a snapshot of its counters."""
    media_id = str(media["id"])
    children = (media.get("children") or {}).get("data") or []
    return {
        "media": [
            {
                "id": media_id,
                "account_id": account_id,
                "media_type": _text(media.get("media_type")),
                "media_product_type": _text(media.get("media_product_type")),
                "created_time": graph_time(media.get("timestamp")),
                "caption": _text(media.get("caption")),
                "permalink": _text(media.get("permalink")),
                "shortcode": _text(media.get("shortcode")),
                "media_url": _text(media.get("media_url")),
                "thumbnail_url": _text(media.get("thumbnail_url")),
                "like_count": _int(media.get("like_count")),
                "comments_count": _int(media.get("comments_count")),
                "is_comment_enabled": media.get("is_comment_enabled"),
                "observed_at": observed_at,
            }
        ],
        "media_children": [
            {
                "id": str(child["id"]),
                "media_id": media_id,
                "position": position,
                "media_type": _text(child.get("media_type")),
                "media_url": _text(child.get("media_url")),
                "permalink": _text(child.get("permalink")),
            }
            for position, child in enumerate(children)
            if isinstance(child, dict) and child.get("id") is not None
        ],
        "media_counts": [
            {
                "snapshot_key": snapshot_key(media_id, observed_at),
                "media_id": media_id,
                "observed_at": observed_at,
                "like_count": _int(media.get("like_count")),
                "comments_count": _int(media.get("comments_count")),
            }
        ],
    }


def comment_row(comment: Mapping[str, Any], media_id: str, observed_at: datetime) -> dict[str, Any]:
    author = comment.get("from") or {}
    return {
        "id": str(comment["id"]),
        "media_id": media_id,
        "parent_id": _text(comment.get("parent_id")),
        "text": _text(comment.get("text")),
        "created_time": graph_time(comment.get("timestamp")),
        "username": _text(comment.get("username") or author.get("username")),
        "from_id": _text(author.get("id")),
        "like_count": _int(comment.get("like_count")),
        "hidden": comment.get("hidden"),
        "observed_at": observed_at,
    }


def media_insight_rows(
    data: list[Any], media_id: str, product_type: str, api_version: str, observed_at: datetime
) -> list[dict[str, Any]]:
    """The lifetime values of an insights answer (§2: one value each), with the API version
    asked (the metric sets change with it)."""
    rows = []
    for metric in data:
        values = metric.get("values") if isinstance(metric, dict) else None
        if not values or not isinstance(values[0], dict):
            continue
        rows.append(
            {
                "media_id": media_id,
                "metric": str(metric.get("name")),
                "value": _int(values[0].get("value")),
                "media_product_type": product_type,
                "observed_at": observed_at,
                "api_version": api_version,
            }
        )
    return rows


def account_insight_rows(data: list[Any], account_id: str, observed_at: datetime) -> list[dict[str, Any]]:
    """The daily values of an account insights answer, one row per metric and day."""
    return [
        {
            "account_id": account_id,
            "metric": str(metric.get("name")),
            "end_time": graph_time(value.get("end_time")),
            "value": _int(value.get("value")),
            "observed_at": observed_at,
        }
        for metric in data
        if isinstance(metric, dict)
        for value in metric.get("values") or []
        if isinstance(value, dict) and value.get("end_time")
    ]


def demographic_rows(data: list[Any], account_id: str, breakdown: str, observed_at: datetime) -> list[dict[str, Any]]:
    """The groups of a demographics answer (§2: `total_value.breakdowns[].results[]`, one
    breakdown asked), one row per group."""
    rows = []
    for metric in data:
        total = metric.get("total_value") if isinstance(metric, dict) else None
        breakdowns = total.get("breakdowns") if isinstance(total, dict) else None
        for part in breakdowns if isinstance(breakdowns, list) else []:
            results = part.get("results") if isinstance(part, dict) else None
            for result in results if isinstance(results, list) else []:
                groups = result.get("dimension_values") if isinstance(result, dict) else None
                if not groups:
                    continue
                rows.append(
                    {
                        "account_id": account_id,
                        "metric": str(metric.get("name")),
                        "breakdown": breakdown,
                        "dimension_value": _text(groups[0]),
                        "value": _int(result.get("value")),
                        "observed_at": observed_at,
                    }
                )
    return rows


def online_follower_rows(data: list[Any], account_id: str, observed_at: datetime) -> list[dict[str, Any]]:
    """The hourly values of an `online_followers` answer (§2: per day, a value per hour keyed
    "0" to "23"), one row per day and hour."""
    return [
        {
            "account_id": account_id,
            "end_time": graph_time(day.get("end_time")),
            "hour": _int(hour),
            "value": _int(value),
            "observed_at": observed_at,
        }
        for metric in data
        if isinstance(metric, dict)
        for day in metric.get("values") or []
        if isinstance(day, dict) and day.get("end_time") and isinstance(day.get("value"), dict)
        for hour, value in day["value"].items()
        if _int(hour) is not None
    ]


def story_row(story: Mapping[str, Any], account_id: str, observed_at: datetime) -> dict[str, Any]:
    return {
        "id": str(story["id"]),
        "account_id": account_id,
        "media_type": _text(story.get("media_type")),
        "created_time": graph_time(story.get("timestamp")),
        "permalink": _text(story.get("permalink")),
        "media_url": _text(story.get("media_url")),
        "thumbnail_url": _text(story.get("thumbnail_url")),
        "observed_at": observed_at,
    }


def public_media_fields(media: Mapping[str, Any], observed_at: datetime) -> dict[str, Any]:
    """What the API shows of another account's media (`PUBLIC_MEDIA_COLUMNS` of the contract)."""
    return {
        "media_type": _text(media.get("media_type")),
        "created_time": graph_time(media.get("timestamp")),
        "caption": _text(media.get("caption")),
        "permalink": _text(media.get("permalink")),
        "like_count": _int(media.get("like_count")),
        "comments_count": _int(media.get("comments_count")),
        "observed_at": observed_at,
    }


def tagged_media_row(media: Mapping[str, Any], account_id: str, observed_at: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "media_id": str(media["id"]),
        "owner_id": _text((media.get("owner") or {}).get("id")),
        "username": _text(media.get("username")),
        **public_media_fields(media, observed_at),
    }


def hashtag_media_row(media: Mapping[str, Any], hashtag: str, hashtag_id: str, observed_at: datetime) -> dict[str, Any]:
    return {
        "hashtag": hashtag,
        "media_id": str(media["id"]),
        "hashtag_id": hashtag_id,
        **public_media_fields(media, observed_at),
    }


def competitor_rows(found: Mapping[str, Any], username: str, observed_at: datetime) -> Rows:
    """A competitor's counters snapshot and its newest media (business discovery)."""
    media = (found.get("media") or {}).get("data") or []
    return {
        "competitor_counts": [
            {
                "snapshot_key": snapshot_key(username, observed_at),
                "username": username,
                "account_id": _text(found.get("id")),
                "observed_at": observed_at,
                "followers_count": _int(found.get("followers_count")),
                "follows_count": _int(found.get("follows_count")),
                "media_count": _int(found.get("media_count")),
            }
        ],
        "competitor_media": [
            {
                "media_id": str(item["id"]),
                "username": username,
                **public_media_fields(item, observed_at),
            }
            for item in media
            if isinstance(item, dict) and item.get("id") is not None
        ],
    }
