"""Page sizes, cursors and `next_url`s (docs/api.md §3.2).

Every list is newest first. A page is cut from a list of `(key, item)` entries whose integer
keys strictly decrease along the list; cursors are those keys, so a cursor keeps pointing at
the same place when items are added in front of it or removed elsewhere (a cursor is never
an offset).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from . import errors
from .transport import Request

Item = TypeVar("Item")


@dataclass(frozen=True)
class CountRule:
    """Default and maximum of the `count` parameter for a family of endpoints.

    A larger `count` is silently lowered to the maximum, as the real API did (33 was the
    largest media page observed).
    """

    default: int
    maximum: int

    def parse(self, params: Mapping[str, str]) -> int:
        """The page size asked for by `params`, or the real API's parameter error."""
        raw = params.get("count", "")
        if raw == "":
            return self.default
        try:
            count = int(raw)
        except ValueError:
            raise errors.invalid_parameters("Count must be an integer.") from None
        if count <= 0:
            raise errors.invalid_parameters("Count must be larger than zero.")
        return min(count, self.maximum)


MEDIA_COUNT = CountRule(default=20, maximum=33)
FOLLOW_COUNT = CountRule(default=50, maximum=50)
SEARCH_COUNT = CountRule(default=50, maximum=50)


def parse_cursor(params: Mapping[str, str], *names: str) -> int | None:
    """The integer cursor in the first of `names` present in `params` (None if absent).

    Cursors are opaque to clients; the emulator's own are integers, so anything else is a
    client error.
    """
    for name in names:
        raw = params.get(name, "")
        if raw != "":
            try:
                return int(raw)
            except ValueError:
                raise errors.invalid_parameters(f"Invalid parameter {name}.") from None
    return None


def cut_page(
    entries: Sequence[tuple[int, Item]], count: int, *, below: int | None, above: int | None
) -> tuple[Sequence[tuple[int, Item]], bool]:
    """The first `count` entries with `above < key < below` (bounds exclusive, None = open)
    and whether more entries within the bounds follow."""
    start = 0 if below is None else bisect_right(entries, -below, key=lambda e: -e[0])
    stop = len(entries) if above is None else bisect_left(entries, -above, key=lambda e: -e[0])
    end = min(stop, start + count)
    return entries[start:end], end < stop


def next_url(request: Request, cursor_params: Mapping[str, str]) -> str:
    """The absolute URL of the next page: the request's own URL (token and other parameters
    included, `sig` left out as in real `next_url`s) with the new cursor."""
    kept = [(k, v) for k, v in request.query if k not in cursor_params and k != "sig"]
    query = urlencode(kept + list(cursor_params.items()))
    return f"http://{request.host}{request.path}?{query}"  # path as received (still %-encoded)
