"""The Graph API's view of the world: Graph ids, professional accounts and Pages, stories,
comment threads, hashtag searches and publishing, over one `World` (docs/emulator.md, "Graph mode").

The world stays the truth: media, comments, follows and likes come from it, and every write
here goes into it. What the v1 world lacks is derived deterministically from the seed
(which accounts are professional, the stories they post, which comments are replies) or kept in
small overlays that only Graph writes fill (hidden comments, written replies, containers,
hashtag queries).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..generate import DAY, MEDIA_CAROUSEL, MEDIA_IMAGE, MEDIA_VIDEO
from ..state import COMMENT_ID_BASE
from ..world import World
from .tokens import TokenMinter

# Id ranges, one per node type, so that `GET /{id}` knows what an id is without a lookup.
# The digits follow the real ones' look: 17841… accounts, 1789…/180… media, 15-digit Pages.
FB_USER_BASE = 10_200_000_000_000
PAGE_BASE = 110_000_000_000_000
COMMENT_BASE = COMMENT_ID_BASE  # comments keep their v1 ids (17841000…)
USER_BASE = 17_841_400_000_000_000
HASHTAG_BASE = 17_843_000_000_000_000
CONTAINER_BASE = 17_890_000_000_000_000
MEDIA_BASE = 18_000_000_000_000_000
CHILD_BASE = 18_100_000_000_000_000
STORY_BASE = 18_200_000_000_000_000
RANGES = (  # (kind, base, span), searched in order
    ("fb_user", FB_USER_BASE, 10**11),
    ("page", PAGE_BASE, 10**13),
    ("comment", COMMENT_BASE, USER_BASE - COMMENT_BASE),
    ("user", USER_BASE, 10**12),
    ("hashtag", HASHTAG_BASE, 10**12),
    ("container", CONTAINER_BASE, 10**12),
    ("media", MEDIA_BASE, 10**14),
    ("child", CHILD_BASE, 10**14),
    ("story", STORY_BASE, 10**14),
)
BASES = {kind: base for kind, base, _ in RANGES}


def node_id(kind: str, n: int) -> str:
    """The Graph id of node `n` of `kind` (page n: the owner's index * 2 + 0 or 1)."""
    return str(BASES[kind] + n)


CREATOR_SHARE = 0.15  # public non-business accounts that are creators (professional)
AGE_GATED_SHARE = 0.03
STORY_LIFETIME = DAY
CACHE_SIZE = 200_000  # derived answers kept between changes
MEDIA_LIMIT = 10_000  # "about the newest 10,000 media only" (§2)
HASHTAG_WINDOW = 7 * DAY
HASHTAG_LIMIT = 30
PUBLISH_WINDOW = DAY
PUBLISH_LIMIT = 100
# "@name" in a caption or comment; not inside a word or an e-mail address
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._]+)")
KIND_NAMES = {MEDIA_IMAGE: "IMAGE", MEDIA_VIDEO: "VIDEO", MEDIA_CAROUSEL: "CAROUSEL_ALBUM"}
KIND_BY_NAME = {"IMAGE": MEDIA_IMAGE, "VIDEO": MEDIA_VIDEO, "REELS": MEDIA_VIDEO, "CAROUSEL": MEDIA_CAROUSEL}


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) from `parts` (seed first): the same parts, the same number."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class Container:
    """A media container (`POST /{ig-user-id}/media`), published at most once."""

    owner: int
    kind: int
    caption: str | None
    created: int
    published: str | None = None  # the Graph media id once published


@dataclass
class Overlays:
    """What only Graph writes change."""

    hidden: set[int] = field(default_factory=set)  # comment indices
    reply_parent: dict[int, int] = field(default_factory=dict)  # written replies: comment → parent
    captions: dict[int, str] = field(default_factory=dict)  # published media: index → caption
    containers: list[Container] = field(default_factory=list)
    hashtag_queries: dict[int, dict[int, int]] = field(default_factory=dict)  # user → tag → last query
    published: dict[int, list[int]] = field(default_factory=dict)  # user → publish times
    follower_days: dict[int, dict[int, int]] = field(default_factory=dict)  # user → day → net follows


