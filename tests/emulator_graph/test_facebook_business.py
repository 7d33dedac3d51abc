"""A real Graph API client from PyPI against the Graph mode emulator: `facebook-business`
24.0.1 (Meta's Python Business SDK, pinned in pyproject's `dev` extra), pointed at the emulator
with `FacebookSession.GRAPH`. It walks the nodes and edges it has objects for, pages every list
to the end with its own `Cursor`, signs with `appsecret_proof`, and gets the emulator's errors
as its own `FacebookRequestError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from importlib.metadata import version

import pytest

from emulator import Emulator, World

from .conftest import GRAPH_WORLD

facebook_business = pytest.importorskip("facebook_business")
from facebook_business.adobjects.igcomment import IGComment  # noqa: E402
from facebook_business.adobjects.igmedia import IGMedia  # noqa: E402
from facebook_business.adobjects.iguser import IGUser  # noqa: E402
from facebook_business.adobjects.shadowighashtag import ShadowIGHashtag  # noqa: E402
from facebook_business.adobjects.user import User  # noqa: E402
from facebook_business.api import FacebookAdsApi  # noqa: E402
from facebook_business.exceptions import FacebookRequestError  # noqa: E402
from facebook_business.session import FacebookSession  # noqa: E402

CLIENT, CLIENT_VERSION = "facebook-business", "24.0.1"
APP_SECRET = "emulated-app-secret"
MEDIA_FIELDS = ["id", "caption", "media_type", "media_product_type", "like_count", "comments_count", "timestamp"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    # appsecret_proof required: the SDK sends it whenever it has the app secret
    with Emulator(
        World(GRAPH_WORLD), api="graph", rate_limit=10**6, enforce_signature=True, client_secret=APP_SECRET
    ) as running:
        yield running


@pytest.fixture(scope="module")
def api(emulator: Emulator) -> FacebookAdsApi:
    session = FacebookSession(app_id="1000000000000001", app_secret=APP_SECRET, access_token=emulator.access_token)
    session.GRAPH = emulator.base_url  # the SDK's documented switch of host
    return FacebookAdsApi(session, api_version="v24.0")


@pytest.fixture(scope="module")
def account(api: FacebookAdsApi) -> IGUser:
    """The IG account found the Facebook Login way: /me/accounts → Page → instagram_business_account."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about nested fields it does not know
        pages = list(User(fbid="me", api=api).get_accounts(fields=["name", "instagram_business_account{id,username}"]))
    linked = [page for page in pages if "instagram_business_account" in page]
    assert len(pages) == 2 and len(linked) == 1  # the second Page has no IG account
    return IGUser(linked[0]["instagram_business_account"]["id"], api=api)


def test_the_client_is_the_pinned_one() -> None:
    assert version(CLIENT) == CLIENT_VERSION


def test_account_node(account: IGUser, emulator: Emulator) -> None:
    user = account.api_get(fields=["username", "name", "biography", "followers_count", "follows_count", "media_count"])
    world_user = emulator.world.user(emulator.world.default_user_id)
    assert user["username"] == world_user["username"]
    assert user["followers_count"] == world_user["counts"]["followed_by"]
    assert user["media_count"] == world_user["counts"]["media"] == 60


def test_media_paged_to_the_end_with_the_sdk_cursor(account: IGUser) -> None:
    media = list(account.get_media(fields=MEDIA_FIELDS, params={"limit": 7}))
    assert len(media) == 60  # 9 pages of 7 and less, followed with the SDK's own `after` handling
    assert len({m["id"] for m in media}) == 60
    times = [m["timestamp"] for m in media]
    assert times == sorted(times, reverse=True)  # newest first
    assert {m["media_type"] for m in media} <= {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}


def test_media_children_comments_and_replies(account: IGUser, api: FacebookAdsApi) -> None:
    media = list(account.get_media(fields=["id", "media_type", "comments_count"], params={"limit": 100}))
    album = next(m for m in media if m["media_type"] == "CAROUSEL_ALBUM")
    children = list(IGMedia(album["id"], api=api).get_children(fields=["id", "media_type", "media_url"]))
    assert 2 <= len(children) <= 5
    busy = max(media, key=lambda m: m["comments_count"])
    comments = list(IGMedia(busy["id"], api=api).get_comments(fields=["id", "text", "username", "timestamp"]))
    replies = [r for c in comments for r in IGComment(c["id"], api=api).get_replies(fields=["id", "text", "parent_id"])]
    assert len(comments) + len(replies) == busy["comments_count"]
    assert all(r["parent_id"] in {c["id"] for c in comments} for r in replies)


