"""Nodes, their fields and edges, and list pages (instagram-graph/API.md §2, §3).

A node is `(kind, number)` (see `model.RANGES`). `render(ctx, kind, n, selection)` answers the
fields a `fields=` expression selects (or the node's defaults); an edge selected as a field
(`comments.limit(5){text}`) is rendered as a nested list page. `page(...)` is the one pager of
every list: item cursors, absolute `next`/`previous` URLs that keep the token and every
parameter, and a last page with neither `next` nor `after`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from ..generate import MEDIA_CAROUSEL, MEDIA_VIDEO
from . import errors
from .fields import Field
from .model import GraphModel, node_id
from .tokens import Token

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# Where a list's `after` names a coarse place (its value repeats across pages), `next` also
# carries the exact one under the name Graph API time-paged URLs use for it.
PAGING_TOKEN = "__paging_token"
CDN = "https://scontent.cdninstagram.com"


def iso(t: int) -> str:
    """The Graph API's timestamps: ISO 8601 with `+0000`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


@dataclass
class Ctx:
    """One request: what it may see and how to write URLs back to the emulator."""

    model: GraphModel
    token: Token | None
    token_text: str
    version: str  # "v24.0"
    base: str  # "http://host:port"
    params: dict[str, str]
    viewer: int = -1  # the IG account the token stands for
    discovery: bool = False  # rendering another account through business_discovery
    mention: bool = False  # rendering what another account @mentioned the viewer in
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def major(self) -> int:
        return int(self.version[1:].split(".")[0])


@dataclass(frozen=True)
class Listing:
    """A list to page: items in serving order and each item's cursor key (monotone in that
    order: ascending unless `descending`)."""

    kind: str
    numbers: list[int]
    descending: bool = True
    max_limit: int = MAX_LIMIT
    keep: Callable[[int], bool] | None = None  # a filter applied inside each page (since/until)
    cursors: str = "both"  # "both" or "after" (hashtag media: only an after cursor)
    item: Callable[[int], int] | None = None  # cursor key -> node number, where they differ
    # cursor key -> a coarse key, non-increasing along the list, that `after` names instead of
    # the item (hashtag recent media: the hour, so the value repeats across pages, §2)
    coarse: Callable[[int], int] | None = None


# ---------------------------------------------------------------------- cursors


def encode_cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"QVFI:{n}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        prefix, _, n = raw.partition(":")
        if prefix != "QVFI":
            raise ValueError
        return int(n)
    except ValueError:
        raise errors.bad_parameter("Invalid cursor") from None


def _position(listing: Listing, key: int) -> int:
    """How many items of the list come before the item `key` would be at (bisection)."""
    numbers, lo, hi = listing.numbers, 0, len(listing.numbers)
    while lo < hi:
        mid = (lo + hi) // 2
        before = numbers[mid] > key if listing.descending else numbers[mid] < key
        if before:
            lo = mid + 1
        else:
            hi = mid
    return lo


def limit_of(value: str | None, max_limit: int) -> int:
    if value is None or value == "":
        return min(DEFAULT_LIMIT, max_limit)
    try:
        limit = int(value)
    except ValueError:
        raise errors.bad_parameter("Param limit must be an integer") from None
    return max(1, min(limit, max_limit))


