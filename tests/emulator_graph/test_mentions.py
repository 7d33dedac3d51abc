"""Mentions (instagram-graph/API.md §1: Facebook Login only; Meta's mentioned_media and
mentioned_comment references): a caption or comment another account wrote with "@username"
of the token user's account is readable through the account's node, and nothing else is.
Checked over HTTP against the texts the world holds. Each test writes into its own world."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from emulator import Emulator

from .conftest import Graph


def _token(emulator: Emulator, i: int, kind: str = "fb_long") -> str:
    params = {"user_id": emulator.graph.model.user_id(i), "kind": kind}
    return requests.get(f"{emulator.root_url}/_emulator/token", params=params, timeout=10).json()["access_token"]


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def _other_professional(emulator: Emulator) -> int:
    model = emulator.graph.model
    return next(
        i
        for i in range(model.world.user_count())
        if i != model.owner and model.is_professional(i) and not model.age_gated(i)
    )


def test_mentioned_media_is_another_accounts_caption_naming_the_account(serve_graph: Callable[..., Emulator]) -> None:
    emulator = serve_graph()
    graph, model, world = Graph(emulator), emulator.graph.model, emulator.world
    me = model.user(model.owner)["username"]
    other = _other_professional(emulator)
    author = Graph(emulator, _token(emulator, other))
    caption = f"Brunch with @{me}. #love"
    container = author.post(f"{model.user_id(other)}/media", image_url="https://example.com/a.jpg", caption=caption)
    media_id = author.post(f"{model.user_id(other)}/media_publish", creation_id=container.json()["id"]).json()["id"]
    reply = author.post(f"{media_id}/comments", message=f"@{me} and @no_such_account, come!").json()["id"]

    fields = "caption,media_type,comments_count,like_count,timestamp,username,owner,comments{id,text}"
    answer = graph.ok(graph.me, fields=f"mentioned_media.media_id({media_id}){{{fields}}}")
    index = world.media_index(world.media_ids_of_user(world.user_ids()[other])[0])  # the world's newest media
    assert model.media_id(index) == media_id
    assert answer == {
        "mentioned_media": {
            "caption": f"Brunch with {me}. #love",  # another account's caption: its @ left out
            "media_type": "IMAGE",
            "comments_count": world.media_facts(index)[7],
            "like_count": author.ok(media_id, fields="like_count")["like_count"],
            "timestamp": _iso(world.now),
            "username": world.user(world.user_ids()[other])["username"],
            "owner": {"id": model.user_id(other)},
            # only the @ of a world's username is a mention's
            "comments": {"data": [{"id": reply, "text": f"{me} and @no_such_account, come!"}]},
            "id": media_id,
        },
        "id": graph.me,
    }
    assert author.ok(media_id, fields="caption")["caption"] == caption  # its author reads the @
    assert graph.ok(graph.me, fields=f"mentioned_media.media_id({media_id})")["mentioned_media"] == {"id": media_id}

    unmentioned = model.media_id(int(world.media_indices_of_user(other)[0]))  # a caption of the seed's
    own = model.media_id(model.media_of(model.owner)[0])
    for wrong in (unmentioned, own, "123"):
        refused = graph.error(graph.get(graph.me, fields=f"mentioned_media.media_id({wrong}){{caption}}"))
        assert (refused["code"], refused["error_subcode"]) == (100, 33)
    missing = graph.error(graph.get(graph.me, fields="mentioned_media{caption}"))
    assert missing["message"] == "(#100) The parameter media_id is required"
    unknown = graph.error(graph.get(graph.me, fields=f"mentioned_media.media_id({media_id}){{permalink}}"))
    assert unknown["message"] == "(#100) Tried accessing nonexisting field (permalink) on node type (IGMedia)"
    instagram_login = Graph(emulator, _token(emulator, model.owner, "ig_long"))
    refused = instagram_login.error(instagram_login.get(graph.me, fields=f"mentioned_media.media_id({media_id})"))
    assert refused["code"] == 10
    discovery = f"business_discovery.username({model.user(other)['username']}){{mentioned_media.media_id({media_id})}}"
    assert graph.error(graph.get(graph.me, fields=discovery))["code"] == 100


def test_mentioned_comment_is_another_accounts_comment_naming_the_account(
    serve_graph: Callable[..., Emulator],
) -> None:
    emulator = serve_graph()
    graph, model, world = Graph(emulator), emulator.graph.model, emulator.world
    me = model.user(model.owner)["username"]
    ids = world.user_ids()
    other = _other_professional(emulator)
    commenter = next(i for i in range(world.user_count()) if i not in (model.owner, other))
    private = next(i for i in range(world.user_count()) if world.is_private(ids[i]) and world.media_ids_of_user(ids[i]))
    on_other = world.media_ids_of_user(ids[other])[0]
    # written into the world as another client of it would (the Graph API writes only on the token's media)
    mention = world.comment(ids[commenter], on_other, f"@{me} you have to see this!")
    on_mine = world.comment(ids[commenter], world.media_ids_of_user(ids[model.owner])[0], f"Hi @{me}.")
    on_private = world.comment(ids[commenter], world.media_ids_of_user(ids[private])[0], f"@{me} look")
    by_me = world.comment(ids[model.owner], on_other, f"@{me} me again")
    plain = world.comment(ids[commenter], on_other, "no mention of anyone")

    fields = "id,text,timestamp,like_count,media{id,username}"
    answer = graph.ok(graph.me, fields=f"mentioned_comment.comment_id({mention['id']}){{{fields}}}")
    media_index, author, posted, text = world.comment_facts(int(mention["id"]) - int(model.comment_id(0)))
    assert (ids[author], text) == (ids[commenter], f"@{me} you have to see this!")
    assert isinstance(answer["mentioned_comment"].pop("like_count"), int)
    assert answer["mentioned_comment"] == {
        "id": mention["id"],
        "text": f"{me} you have to see this!",  # on another account's media: the @ left out
        "timestamp": _iso(posted),
        "media": {"id": model.media_id(media_index), "username": model.user(other)["username"]},
    }
    assert world.media_index(on_other) == media_index
    kept = graph.ok(graph.me, fields=f"mentioned_comment.comment_id({on_mine['id']}){{text}}")
    assert kept["mentioned_comment"]["text"] == f"Hi @{me}."  # on the account's own media the @ stays

    for wrong in (on_private["id"], by_me["id"], plain["id"], model.media_id(0)):
        refused = graph.error(graph.get(graph.me, fields=f"mentioned_comment.comment_id({wrong}){{text}}"))
        assert (refused["code"], refused["error_subcode"]) == (100, 33), wrong
    unknown = graph.error(graph.get(graph.me, fields=f"mentioned_comment.comment_id({mention['id']}){{username}}"))
    assert unknown["message"] == "(#100) Tried accessing nonexisting field (username) on node type (IGComment)"
    world.delete_comment(ids[commenter], on_other, mention["id"])
    gone = graph.error(graph.get(graph.me, fields=f"mentioned_comment.comment_id({mention['id']}){{text}}"))
    assert (gone["code"], gone["error_subcode"]) == (100, 33)