def test_insights_stories_tags_and_hashtags(account: IGUser, api: FacebookAdsApi) -> None:
    newest = next(iter(account.get_media(fields=["id"])))
    metrics = list(IGMedia(newest["id"], api=api).get_insights(params={"metric": ["reach", "views", "likes", "saved"]}))
    assert [m["name"] for m in metrics] == ["reach", "views", "likes", "saved"]
    stories = list(account.get_stories(fields=["id", "media_product_type", "timestamp"]))
    assert stories and all(s["media_product_type"] == "STORY" for s in stories)
    assert list(account.get_tags(fields=["id", "caption"]))
    account_insights = list(account.get_insights(params={"metric": ["reach", "follower_count"], "period": "day"}))
    assert [m["name"] for m in account_insights] == ["reach", "follower_count"]
    limit = list(account.get_content_publishing_limit(fields=["quota_usage", "config"]))
    assert limit[0]["config"]["quota_total"] == 100
    found = api.call("GET", ("ig_hashtag_search",), params={"user_id": account["id"], "q": "love"}).json()
    hashtag = ShadowIGHashtag(found["data"][0]["id"], api=api)
    top = list(hashtag.get_top_media(fields=["id", "like_count"], params={"user_id": account["id"]}))
    assert top and [m["like_count"] for m in top] == sorted((m["like_count"] for m in top), reverse=True)


def test_errors_arrive_as_the_sdk_exception(account: IGUser, api: FacebookAdsApi) -> None:
    newest = next(iter(account.get_media(fields=["id"])))
    with pytest.raises(FacebookRequestError) as retired:
        list(IGMedia(newest["id"], api=api).get_insights(params={"metric": ["impressions"]}))
    assert retired.value.api_error_code() == 100 and "impressions" in retired.value.api_error_message()
    with pytest.raises(FacebookRequestError) as foreign:
        IGUser("17841400000000001", api=api).api_get(fields=["username"])
    assert (foreign.value.api_error_code(), foreign.value.api_error_subcode()) == (100, 33)
    assert foreign.value.http_status() == 400


def test_writes_change_the_world(emulator: Emulator, account: IGUser, api: FacebookAdsApi) -> None:
    media = IGMedia(next(iter(account.get_media(fields=["id"])))["id"], api=api)
    before = media.api_get(fields=["comments_count"])["comments_count"]
    comment = media.create_comment(params={"message": "Thanks!"})
    reply = IGComment(comment["id"], api=api).create_reply(params={"message": "You're welcome"})
    assert media.api_get(fields=["comments_count"])["comments_count"] == before + 2
    IGComment(comment["id"], api=api).api_update(params={"hide": True})
    assert IGComment(comment["id"], api=api).api_get(fields=["hidden"])["hidden"] is True
    IGComment(reply["id"], api=api).api_delete()
    assert media.api_get(fields=["comments_count"])["comments_count"] == before + 1
    container = account.create_media(params={"image_url": "https://example.com/a.jpg", "caption": "Hello"})
    published = account.create_media_publish(params={"creation_id": container["id"]})
    assert IGMedia(published["id"], api=api).api_get(fields=["caption"])["caption"] == "Hello"
    assert account.api_get(fields=["media_count"])["media_count"] == 61


def test_a_mention_read_with_the_sdk(emulator: Emulator, account: IGUser) -> None:
    world, model = emulator.world, emulator.graph.model
    ids = world.user_ids()
    username = world.user(ids[model.owner])["username"]
    other = next(i for i in range(len(ids)) if i != model.owner and model.is_professional(i))
    media = world.media_ids_of_user(ids[other])[0]
    comment = world.comment(ids[other], media, f"@{username} thank you")  # on its own media, naming the account
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about field expansions it does not know
        read = account.api_get(fields=[f"mentioned_comment.comment_id({comment['id']}){{text,timestamp,media}}"])
    mentioned = read["mentioned_comment"]
    assert isinstance(mentioned, IGComment)  # the SDK's own type for the field
    assert mentioned["id"] == comment["id"] and mentioned["text"] == f"{username} thank you"
    assert mentioned["media"]["id"] == model.media_id(world.media_index(media))
    with pytest.raises(FacebookRequestError) as refused, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        account.api_get(fields=[f"mentioned_media.media_id({model.media_id(world.media_index(media))}){{caption}}"])
    assert (refused.value.api_error_code(), refused.value.api_error_subcode()) == (100, 33)  # no caption names it