def page(
    ctx: Ctx,
    listing: Listing,
    selection: tuple[Field, ...] | None,
    modifiers: dict[str, str],
    url_path: str | None,
) -> dict:
    """One page of `listing`. `modifiers`: limit/after/before (query or `.limit()` modifiers).
    `url_path`: the edge's path for `next`/`previous` (None: cursors only, as nested
    business-discovery lists have)."""
    numbers = listing.numbers
    limit = limit_of(modifiers.get("limit"), listing.max_limit)
    after, before = modifiers.get("after"), modifiers.get("before")
    exact = modifiers.get(PAGING_TOKEN) if listing.coarse else None
    if exact or (after and not listing.coarse):
        key = decode_cursor(exact or after)
        start = _position(listing, key)
        if start < len(numbers) and numbers[start] == key:
            start += 1
        end = min(len(numbers), start + limit)
    elif after and listing.coarse:
        # `after` alone names the hour only: the page starts again at that hour's newest item
        coarse, key = listing.coarse, decode_cursor(after)
        start = next((k for k, n in enumerate(numbers) if coarse(n) <= key), len(numbers))
        end = min(len(numbers), start + limit)
    elif before and listing.cursors == "both":
        end = _position(listing, decode_cursor(before))
        start = max(0, end - limit)
    else:
        start, end = 0, min(len(numbers), limit)
    window = numbers[start:end]
    shown = window if listing.keep is None else [n for n in window if listing.keep(n)]
    item = listing.item or (lambda n: n)
    body: dict[str, Any] = {"data": [render(ctx, listing.kind, item(n), selection) for n in shown]}
    more_after, more_before = end < len(numbers), start > 0 and listing.cursors == "both"
    if not window or not (more_after or more_before or listing.cursors == "both"):
        return body
    cursors: dict[str, str] = {}
    if listing.cursors == "both":
        cursors["before"] = encode_cursor(window[0])
    if more_after:
        cursors["after"] = encode_cursor(window[-1] if listing.coarse is None else listing.coarse(window[-1]))
    paging: dict[str, Any] = {"cursors": cursors}
    if url_path is not None:
        if more_before:
            paging["previous"] = _url(ctx, url_path, limit, {"before": cursors["before"]})
        if more_after:
            forward = {"after": cursors["after"]}
            if listing.coarse is not None:
                forward[PAGING_TOKEN] = encode_cursor(window[-1])
            paging["next"] = _url(ctx, url_path, limit, forward)
    body["paging"] = paging
    return body


def _url(ctx: Ctx, path: str, limit: int, cursors: dict[str, str]) -> str:
    """An absolute URL back to the emulator with the request's parameters, the token, the
    limit and the new cursors (the request's own cursors dropped)."""
    params = {k: v for k, v in ctx.params.items() if k not in ("after", "before", PAGING_TOKEN, "access_token")}
    nested = ctx.extra.get("nested_fields")
    if nested is not None:  # a nested edge's URL asks for what the nested selection asked
        params = {"fields": nested} if nested else {}
    params["access_token"] = ctx.token_text
    params["limit"] = str(limit)
    params.update(cursors)
    return f"{ctx.base}/{ctx.version}/{path}?{urlencode(params)}"


# ---------------------------------------------------------------------- node types


@dataclass(frozen=True)
class NodeType:
    name: str
    defaults: tuple[str, ...]
    fields: dict[str, Callable[[Ctx, int], Any]]
    edges: dict[str, Callable[[Ctx, int], Listing]] = field(default_factory=dict)


# Fields answered by an endpoint's handler (`insights.metric(reach,likes)` on a media): filled in
# by emulator.graph.handlers, which imports this module.
EXPANSIONS: dict[tuple[str, str], Callable[[Ctx, str, int, Field], Any]] = {}
CACHED_KINDS = ("media", "child", "comment")  # list items: rendered once per selection until a change


def render(ctx: Ctx, kind: str, n: int, selection: tuple[Field, ...] | None) -> dict:
    """The node's selected fields (its defaults without a selection)."""
    node_type = NODE_TYPES[kind]
    if selection is None:
        selection = tuple(Field(name) for name in node_type.defaults)
    if kind in CACHED_KINDS and not ctx.discovery and all(f.children is None and not f.modifiers for f in selection):
        # A flat selection of a list item depends on the world and the viewer only (captions
        # and comments of other accounts' media lose their @): the model forgets it on every
        # change. This is what makes pages of 25 media cheap (bench/bench_graph_emulator.py).
        key = ("render", kind, n, ctx.viewer, tuple(f.name for f in selection))
        return ctx.model.cached(key, lambda: _render(ctx, node_type, kind, n, selection))
    return _render(ctx, node_type, kind, n, selection)


