"""The Graph API's endpoints: node reads, edges, insights, hashtag search, writes and tokens
(instagram-graph/API.md §2, §6). Each handler takes the request's `Ctx` and returns the JSON
body, or raises `errors.GraphError`. They run under the application's world lock.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..generate import DAY, MEDIA_CAROUSEL, MEDIA_IMAGE, MEDIA_VIDEO
from . import errors
from .insight_edges import media_insights, user_insights
from .model import KIND_BY_NAME, PUBLISH_LIMIT, PUBLISH_WINDOW, STORY_LIFETIME, Container, GraphModel, node_id
from .nodes import NODE_TYPES, Ctx, Listing, iso, page, render
from .params import selection, time_param
from .tokens import REFRESH_AFTER, Token

RECENT_WINDOW = DAY  # recent_media: the last 24 h (§2)
RECENT_MAX = 50
TOP_SIZE = 50


# ---------------------------------------------------------------------- access


def readable(ctx: Ctx, kind: str, n: int) -> bool:
    """Whether the token may read node (kind, n) directly: its own account and what hangs
    under it; Pages, the Facebook user and hashtags with Facebook Login only."""
    model, viewer = ctx.model, ctx.viewer
    world = model.world
    facebook = ctx.token is not None and not ctx.token.instagram_login
    if kind == "user":
        return n == viewer
    if kind == "media":
        return n < world.media_count_total() and model.media(n)[0] == viewer
    if kind == "child":
        index = n // 8
        return (
            index < world.media_count_total()
            and model.media(index)[0] == viewer
            and model.media(index)[2] == MEDIA_CAROUSEL
            and n % 8 < model.media(index)[3]
        )
    if kind == "story":
        story = model.story(n)
        return story is not None and story[0] == viewer and world.now - STORY_LIFETIME < story[1] <= world.now
    if kind == "comment":
        return world.comment_live(n) and model.media(world.comment_facts(n)[0])[0] == viewer
    if kind in ("page", "fb_user"):
        return facebook and (n // 2 if kind == "page" else n) == viewer
    if kind == "hashtag":
        return facebook and n < len(world.tag_names())
    if kind == "container":
        return n < len(model.overlays.containers) and model.overlays.containers[n].owner == viewer
    return False


def resolve(ctx: Ctx, node: str) -> tuple[str, int]:
    """(kind, number) of a path's node (`me` included), if the token may read it."""
    if node == "me":
        token = ctx.token
        assert token is not None
        if token.instagram_login:
            return "user", token.user
        return ("page", 2 * token.user) if token.kind == "pg" else ("fb_user", token.user)
    resolved = GraphModel.resolve(node)
    if resolved is None or not readable(ctx, *resolved):
        raise errors.no_such_object(node)
    return resolved


# ---------------------------------------------------------------------- reads


def get_node(ctx: Ctx, kind: str, n: int) -> dict:
    return render(ctx, kind, n, selection(ctx))


def get_edge(ctx: Ctx, kind: str, n: int, edge: str) -> dict:
    special = SPECIAL_EDGES.get((kind, edge))
    if special is not None:
        return special(ctx, kind, n)
    maker = NODE_TYPES[kind].edges.get(edge)
    if maker is None:
        raise errors.unknown_path(edge)
    ctx.extra["since"], ctx.extra["until"] = time_param(ctx, "since"), time_param(ctx, "until")
    return page(ctx, maker(ctx, n), selection(ctx), ctx.params, f"{node_id(kind, n)}/{edge}")


def hashtag_search(ctx: Ctx) -> dict:
    """`GET /ig_hashtag_search?user_id=&q=`: the hashtag's id; the 31st unique hashtag of an
    account in a rolling 7 days fails with code 24 / 2207024 (§2)."""
    user = _hashtag_user(ctx)
    name = ctx.params.get("q", "").strip().lstrip("#").lower()
    if not name:
        raise errors.bad_parameter("The parameter q is required")
    t = ctx.model.world.tag_index(name)
    if t is None:
        return {"data": []}
    if not ctx.model.query_hashtag(user, t):
        raise errors.hashtag_limit()
    return {"data": [{"id": node_id("hashtag", t)}]}


def _hashtag_user(ctx: Ctx) -> int:
    if ctx.token is None or ctx.token.instagram_login:
        raise errors.permission()  # hashtag search is Facebook Login only (§1)
    user_id = ctx.params.get("user_id")
    if not user_id:
        raise errors.bad_parameter("The parameter user_id is required")
    resolved = GraphModel.resolve(user_id)
    if resolved != ("user", ctx.viewer):
        raise errors.no_such_object(user_id)
    return ctx.viewer


