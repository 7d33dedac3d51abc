"""Record shaping: API objects → flat rows (dicts) of the raw tables, one function per object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ...common.errors import REPAIRED_TEXT, InstagramEntityError
from ...common.failures import error_row
from ...common.rows import Rows


def _ts(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError):
        return None


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _url(versions: Any) -> str | None:
    if isinstance(versions, dict):
        standard = versions.get("standard_resolution")
        if isinstance(standard, dict):
            return _str(standard.get("url"))
    return None


def user_row(user: Mapping[str, Any], observed_at: datetime) -> dict[str, Any]:
    """A `users` row from a short or full User object."""
    return {
        "id": _str(user.get("id")),
        "username": user.get("username"),
        "full_name": user.get("full_name"),
        "profile_picture": user.get("profile_picture"),
        "bio": user.get("bio"),
        "website": user.get("website"),
        "is_business": user.get("is_business"),
        "observed_at": observed_at,
    }


def shape_full_user(user: Mapping[str, Any], observed_at: datetime) -> Rows:
    """`users` and `user_counts` rows from a full User object."""
    counts = user.get("counts") or {}
    uid = _str(user.get("id"))
    return {
        "users": [user_row(user, observed_at)],
        "user_counts": [
            {
                "snapshot_key": f"{uid}:{_epoch(observed_at)}",
                "user_id": uid,
                "observed_at": observed_at,
                "media_count": counts.get("media"),
                "follows_count": counts.get("follows"),
                "followed_by_count": counts.get("followed_by"),
            }
        ],
    }


def tag_row(tag: Mapping[str, Any], observed_at: datetime) -> dict[str, Any]:
    """A `tags` row from a Tag object."""
    return {"name": tag.get("name"), "media_count": tag.get("media_count"), "observed_at": observed_at}


def location_row(location: Mapping[str, Any]) -> dict[str, Any] | None:
    """A `locations` row, or None for a location without id (coordinates only)."""
    if location.get("id") in (None, ""):
        return None
    return {
        "id": _str(location.get("id")),
        "name": location.get("name"),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "street_address": location.get("street_address"),
    }


def shape_media(media: Mapping[str, Any], observed_at: datetime) -> Rows:
    """Rows of every media table (plus owner, tagged users and location) from a Media object."""
    mid = _str(media.get("id"))
    owner = media.get("user") or {}
    caption = media.get("caption") or {}
    location = media.get("location") or {}
    likes = (media.get("likes") or {}).get("count")
    comments = (media.get("comments") or {}).get("count")
    link = media.get("link")
    shortcode = link.rstrip("/").rsplit("/", 1)[-1] if isinstance(link, str) and "/p/" in link else None
    loc = location_row(location) if location else None
    rows: Rows = {
        "media": [
            {
                "id": mid,
                "user_id": _str(owner.get("id")),
                "type": media.get("type"),
                "created_time": _ts(media.get("created_time")),
                "link": link,
                "shortcode": shortcode,
                "filter": media.get("filter"),
                "caption_id": _str(caption.get("id")),
                "caption_text": caption.get("text"),
                "location_id": loc["id"] if loc else None,
                "likes_count": likes,
                "comments_count": comments,
                "image_url": _url(media.get("images")),
                "video_url": _url(media.get("videos")),
                "observed_at": observed_at,
            }
        ],
        "media_counts": [
            {
                "snapshot_key": f"{mid}:{_epoch(observed_at)}",
                "media_id": mid,
                "observed_at": observed_at,
                "likes_count": likes,
                "comments_count": comments,
            }
        ],
        "media_tags": [{"media_id": mid, "tag": str(tag)} for tag in media.get("tags") or []],
        "media_users_in_photo": [],
        "media_carousel_items": [],
        "users": [user_row(owner, observed_at)] if owner.get("id") is not None else [],
        "locations": [loc] if loc else [],
    }
    for tagged in media.get("users_in_photo") or []:
        person, position = tagged.get("user") or {}, tagged.get("position") or {}
        rows["media_users_in_photo"].append(
            {
                "media_id": mid,
                "user_id": _str(person.get("id")),
                "position_x": position.get("x"),
                "position_y": position.get("y"),
            }
        )
        rows["users"].append(user_row(person, observed_at))
    for position, item in enumerate(media.get("carousel_media") or []):
        rows["media_carousel_items"].append(
            {
                "media_id": mid,
                "position": position,
                "type": item.get("type"),
                "image_url": _url(item.get("images")),
                "video_url": _url(item.get("videos")),
            }
        )
    return rows


def shape_comments(media_id: str, comments: Iterable[Mapping[str, Any]], observed_at: datetime) -> Rows:
    """`comments` and `users` rows from a media's Comment list."""
    rows: Rows = {"comments": [], "users": []}
    for comment in comments:
        author = comment.get("from") or {}
        rows["comments"].append(
            {
                "id": _str(comment.get("id")),
                "media_id": media_id,
                "from_user_id": _str(author.get("id")),
                "text": comment.get("text"),
                "created_time": _ts(comment.get("created_time")),
                "observed_at": observed_at,
            }
        )
        if author.get("id") is not None:
            rows["users"].append(user_row(author, observed_at))
    return rows