def _render(ctx: Ctx, node_type: NodeType, kind: str, n: int, selection: tuple[Field, ...]) -> dict:
    out: dict[str, Any] = {}
    for selected in selection:
        name = selected.name
        expansion = EXPANSIONS.get((kind, name))
        if expansion is not None:
            out[name] = expansion(ctx, kind, n, selected)
        elif name in node_type.edges:
            listing = node_type.edges[name](ctx, n)
            nested_ctx = ctx
            # another account's node: its lists' paths are not the viewer's to read
            path = None if ctx.discovery or ctx.mention else f"{node_id(kind, n)}/{name}"
            if path is not None:
                nested_fields = ",".join(_unparse(f) for f in selected.children) if selected.children else ""
                nested_ctx = replace(ctx, extra={**ctx.extra, "nested_fields": nested_fields})
            value = page(nested_ctx, listing, selected.children, selected.modifiers, path)
            paging = value.get("paging", {})
            if "after" not in paging.get("cursors", {}) and "previous" not in paging:
                value.pop("paging", None)  # a nested list on one page comes bare (as recorded)
            if value["data"] or "paging" in value:
                out[name] = value
        elif name in node_type.fields:
            value = node_type.fields[name](ctx, n) if not selected.children else _nested(ctx, kind, n, selected)
            if value is not None:
                out[name] = value
        elif name == "business_discovery" and kind == "user":
            out[name] = business_discovery(ctx, selected)
        else:
            raise errors.nonexisting_field(name, node_type.name)
    if "id" not in out and kind != "container":
        out["id"] = node_id(kind, n)  # the real API adds the id to every node it answers
    return out


def _unparse(selected: Field) -> str:
    text = selected.name + "".join(f".{k}({v})" for k, v in selected.modifiers.items())
    if selected.children:
        text += "{" + ",".join(_unparse(c) for c in selected.children) + "}"
    return text


def _nested(ctx: Ctx, kind: str, n: int, selected: Field) -> Any:
    """A field holding another node (`owner{id,username}`, `from{id}`), rendered with the
    nested selection."""
    ref = NODE_TYPES[kind].fields[selected.name](ctx, n)
    if ref is None:
        return None  # a Page without a linked account: the field is left out
    if not isinstance(ref, dict) or "id" not in ref:
        raise errors.bad_parameter(f"Field {selected.name} does not take a nested selection")
    resolved = GraphModel.resolve(ref["id"])
    assert resolved is not None
    return render(ctx, *resolved, selected.children)


# ---------------------------------------------------------------------- IG user


def _user(ctx: Ctx, i: int) -> dict:
    return ctx.model.user(i)


def _display_name(ctx: Ctx, i: int) -> str:
    """The profile name; the username where the world left the full name empty."""
    return _user(ctx, i)["full_name"] or _user(ctx, i)["username"]


def business_discovery(ctx: Ctx, selected: Field) -> dict:
    """`business_discovery.username(X){…}`: another professional account's public fields and
    media, with its own nested cursors (§2)."""
    username = selected.modifiers.get("username")
    if not username:
        raise errors.bad_parameter("business_discovery needs .username(X)")
    target = ctx.model.world.username_index(username)
    if target is None or not ctx.model.is_professional(target) or ctx.model.age_gated(target):
        raise errors.GraphError(
            110,
            "(#110) Invalid user id",
            subcode=2207013,
            user_title="Cannot find User",
            user_msg=f"The user with username: {username} cannot be found.",
        )
    inner = replace(ctx, discovery=True)
    children = selected.children or (Field("id"),)
    for child in children:
        if child.name in ("stories", "tags", "user_id", "account_type", *MENTIONS):
            raise errors.nonexisting_field(child.name, "IGUser (business discovery)")
    return render(inner, "user", target, children)


@dataclass(frozen=True)
class Mention:
    """A field expansion of the IG user that reads what another account @mentioned it in."""

    modifier: str  # the modifier that names the mention: media_id(X), comment_id(X)
    kind: str
    fields: tuple[str, ...]  # as Meta's mentioned_media / mentioned_comment references list them


MENTIONS = {
    "mentioned_media": Mention(
        "media_id",
        "media",
        (
            "caption",
            "comments",
            "comments_count",
            "id",
            "like_count",
            "media_type",
            "media_url",
            "owner",
            "timestamp",
            "username",
        ),
    ),
    "mentioned_comment": Mention("comment_id", "comment", ("id", "like_count", "media", "text", "timestamp")),
}