class GraphModel:
    """Graph ids and Graph-only facts over `world`. Not thread-safe: the application calls it
    under its world lock."""

    def __init__(self, world: World):
        self.world = world
        self.seed = world.config.seed
        self.tokens = TokenMinter(hashlib.sha256(f"instagram-graph-emulator:{self.seed}".encode()).digest())
        self.overlays = Overlays()
        self.owner = world.user_index(world.default_user_id)  # the token user's account
        self._cache: dict[tuple, object] = {}

    def changed(self) -> None:
        """Forget derived answers: the world or an overlay changed."""
        self._cache.clear()

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The answer for `key` until the next change, computed on a miss."""
        value = self._cache.get(key)
        if value is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()  # a crude bound: a busy world is re-derived, not grown without end
            value = self._cache[key] = compute()
        return value

    # ------------------------------------------------------------------ ids

    @staticmethod
    def resolve(node_id: str) -> tuple[str, int] | None:
        """(kind, number) of a Graph id, or None."""
        if not node_id.isdigit():
            return None
        n = int(node_id)
        for kind, base, span in RANGES:
            if base <= n < base + span:
                return kind, n - base
        return None

    @staticmethod
    def user_id(i: int) -> str:
        return node_id("user", i)

    @staticmethod
    def media_id(index: int) -> str:
        return node_id("media", index)

    @staticmethod
    def comment_id(ci: int) -> str:
        return node_id("comment", ci)

    # ------------------------------------------------------------------ accounts

    def user(self, i: int) -> dict:
        return self.cached(("user", i), lambda: self.world.user_facts(i))

    def is_professional(self, i: int) -> bool:
        """The token user's account, business accounts and a share of public accounts (creators).
        Private accounts are never professional (Instagram makes a professional account public)."""
        if i == self.owner:
            return True
        if not 0 <= i < self.world.user_count():
            return False
        facts = self.user(i)
        return not facts["is_private"] and (facts["is_business"] or unit(self.seed, "creator", i) < CREATOR_SHARE)

    def age_gated(self, i: int) -> bool:
        """About 3 % of professional accounts (never the token user's) restrict their audience
        by age: business discovery does not return them (§2)."""
        return i != self.owner and unit(self.seed, "age gate", i) < AGE_GATED_SHARE

    def account_type(self, i: int) -> str:
        return "BUSINESS" if self.user(i)["is_business"] or i == self.owner else "MEDIA_CREATOR"

    # ------------------------------------------------------------------ media

    def media_of(self, i: int) -> list[int]:
        """Media indices of user `i`, newest first, the newest MEDIA_LIMIT only."""
        return self.cached(("media_of", i), lambda: self.world.media_indices_of_user(i)[::-1][:MEDIA_LIMIT].tolist())

    def media(self, index: int) -> tuple:
        """`World.media_facts`, with the caption a Graph publish gave."""
        facts = self.cached(("media", index), lambda: self.world.media_facts(index))
        caption = self.overlays.captions.get(index)
        return facts if caption is None else (*facts[:4], caption, *facts[5:])

    def media_hour(self, index: int) -> int:
        """The hour (hours since 1970) media `index` was posted in."""
        return self.media(index)[1] // 3600

    def product_type(self, index: int, kind: int) -> str:
        """Videos are reels, except one in four that stays a feed video (as older accounts show)."""
        return "REELS" if kind == MEDIA_VIDEO and index % 4 else "FEED"

    def tagged_in(self, i: int) -> list[int]:
        return self.cached(("tagged", i), lambda: self.world.media_indices_tagging(i)[::-1].tolist())

    # ------------------------------------------------------------------ stories

    def stories_on(self, i: int, day: int) -> list[tuple[int, int, int]]:
        """(story number, time, kind) of the stories user `i` posted on `day` (days since 1970).
        The token user's account posts 1 to 3 every day; other professional accounts post on
        about a third of days."""
        draw = unit(self.seed, "stories", i, day)
        if i == self.owner:
            count = 1 + int(draw * 3)
        else:
            count = 0 if draw >= 0.3 else 1 + int(draw * 10)
        drawn = sorted(
            (
                day * DAY + int(unit(self.seed, "story time", i, day, k) * DAY),
                MEDIA_VIDEO if unit(self.seed, "story kind", i, day, k) < 0.4 else MEDIA_IMAGE,
            )
            for k in range(count)
        )
        # numbered in time order, so that a story's number orders it like its time (cursors)
        return [((i << 20 | day) << 3 | k, time, kind) for k, (time, kind) in enumerate(drawn)]

    def live_stories(self, i: int) -> list[tuple[int, int, int]]:
        """Stories posted in the last 24 h of the world clock, newest first."""
        now = self.world.now
        day = now // DAY
        stories = [s for d in (day - 1, day) for s in self.stories_on(i, d) if now - STORY_LIFETIME < s[1] <= now]
        return sorted(stories, key=lambda s: -s[1])

    def story(self, n: int) -> tuple[int, int, int] | None:
        """(owner, time, kind) of story number `n`, whether or not it is still live."""
        i, day = n >> 23, (n >> 3) & ((1 << 20) - 1)
        for number, time, kind in self.stories_on(i, day) if 0 <= i < self.world.user_count() else ():
            if number == n:
                return i, time, kind
        return None

    # ------------------------------------------------------------------ comments

    def threads(self, index: int) -> tuple[list[int], dict[int, list[int]]]:
        """(top-level comments oldest first, replies per comment oldest first) of media `index`.
        About one comment in four answers the top-level comment before it (replies go one level
        deep, §2); written replies keep the parent they were written to."""

        def compute() -> tuple[list[int], dict[int, list[int]]]:
            top: list[int] = []
            replies: dict[int, list[int]] = {}
            for ci in self.world.comment_indices(index):
                parent = self.overlays.reply_parent.get(ci)
                if parent is None and top and unit(self.seed, "reply", ci) < 0.25:
                    parent = top[-1]
                if parent is None:
                    top.append(ci)
                elif self.world.comment_live(parent):
                    replies.setdefault(parent, []).append(ci)
            return top, replies

        return self.cached(("threads", index), compute)

    def parent_of(self, ci: int) -> int | None:
        media = self.world.comment_facts(ci)[0]
        _, replies = self.threads(media)
        for parent, children in replies.items():
            if ci in children:
                return parent
        return None

    # ------------------------------------------------------------------ mentions

    def mentioned(self, text: str | None) -> set[int]:
        """The accounts a caption or comment @mentions: its "@name"s that are usernames of the
        world."""
        found = (self._named(name) for name in MENTION.findall(text or ""))
        return {i for i in found if i is not None}

    def without_mention_signs(self, text: str) -> str:
        """`text` with the @ of its mentions removed: how captions and comments on another
        account's media read (Meta's IG Media reference: "Captions that @mention an IG User will
        not include the @ symbol unless the app user created the IG Media")."""
        return MENTION.sub(lambda match: match[1] if self._named(match[1]) is not None else match[0], text)

    def _named(self, name: str) -> int | None:
        """The user index of an @name (its trailing periods end the sentence: usernames cannot
        end with one), or None."""
        return self.world.username_index(name.rstrip(".").lower())

    # ------------------------------------------------------------------ hashtags

    def query_hashtag(self, user: int, tag: int) -> bool:
        """Record that `user` searched `tag`; False if that would be a 31st unique hashtag in
        the rolling 7 days (§2: code 24, subcode 2207024)."""
        now = self.world.now
        queries = self.overlays.hashtag_queries.setdefault(user, {})
        recent = {t for t, at in queries.items() if at > now - HASHTAG_WINDOW}
        if tag not in recent and len(recent) >= HASHTAG_LIMIT:
            return False
        queries[tag] = now
        return True

    def hashtag_media(self, t: int) -> list[int]:
        """Public media with the hashtag, newest first."""
        return self.cached(("hashtag", t), lambda: np.unique(self.world.tag_media_indices(t))[::-1].tolist())

    # ------------------------------------------------------------------ publishing

    def publishes_in_window(self, user: int) -> int:
        now = self.world.now
        return sum(1 for at in self.overlays.published.get(user, ()) if at > now - PUBLISH_WINDOW)

    def note_advance(self, summary: dict) -> None:
        """Keep the day of each follow and unfollow an advance made (account insights'
        `follower_count`: new followers per day)."""
        day = summary["to"] // DAY
        for sign, name in ((1, "new_follows"), (-1, "unfollows")):
            for _, followed in summary[name]:
                i = self.world.user_index(followed)
                days = self.overlays.follower_days.setdefault(i, {})
                days[day] = days.get(day, 0) + sign
        self.changed()