def _hashtag_media(ctx: Ctx, kind: str, t: int, top: bool) -> dict:
    """`recent_media` (the last 24 h, newest first) and `top_media` (most liked first): at
    most 50 a page, an `after` cursor only, public fields only (no owner, no username, §2).
    Recent media's `after` names the hour of the page's last media, so its value repeats
    across pages (§2); `next` carries the exact place too."""
    _hashtag_user(ctx)
    selected = selection(ctx)
    for chosen in selected or ():
        if chosen.name in ("owner", "username", "insights"):
            raise errors.nonexisting_field(chosen.name, "IGMedia (hashtag)")
    media = ctx.model.hashtag_media(t)
    if top:
        ranked = sorted(media, key=lambda m: (-ctx.model.media(m)[6], -m))[:TOP_SIZE]
        # ranked, not in time order: the cursors are positions in the ranking
        listing = Listing(
            "media", list(range(len(ranked))), False, RECENT_MAX, cursors="after", item=ranked.__getitem__
        )
    else:
        cutoff = ctx.model.world.now - RECENT_WINDOW
        recent = [m for m in media if ctx.model.media(m)[1] > cutoff]
        listing = Listing("media", recent, max_limit=RECENT_MAX, cursors="after", coarse=ctx.model.media_hour)
    inner = replace(ctx, discovery=True)
    edge = "top_media" if top else "recent_media"
    return page(inner, listing, selected, ctx.params, f"{node_id(kind, t)}/{edge}")


def publishing_limit(ctx: Ctx, kind: str, i: int) -> dict:
    return {
        "data": [
            {
                "quota_usage": ctx.model.publishes_in_window(i),
                "config": {"quota_total": PUBLISH_LIMIT, "quota_duration": PUBLISH_WINDOW},
            }
        ]
    }


SPECIAL_EDGES = {
    ("media", "insights"): media_insights,
    ("story", "insights"): media_insights,
    ("child", "insights"): media_insights,
    ("user", "insights"): user_insights,
    ("user", "content_publishing_limit"): publishing_limit,
    ("hashtag", "recent_media"): lambda ctx, kind, t: _hashtag_media(ctx, kind, t, top=False),
    ("hashtag", "top_media"): lambda ctx, kind, t: _hashtag_media(ctx, kind, t, top=True),
}

# ---------------------------------------------------------------------- writes


def _text(ctx: Ctx) -> str:
    text = ctx.params.get("message", "").strip()
    if not text:
        raise errors.bad_parameter("The parameter message is required")
    return text


def post_edge(ctx: Ctx, kind: str, n: int, edge: str) -> dict:
    model, world = ctx.model, ctx.model.world
    owner_uid = model.user(ctx.viewer)["id"]
    if (kind, edge) == ("media", "comments"):
        comment = world.comment(owner_uid, world.media_id_at(n), _text(ctx))
        model.changed()
        return {"id": comment["id"]}
    if (kind, edge) == ("comment", "replies"):
        if model.parent_of(n) is not None:
            raise errors.bad_parameter("Replies go one level deep: reply to the top-level comment")
        media = world.comment_facts(n)[0]
        comment = world.comment(owner_uid, world.media_id_at(media), _text(ctx))
        model.overlays.reply_parent[int(comment["id"]) - int(GraphModel.comment_id(0))] = n
        model.changed()
        return {"id": comment["id"]}
    if (kind, edge) == ("user", "media"):
        return create_container(ctx, n)
    if (kind, edge) == ("user", "media_publish"):
        return publish(ctx, n)
    raise errors.unknown_path(edge)


def create_container(ctx: Ctx, i: int) -> dict:
    params = ctx.params
    media_type = params.get("media_type", "IMAGE" if params.get("image_url") else "")
    if media_type == "STORIES":
        media_type = "IMAGE" if params.get("image_url") else "VIDEO"
    if media_type not in KIND_BY_NAME:
        raise errors.bad_parameter("media_type must be IMAGE (with image_url), VIDEO, REELS, CAROUSEL or STORIES")
    if media_type in ("IMAGE",) and not params.get("image_url"):
        raise errors.bad_parameter("The parameter image_url is required")
    if media_type in ("VIDEO", "REELS") and not params.get("video_url"):
        raise errors.bad_parameter("The parameter video_url is required")
    containers = ctx.model.overlays.containers
    containers.append(Container(i, KIND_BY_NAME[media_type], params.get("caption"), ctx.model.world.now))
    return {"id": node_id("container", len(containers) - 1)}


