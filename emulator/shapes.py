"""The v1 answer shapes (User, Media, Comment, Location, Tag objects) built from the world's
state, and their pure helpers: shortcodes and CDN image and video versions."""

from __future__ import annotations

import hashlib
from typing import Any

from .generate import BIOS, FILTERS, MEDIA_CAROUSEL, MEDIA_TYPES, MEDIA_VIDEO
from .state import CAPTION_ID_BASE, COMMENT_ID_BASE, MEDIA_INDEX_MASK, State

SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CDN = "https://scontent.cdninstagram.com"


def shortcode(n: int) -> str:
    chars = []
    while n:
        n, digit = divmod(n, 64)
        chars.append(SHORTCODE_ALPHABET[digit])
    return "".join(reversed(chars)) or "A"


def image_versions(n: int, position: int) -> dict:
    return {
        name: {
            "url": f"{CDN}/t51.2885-15/s{size}x{size}/e35/{n}_{position}_{suffix}.jpg",
            "width": size,
            "height": size,
        }
        for name, size, suffix in (
            ("thumbnail", 150, "s"),
            ("low_resolution", 320, "a"),
            ("standard_resolution", 640, "n"),
        )
    }


def video_versions(n: int, position: int) -> dict:
    return {
        name: {"url": f"{CDN}/t50.2886-16/{n}_{position}_{suffix}.mp4", "width": size, "height": size}
        for name, size, suffix in (
            ("low_resolution", 480, "lr"),
            ("standard_resolution", 640, "sr"),
            ("low_bandwidth", 480, "lb"),
        )
    }


def user_short(state: State, uid: str) -> dict:
    """Short User object: id, username, full_name, profile_picture."""
    i = state.index_of_user(uid)
    digest = hashlib.blake2b(f"{state.config.seed}:{uid}".encode(), digest_size=8).hexdigest()
    return {
        "id": uid,
        "username": state.snap.username[i],
        "full_name": state.snap.full_name[i],
        "profile_picture": f"{CDN}/t51.2885-19/s150x150/{digest}_a.jpg",
    }


def user(state: State, uid: str) -> dict:
    """Full User object with bio, website, is_business and counts."""
    user = user_short(state, uid)
    i = state.index_of_user(uid)
    snap = state.snap
    website = f"https://{user['username'].replace('.', '').replace('_', '')}.example.com"
    user.update(
        bio=BIOS[snap.bio[i]],
        website=website if snap.has_website[i] else "",
        is_business=bool(snap.is_business[i]),
        counts={
            "media": state.media_by_owner.count(i),
            "follows": int(state.follows.forward.counts[i]),
            "followed_by": int(state.follows.backward.counts[i]),
        },
    )
    return user


def location(state: State, index: int) -> dict:
    """Location object {id, name, latitude, longitude, street_address}."""
    snap = state.snap
    return {
        "id": state.location_ids[index],
        "name": snap.location_name[index],
        "latitude": float(snap.location_lat[index]),
        "longitude": float(snap.location_lng[index]),
        "street_address": snap.location_street[index],
    }


def tag(state: State, name: str) -> dict:
    """Tag object {name, media_count, description, external_url}; media_count counts public
    media; description and external_url are null, as in every recorded answer."""
    return {
        "name": name,
        "media_count": state.taggings_by_tag.count(state.index_of_tag(name)),
        "description": None,
        "external_url": None,
    }


def _users_in_photo(state: State, index: int) -> list[dict]:
    lo, hi = int(state.media_photo_start[index]), int(state.media_photo_start[index + 1])
    return [
        {
            "user": user_short(state, state.user_ids[int(state.photo_user[k])]),
            "position": {"x": int(state.photo_x[k]) / 1000, "y": int(state.photo_y[k]) / 1000},
        }
        for k in range(lo, hi)
    ]


def media(state: State, mid: str) -> dict:
    """Media object, 2016 shape (`comments`/`likes` hold only `count`; the server adds
    `user_has_liked`)."""
    index = state.index_of_media(mid)
    n = state.media_n(index)
    owner = user_short(state, state.user_ids[int(state.media_owner[index])])
    created = str(int(state.media_time[index]))
    kind = int(state.media_type[index])
    place = int(state.media_location[index])
    users_in_photo = _users_in_photo(state, index)
    media: dict[str, Any] = {
        "attribution": None,
        "tags": state.tags_of(index),
        "type": MEDIA_TYPES[kind],
        "location": location(state, place) if place >= 0 else None,
        "comments": {"count": state.comment_count(index)},
        "filter": FILTERS[int(state.media_filter[index])],
        "created_time": created,
        "link": f"https://www.instagram.com/p/{shortcode(n)}/",
        "likes": {"count": int(state.likes.backward.counts[index])},
        "images": image_versions(n, 0),
    }
    if kind == MEDIA_VIDEO:
        media["videos"] = video_versions(n, 0)
    if kind == MEDIA_CAROUSEL:
        items = []
        for position in range(int(state.media_carousel_size[index])):
            # Every fourth carousel item (by a fixed rule) is a video.
            item: dict[str, Any] = {"images": image_versions(n, position)}
            is_video = (index + position) % 4 == 3
            if is_video:
                item["videos"] = video_versions(n, position)
            item["users_in_photo"] = users_in_photo if position == 0 else []
            item["type"] = "video" if is_video else "image"
            items.append(item)
        if "videos" in items[0]:
            media["videos"] = items[0]["videos"]
        media["carousel_media"] = items
    media["users_in_photo"] = users_in_photo
    caption = state.caption_text(index)
    media["caption"] = (
        None
        if caption is None
        else {"id": str(CAPTION_ID_BASE + index), "text": caption, "created_time": created, "from": owner}
    )
    media["user"] = owner
    media["id"] = mid
    return media


def comment(state: State, ci: int) -> dict:
    """Comment object of comment index `ci`."""
    return {
        "created_time": str(int(state.comment_time[ci])),
        "text": state.comment_text(ci),
        "from": user_short(state, state.user_ids[int(state.comment_user[ci])]),
        "id": str(COMMENT_ID_BASE + ci),
    }


def media_id_by_shortcode(state: State, code: str) -> str:
    """The media id whose permalink ends in /p/{code}/; KeyError if there is none."""
    n = 0
    for char in str(code):
        digit = SHORTCODE_ALPHABET.find(char)
        if digit < 0:
            raise KeyError(f"unknown shortcode {code!r}")
        n = n * 64 + digit
    index = n & MEDIA_INDEX_MASK
    if index >= len(state.media_owner) or shortcode(state.media_n(index)) != code:
        raise KeyError(f"unknown shortcode {code!r}")
    return state.media_id(index)