def mentioned(ctx: Ctx, kind: str, i: int, selected: Field) -> dict:
    """`mentioned_media.media_id(X){…}` / `mentioned_comment.comment_id(X){…}` (Facebook Login
    only, §1): a media whose caption, or a comment whose text, another account wrote with
    "@username" of this account. Anything else, or on a private account's media (Instagram
    sends no webhook for those, so no id), is an object the token cannot read."""
    mention = MENTIONS[selected.name]
    if ctx.token is None or ctx.token.instagram_login:
        raise errors.permission()
    wanted = selected.modifiers.get(mention.modifier)
    if not wanted:
        raise errors.bad_parameter(f"The parameter {mention.modifier} is required")
    for child in selected.children or ():
        if child.name not in mention.fields:
            raise errors.nonexisting_field(child.name, NODE_TYPES[mention.kind].name)
    resolved = GraphModel.resolve(wanted)
    facts = _written(ctx.model, *resolved) if resolved is not None and resolved[0] == mention.kind else None
    if facts is None:
        raise errors.no_such_object(wanted)
    media_owner, author, text = facts
    if author == i or i not in ctx.model.mentioned(text) or ctx.model.user(media_owner)["is_private"]:
        raise errors.no_such_object(wanted)
    return render(replace(ctx, mention=True), mention.kind, resolved[1], selected.children)


def _written(model: GraphModel, kind: str, n: int) -> tuple[int, int, str | None] | None:
    """(media owner, author, text) of a media (its caption) or a live comment; None if there
    is no such one."""
    if kind == "media" and n < model.world.media_count_total():
        owner, caption = model.media(n)[0], model.media(n)[4]
        return owner, owner, caption
    if kind == "comment" and model.world.comment_live(n):
        media, author, _, text = model.world.comment_facts(n)
        return model.media(media)[0], author, text
    return None


def _user_media(ctx: Ctx, i: int) -> Listing:
    media = ctx.model.media_of(i)
    since, until = ctx.extra.get("since"), ctx.extra.get("until")
    keep = None
    if since is not None or until is not None:

        def keep(index: int) -> bool:
            t = ctx.model.media(index)[1]
            return (since is None or t >= since) and (until is None or t <= until)

    return Listing("media", media, keep=keep)


def _stories(ctx: Ctx, i: int) -> Listing:
    return Listing("story", [s[0] for s in ctx.model.live_stories(i)])


def _tags(ctx: Ctx, i: int) -> Listing:
    return Listing("media", ctx.model.tagged_in(i))


USER = NodeType(
    "IGUser",
    ("id",),
    {
        "id": lambda ctx, i: GraphModel.user_id(i),
        "ig_id": lambda ctx, i: int(_user(ctx, i)["id"]),
        "user_id": lambda ctx, i: GraphModel.user_id(i),
        "username": lambda ctx, i: _user(ctx, i)["username"],
        "name": lambda ctx, i: _display_name(ctx, i),
        "biography": lambda ctx, i: _user(ctx, i)["bio"],
        "website": lambda ctx, i: _user(ctx, i)["website"] or None,
        "profile_picture_url": lambda ctx, i: _user(ctx, i)["profile_picture"],
        "followers_count": lambda ctx, i: _user(ctx, i)["followers_count"],
        "follows_count": lambda ctx, i: _user(ctx, i)["follows_count"],
        "media_count": lambda ctx, i: _user(ctx, i)["media_count"],
        "account_type": lambda ctx, i: ctx.model.account_type(i),
    },
    {"media": _user_media, "stories": _stories, "tags": _tags},
)
EXPANSIONS.update({("user", name): mentioned for name in MENTIONS})

# ---------------------------------------------------------------------- media


def _facts(ctx: Ctx, index: int) -> tuple:
    return ctx.model.media(index)


def _media_url(index: int, kind: int, position: int = 0) -> str:
    ext = "mp4" if kind == MEDIA_VIDEO else "jpg"
    return f"{CDN}/v/t51.2885-15/{index}_{position}_n.{ext}"


def _caption(ctx: Ctx, index: int) -> str | None:
    caption, owner = _facts(ctx, index)[4], _facts(ctx, index)[0]
    return caption if caption is None or owner == ctx.viewer else ctx.model.without_mention_signs(caption)


def _children(ctx: Ctx, index: int) -> Listing:
    size = _facts(ctx, index)[3] if _facts(ctx, index)[2] == MEDIA_CAROUSEL else 0
    return Listing("child", [index * 8 + p for p in range(size)], descending=False)