def shape_likes(media_id: str, likers: Iterable[Mapping[str, Any]], observed_at: datetime) -> Rows:
    """`likes` and `users` rows from a media's liker list."""
    rows: Rows = {"likes": [], "users": []}
    for liker in likers:
        uid = _str(liker.get("id"))
        rows["likes"].append(
            {"like_key": f"{media_id}:{uid}", "media_id": media_id, "user_id": uid, "observed_at": observed_at}
        )
        rows["users"].append(user_row(liker, observed_at))
    return rows


def repaired_text_row(
    table: str, entity_id: str, columns: Iterable[str], endpoint: str, observed_at: datetime
) -> dict[str, Any]:
    """The `extraction_errors` row saying that a row of `table` (key `entity_id`) holds text the
    client repaired: a lone UTF-16 surrogate in these `columns` replaced with U+FFFD. The row
    was loaded; this one says which values are not what the server sent. A note, not a failure:
    resolved at once (`resolved_at` = `observed_at`), so that it is never an open failure."""
    where = ", ".join(f"{table}.{column}" for column in columns)
    note = InstagramEntityError(
        f"lone UTF-16 surrogates replaced with U+FFFD in {where} (the server sent text that is not"
        " valid Unicode, such as a caption cut inside an emoji)",
        endpoint=endpoint,
        error_type=REPAIRED_TEXT,
    )
    return error_row(table, entity_id, note, observed_at, resolved_at=observed_at)


def edge_rows(list_key: str, owner_id: str, member_ids: Iterable[str]) -> list[dict[str, Any]]:
    """`follow_edges` rows of one completely read list, plus its marker row.

    The marker (NULL follower and followed) puts the list in the merge's scope even when it is
    empty, so edges of a list that became empty are retired too; it is never stored.
    """
    kind = list_key.split(":", 1)[0]
    rows = []
    for other in member_ids:
        follower, followed = (owner_id, other) if kind == "follows" else (other, owner_id)
        rows.append(
            {"edge_key": f"{list_key}:{other}", "list_key": list_key, "follower_id": follower, "followed_id": followed}
        )
    rows.append({"edge_key": list_key, "list_key": list_key, "follower_id": None, "followed_id": None})
    return rows


def list_read_row(list_key: str, member_count: int, observed_at: datetime, shard: str | None) -> dict[str, Any]:
    """The `follow_list_reads` row of one completely read list (empty lists included), by
    `shard` (None: the unsharded pipeline).

    `observed_at` is the scd2 boundary the list's `follow_edges` rows are merged with, so that
    the transforms can tell which edges this read held: those valid at that instant. Two shards
    can read a list in the same second, so a shard's key names the shard.
    """
    kind, owner_id = list_key.split(":", 1)
    return {
        "read_key": f"{shard + ':' if shard else ''}{list_key}:{_epoch(observed_at)}",
        "list_key": list_key,
        "user_id": owner_id,
        "list_kind": kind,
        "observed_at": observed_at,
        "member_count": member_count,
        "shard": shard,
    }


def search_result_rows(kind: str, label: str, items: list[dict[str, Any]], observed_at: datetime) -> Rows:
    """`search_results` rows of one search's answer, in rank order (tags are keyed by name)."""
    key = "name" if kind == "tags" else "id"
    return {
        "search_results": [
            {
                "search_key": f"{kind}:{label}:{item.get(key)}",
                "kind": kind,
                "query": label,
                "rank": rank,
                "object_id": str(item.get(key)),
                "observed_at": observed_at,
            }
            for rank, item in enumerate(items)
        ]
    }