def publish(ctx: Ctx, i: int) -> dict:
    model = ctx.model
    creation = GraphModel.resolve(ctx.params.get("creation_id", ""))
    if creation is None or creation[0] != "container" or not readable(ctx, *creation):
        raise errors.bad_parameter("The parameter creation_id is required and must be a container of this account")
    container = model.overlays.containers[creation[1]]
    if container.published is not None:
        raise errors.bad_parameter("This container has been published already", subcode=2207008)
    if model.publishes_in_window(i) >= PUBLISH_LIMIT:
        raise errors.publishing_limit()
    kind = container.kind if container.kind in (MEDIA_IMAGE, MEDIA_VIDEO, MEDIA_CAROUSEL) else MEDIA_IMAGE
    mid = model.world.publish(model.user(i)["id"], kind)
    index = model.world.media_index(mid)
    if container.caption is not None:
        model.overlays.captions[index] = container.caption
    model.overlays.published.setdefault(i, []).append(model.world.now)
    container.published = GraphModel.media_id(index)
    model.changed()
    return {"id": container.published}


def update_node(ctx: Ctx, kind: str, n: int) -> dict:
    """`POST /{comment-id}?hide=true|false`."""
    if kind != "comment" or "hide" not in ctx.params:
        raise errors.bad_parameter("Only comments can be updated (hide=true|false)")
    hidden = ctx.params["hide"].lower() == "true"
    (ctx.model.overlays.hidden.add if hidden else ctx.model.overlays.hidden.discard)(n)
    ctx.model.changed()
    return {"success": True}


def delete_node(ctx: Ctx, kind: str, n: int) -> dict:
    """`DELETE /{comment-id}`: the account deletes a comment on its media."""
    if kind != "comment":
        raise errors.bad_parameter("Only comments can be deleted")
    world = ctx.model.world
    media = world.comment_facts(n)[0]
    world.delete_comment(ctx.model.user(ctx.viewer)["id"], world.media_id_at(media), GraphModel.comment_id(n))
    ctx.model.changed()
    return {"success": True}


# ---------------------------------------------------------------------- tokens


def token_answer(text: str, token: Token, now: int) -> dict:
    answer: dict[str, Any] = {"access_token": text, "token_type": "bearer"}
    if token.expires_at:
        answer["expires_in"] = token.expires_at - now
    return answer


def exchange(ctx: Ctx, path: str, client_secret: str | None) -> dict:
    """The token endpoints of §6: `/oauth/access_token`, `/access_token`, `/refresh_access_token`."""
    model, now, params = ctx.model, ctx.model.world.now, ctx.params
    grant = params.get("grant_type")
    wanted = {
        "oauth/access_token": ("fb_exchange_token", "fb_exchange_token", ("fs", "fl"), "fl"),
        "access_token": ("ig_exchange_token", "access_token", ("is",), "il"),
        "refresh_access_token": ("ig_refresh_token", "access_token", ("il",), "il"),
    }[path]
    if grant != wanted[0]:
        raise errors.bad_parameter(f"grant_type must be {wanted[0]}")
    if path != "refresh_access_token" and client_secret is not None and params.get("client_secret") != client_secret:
        raise errors.GraphError(101, "Error validating client secret.")
    text = params.get(wanted[1], "")
    token = model.tokens.read(text)
    if token is None or token.kind not in wanted[2]:
        raise errors.invalid_token()
    if token.expired(now):
        raise errors.expired_token(iso(token.expires_at), iso(now))
    if path == "refresh_access_token" and now - token.issued_at < REFRESH_AFTER:
        raise errors.GraphError(
            190,
            "Error validating access token: the token can be refreshed once it is at least 24 hours old.",
            subcode=467,
        )
    return token_answer(model.tokens.make(wanted[3], token.user, now), Token(wanted[3], token.user, now), now)


def debug_token(ctx: Ctx) -> dict:
    """`GET /debug_token?input_token=…` (§6)."""
    model, now = ctx.model, ctx.model.world.now
    text = ctx.params.get("input_token", "")
    token = model.tokens.read(text)
    if token is None:
        raise errors.bad_parameter("Invalid OAuth access token.")
    data: dict[str, Any] = {
        "app_id": "1000000000000001",
        "type": "PAGE" if token.kind == "pg" else "USER",
        "application": "Instagram emulator",
        "data_access_expires_at": token.issued_at + 90 * DAY,
        "expires_at": token.expires_at,
        "is_valid": not token.expired(now),
        "issued_at": token.issued_at,
        "scopes": list(token.scopes),
        "user_id": GraphModel.user_id(token.user) if token.instagram_login else node_id("fb_user", token.user),
    }
    if token.kind == "pg":
        data["profile_id"] = node_id("page", 2 * token.user)
    if token.expired(now):
        data["error"] = {"code": 190, "message": f"Session has expired on {iso(token.expires_at)}.", "subcode": 463}
    return {"data": data}
