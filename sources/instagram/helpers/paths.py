"""Request paths, built from segments: the one way an id gets into a URL.

Every path the client requests is a template of literal segments and `{kind}` placeholders
(`/media/{media}/comments`). An id put in a placeholder must have the shape the API uses for
its kind (`validation.ID_SHAPES`, docs/api.md §1, "Ids in paths") and is percent-encoded as one
segment (`quote(segment, safe="")`): an id from an answer such as `../../users/self/1` never
moves the request outside `/v1`. A path that breaks these rules raises `InstagramInvalidId`
when the client is asked to request it, before any request, so that it costs the entity read
(recorded in `extraction_errors` by the reader) and never the run.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ...common.errors import InstagramInvalidId
from ...common.redaction import shorten
from .validation import ID_SHAPES

# A literal segment, or one already encoded: unreserved characters and %XX escapes, never a dot
# segment (`.` or `..`, which a URL library would resolve against the segments before it).
_SAFE_SEGMENT = re.compile(r"(?!\.\.?\Z)(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ApiPath(str):
    """A path built by `api_path`: the path itself (a `str`, each id percent-encoded), which
    remembers why it must not be requested (`invalid`: an id of the wrong shape), so that the
    client refuses it when asked, inside the reader's handling of entity errors."""

    invalid: str | None

    def __new__(cls, path: str, invalid: str | None = None) -> ApiPath:
        built = super().__new__(cls, path)
        built.invalid = invalid
        return built


def api_path(template: str, **ids: object) -> ApiPath:
    """The path of `template` with `ids` in its `{kind}` placeholders (kinds: those of
    `validation.ID_SHAPES`), each percent-encoded as one segment:
    `api_path("/media/{media}/likes", media=mid)`. An id of the wrong shape does not raise
    here: the client raises `InstagramInvalidId` when asked to request the path."""
    names = _PLACEHOLDER.findall(template)
    if any(name not in ID_SHAPES or name not in ids for name in names) or set(ids) - set(names):
        raise ValueError(f"{template}: placeholders {names}, ids {sorted(ids)}")  # a programming error
    invalid = None
    segments = []
    for segment in template.strip("/").split("/"):
        placeholder = _PLACEHOLDER.fullmatch(segment)
        if placeholder is None:
            segments.append(segment)
            continue
        kind = placeholder.group(1)
        value = str(ids[kind])
        if invalid is None and not ID_SHAPES[kind].fullmatch(value):
            invalid = f"{shorten(repr(value), 200)} is not a valid {kind} id"
        segments.append(quote(value, safe=""))
    return ApiPath("/" + "/".join(segments), invalid)


def checked_path(path: str, endpoint: str = "") -> str:
    """`path` if it is made of safe segments (unreserved characters and %XX escapes, no dot
    segment, no query); else `InstagramInvalidId`. The client checks every path it requests."""
    segments = path.split("/")
    if segments[0] != "" or not all(_SAFE_SEGMENT.fullmatch(segment) for segment in segments[1:]):
        raise InstagramInvalidId(
            f"{endpoint or 'request'}: the path {shorten(repr(path), 200)} is not made of safe segments;"
            " nothing was requested",
            endpoint=endpoint,
        )
    return path


def request_path(path: str, endpoint: str = "") -> str:
    """`path`, checked before it is requested: an `ApiPath` holding an id of the wrong shape,
    or a path not made of safe segments, raises `InstagramInvalidId`."""
    invalid = getattr(path, "invalid", None)
    if invalid is not None:
        raise InstagramInvalidId(f"{endpoint or 'request'}: {invalid}; nothing was requested", endpoint=endpoint)
    return checked_path(str(path), endpoint)