def _comments(ctx: Ctx, index: int) -> Listing:
    if ctx.discovery:
        raise errors.nonexisting_field("comments", "IGMedia (business discovery)")
    return Listing("comment", ctx.model.threads(index)[0], descending=False)


MEDIA = NodeType(
    "IGMedia",
    ("id",),
    {
        "id": lambda ctx, m: GraphModel.media_id(m),
        "ig_id": lambda ctx, m: ctx.model.world.media_id_at(m).split("_")[0],
        "caption": _caption,
        "media_type": lambda ctx, m: {0: "IMAGE", 1: "VIDEO", 2: "CAROUSEL_ALBUM"}.get(_facts(ctx, m)[2], "IMAGE"),
        "media_product_type": lambda ctx, m: ctx.model.product_type(m, _facts(ctx, m)[2]),
        "media_url": lambda ctx, m: _media_url(m, _facts(ctx, m)[2]),
        "thumbnail_url": lambda ctx, m: f"{CDN}/v/t51.2885-15/{m}_t.jpg" if _facts(ctx, m)[2] == MEDIA_VIDEO else None,
        "permalink": lambda ctx, m: f"https://www.instagram.com/p/{_facts(ctx, m)[5]}/",
        "shortcode": lambda ctx, m: _facts(ctx, m)[5],
        "timestamp": lambda ctx, m: iso(_facts(ctx, m)[1]),
        "like_count": lambda ctx, m: _facts(ctx, m)[6],
        "comments_count": lambda ctx, m: _facts(ctx, m)[7],
        "is_comment_enabled": lambda ctx, m: True,
        "owner": lambda ctx, m: {"id": GraphModel.user_id(_facts(ctx, m)[0])},
        "username": lambda ctx, m: ctx.model.user(_facts(ctx, m)[0])["username"],
    },
    {"children": _children, "comments": _comments},
)


def _child_facts(ctx: Ctx, n: int) -> tuple:
    return _facts(ctx, n // 8)


CHILD = NodeType(
    "IGMedia",
    ("id",),
    {
        "id": lambda ctx, n: node_id("child", n),
        "media_type": lambda ctx, n: "VIDEO" if (n // 8 + n % 8) % 4 == 3 else "IMAGE",
        "media_product_type": lambda ctx, n: "FEED",
        "media_url": lambda ctx, n: _media_url(n // 8, MEDIA_VIDEO if (n // 8 + n % 8) % 4 == 3 else 0, n % 8),
        "permalink": lambda ctx, n: f"https://www.instagram.com/p/{_child_facts(ctx, n)[5]}/",
        "shortcode": lambda ctx, n: _child_facts(ctx, n)[5],
        "timestamp": lambda ctx, n: iso(_child_facts(ctx, n)[1]),
        "owner": lambda ctx, n: {"id": GraphModel.user_id(_child_facts(ctx, n)[0])},
        "username": lambda ctx, n: ctx.model.user(_child_facts(ctx, n)[0])["username"],
    },
)

# ---------------------------------------------------------------------- stories


def _story(ctx: Ctx, n: int) -> tuple[int, int, int]:
    story = ctx.model.story(n)
    assert story is not None
    return story


STORY = NodeType(
    "IGMedia",
    ("id",),
    {
        "id": lambda ctx, n: node_id("story", n),
        "ig_id": lambda ctx, n: str(n),
        "shortcode": lambda ctx, n: f"St{n:x}",
        "media_type": lambda ctx, n: "VIDEO" if _story(ctx, n)[2] == MEDIA_VIDEO else "IMAGE",
        "media_product_type": lambda ctx, n: "STORY",
        "media_url": lambda ctx, n: (
            f"{CDN}/v/t51.29350-15/story_{n}.{'mp4' if _story(ctx, n)[2] == MEDIA_VIDEO else 'jpg'}"
        ),
        "thumbnail_url": lambda ctx, n: (
            f"{CDN}/v/t51.29350-15/story_{n}_t.jpg" if _story(ctx, n)[2] == MEDIA_VIDEO else None
        ),
        "permalink": lambda ctx, n: (
            f"https://instagram.com/stories/{ctx.model.user(_story(ctx, n)[0])['username']}/{n}"
        ),
        "timestamp": lambda ctx, n: iso(_story(ctx, n)[1]),
        "like_count": lambda ctx, n: 0,
        "owner": lambda ctx, n: {"id": GraphModel.user_id(_story(ctx, n)[0])},
        "username": lambda ctx, n: ctx.model.user(_story(ctx, n)[0])["username"],
    },
)

# ---------------------------------------------------------------------- comments


def _comment(ctx: Ctx, ci: int) -> tuple[int, int, int, str]:
    return ctx.model.world.comment_facts(ci)


def _comment_text(ctx: Ctx, ci: int) -> str:
    media, _, _, text = _comment(ctx, ci)
    return text if ctx.model.media(media)[0] == ctx.viewer else ctx.model.without_mention_signs(text)


def _replies(ctx: Ctx, ci: int) -> Listing:
    media = _comment(ctx, ci)[0]
    return Listing("comment", ctx.model.threads(media)[1].get(ci, []), descending=False)


def _parent_id(ctx: Ctx, ci: int) -> str | None:
    parent = ctx.model.parent_of(ci)
    return None if parent is None else GraphModel.comment_id(parent)


COMMENT = NodeType(
    "IGComment",
    ("timestamp", "text", "id"),
    {
        "id": lambda ctx, ci: GraphModel.comment_id(ci),
        "text": _comment_text,
        "timestamp": lambda ctx, ci: iso(_comment(ctx, ci)[2]),
        "username": lambda ctx, ci: ctx.model.user(_comment(ctx, ci)[1])["username"],
        "from": lambda ctx, ci: {
            "id": GraphModel.user_id(_comment(ctx, ci)[1]),
            "username": ctx.model.user(_comment(ctx, ci)[1])["username"],
        },
        "like_count": lambda ctx, ci: int(ctx.model.world.config.seed + ci) % 7 // 3,
        "hidden": lambda ctx, ci: ci in ctx.model.overlays.hidden,
        "parent_id": _parent_id,
        "media": lambda ctx, ci: {"id": GraphModel.media_id(_comment(ctx, ci)[0])},
    },
    {"replies": _replies},
)

# ---------------------------------------------------------------------- Facebook side


def _page_account(ctx: Ctx, n: int) -> dict | None:
    """A Page's linked IG account: the first Page of each owner has one, the second none."""
    i, k = divmod(n, 2)
    return {"id": GraphModel.user_id(i)} if k == 0 and ctx.model.is_professional(i) else None


def _page_token(ctx: Ctx, n: int) -> str | None:
    token = ctx.token
    if token is None or token.kind not in ("fl", "fs"):
        return None
    return ctx.model.tokens.make("pg", n // 2, ctx.model.world.now)


PAGE = NodeType(
    "Page",
    ("access_token", "category", "name", "id"),
    {
        "id": lambda ctx, n: node_id("page", n),
        "name": lambda ctx, n: f"{_display_name(ctx, n // 2)}{' Shop' if n % 2 else ''}",
        "category": lambda ctx, n: "Shopping & retail" if n % 2 else "Personal blog",
        "access_token": _page_token,
        "instagram_business_account": _page_account,
        "connected_instagram_account": _page_account,
    },
)


def _pages(ctx: Ctx, i: int) -> Listing:
    return Listing("page", [2 * i, 2 * i + 1], descending=False)


FB_USER = NodeType(
    "User",
    ("name", "id"),
    {"id": lambda ctx, i: node_id("fb_user", i), "name": lambda ctx, i: _display_name(ctx, i)},
    {"accounts": _pages},
)

HASHTAG = NodeType(
    "IGHashtag",
    ("id",),
    {"id": lambda ctx, t: node_id("hashtag", t), "name": lambda ctx, t: ctx.model.world.tag_name(t)},
)

CONTAINER = NodeType(
    "IGContainer",
    ("id",),
    {
        "id": lambda ctx, n: node_id("container", n),
        "status_code": lambda ctx, n: "PUBLISHED" if ctx.model.overlays.containers[n].published else "FINISHED",
        "status": lambda ctx, n: "Published: 1" if ctx.model.overlays.containers[n].published else "Finished: 0",
    },
)

NODE_TYPES = {
    "user": USER,
    "media": MEDIA,
    "child": CHILD,
    "story": STORY,
    "comment": COMMENT,
    "page": PAGE,
    "fb_user": FB_USER,
    "hashtag": HASHTAG,
    "container": CONTAINER,
}
