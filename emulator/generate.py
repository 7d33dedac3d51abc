"""Vectorised, seeded generation of the emulator's initial world (numpy only).

`generate(config)` returns a `Snapshot`: plain columnar arrays (users, follow edges, pending
requests, media, tags, locations, likes, comments) that `emulator.world.World` indexes and
serves. Nothing here reads the wall clock: the same `WorldConfig` gives the same arrays.

How the social graph is shaped (so that analytics on it are meaningful):
- follower counts are heavy-tailed: targets are drawn in proportion to a Pareto "popularity"
  weight (a Chung-Lu style configuration, the static cousin of preferential attachment);
- communities are planted: most follows stay inside the follower's community;
- a share of follows is reciprocated;
- likes and comments come mostly from the owner's followers: a few per cent of them per media,
  more for small accounts, with heavy tails per account and per media (docs/emulator.md);
- tags cluster by topic: part of a media's tags come from its owner's community's topic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# 2017-06-01T00:00:00Z: the world clock's fixed starting instant.
DEFAULT_START = 1496275200
DAY = 86400

FIRST_NAMES = (
    "Ana",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Luca",
    "Maya",
    "Nico",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bea",
    "Chen",
    "Dara",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kai",
    "Lena",
    "Marco",
    "Nora",
)
LAST_NAMES = (
    "Silva",
    "Smith",
    "Kowalski",
    "Tanaka",
    "Okafor",
    "Rossi",
    "Muller",
    "Garcia",
    "Kim",
    "Nguyen",
    "Dubois",
    "Ivanova",
    "Haddad",
    "Larsen",
    "Costa",
    "Novak",
    "Singh",
    "Moreau",
    "Sato",
    "Jensen",
    "Lopez",
    "Fischer",
    "Ali",
    "Berg",
    "Cruz",
    "Weber",
    "Park",
    "Mendes",
)
BIOS = (
    "",
    "",
    "",
    "Coffee first.",
    "Photographer | traveller",
    "Living one frame at a time",
    "Food, friends, film.",
    "Designer by day, baker by night",
    "Runner. Reader. Dog person.",
    "Exploring the city",
    "Shots on film",
    "Plants & pastries",
    "Always chasing sunsets",
    "Architecture nerd",
    "Music is life",
    "Small business owner",
)
CAPTIONS = (
    "Good morning",
    "What a day",
    "Weekend mood",
    "Back at it",
    "Golden hour",
    "Throwback",
    "New favourite spot",
    "Sunday vibes",
    "Can't get enough of this view",
    "Little things",
    "Out and about",
    "Brunch time",
    "Late night walks",
    "Home sweet home",
    "Finally!",
    "Made this today",
    "Road trip",
    "Coffee break",
    "Saturday market",
    "City lights",
)
COMMENTS = (
    "Love this!",
    "Amazing shot",
    "So beautiful",
    "Wow",
    "Where is this?",
    "Great colours",
    "Miss you!",
    "Looks delicious",
    "Goals",
    "This is everything",
    "Stunning",
    "Need to go here",
    "Nice one",
    "Haha yes",
    "Perfect",
    "Incredible light",
    "Take me with you",
    "So good",
    "Beautiful!",
    "Congrats!",
)
FILTERS = (
    "Normal",
    "Clarendon",
    "Juno",
    "Lark",
    "Gingham",
    "Ludwig",
    "Valencia",
    "Earlybird",
    "Walden",
    "Vesper",
    "X-Pro II",
    "Lo-fi",
    "Mayfair",
    "Amaro",
    "Rise",
    "Hudson",
)
COMMON_TAGS = (
    "love",
    "instagood",
    "photooftheday",
    "fashion",
    "beautiful",
    "happy",
    "cute",
    "tbt",
    "like4like",
    "followme",
    "picoftheday",
    "follow",
    "me",
    "selfie",
    "summer",
    "art",
    "instadaily",
    "friends",
    "repost",
    "nature",
    "girl",
    "fun",
    "style",
    "smile",
    "food",
    "instalike",
    "family",
    "travel",
    "fitness",
    "igers",
    "tagsforlikes",
    "nofilter",
    "life",
    "beauty",
    "amazing",
    "instamood",
    "photography",
    "sun",
    "dog",
    "music",
    "beach",
    "sky",
    "sunset",
    "foodporn",
    "coffee",
    "cat",
    "city",
    "weekend",
    "party",
    "pretty",
)
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ra",
    "to",
    "ne",
    "su",
    "vi",
    "da",
    "fe",
    "go",
    "ha",
    "ji",
    "ku",
    "ma",
    "no",
    "pe",
    "ri",
    "sa",
    "te",
    "ul",
    "va",
    "wo",
    "ye",
    "zo",
    "bel",
    "cor",
    "dan",
)
# Real cities, so that coordinates look plausible; more geographies than these are synthesised.
CITIES = (
    ("New York", 40.7128, -74.0060),
    ("London", 51.5074, -0.1278),
    ("Paris", 48.8566, 2.3522),
    ("Tokyo", 35.6762, 139.6503),
    ("Sao Paulo", -23.5505, -46.6333),
    ("Sydney", -33.8688, 151.2093),
    ("Berlin", 52.5200, 13.4050),
    ("Mumbai", 19.0760, 72.8777),
    ("Lagos", 6.5244, 3.3792),
    ("Mexico City", 19.4326, -99.1332),
    ("Toronto", 43.6532, -79.3832),
    ("Seoul", 37.5665, 126.9780),
)
PLACE_ADJECTIVES = (
    "Blue",
    "Golden",
    "Old",
    "Little",
    "Grand",
    "Green",
    "Royal",
    "Sunny",
    "Hidden",
    "Central",
)
PLACE_NOUNS = (
    "Cafe",
    "Park",
    "Bakery",
    "Museum",
    "Market",
    "Bridge",
    "Garden",
    "Gallery",
    "Harbour",
    "Square",
    "Bistro",
    "Beach",
    "Tower",
    "Station",
    "Bookshop",
)
STREETS = ("Main St", "High St", "Market St", "Park Ave", "River Rd", "Station Rd", "King St")

# Engagement per follower falls with an account's size (benchmarks: small accounts several per
# cent, large ones about one): likes ∝ followers^(1 − elasticity), equal to `likes_per_follower`
# per follower at REFERENCE_FOLLOWERS. Log-normal spreads per account and per media make the tails.
FOLLOWER_ELASTICITY = 0.2
REFERENCE_FOLLOWERS = 50.0
ACCOUNT_SIGMA = 0.5
MEDIA_SIGMA = 0.8

MEDIA_IMAGE, MEDIA_VIDEO, MEDIA_CAROUSEL = 0, 1, 2
MEDIA_TYPES = ("image", "video", "carousel")


@dataclass(frozen=True)
class WorldConfig:
    """Size and shape of a synthetic world. The same config always builds the same world."""

    seed: int = 42
    users: int = 2000
    media_per_user: float = 8.0  # mean; per-user counts are over-dispersed (some post a lot)
    follows_per_user: float = 10.0  # mean out-degree (reciprocal follows included)
    communities: int = 8
    intra_community_share: float = 0.85  # share of follows that stay inside a community
    reciprocity: float = 0.35  # share of follows that are followed back
    popularity_exponent: float = 1.3  # Pareto tail of user popularity (smaller: heavier tail)
    private_share: float = 0.12
    pending_requests_per_private: float = 1.5
    tags: int = 400  # vocabulary size; usage is Zipf-distributed
    tags_per_media: float = 2.0
    topic_share: float = 0.5  # share of a media's tags drawn from its owner's community's topic
    captioned_share: float = 0.9
    locations: int = 300
    geographies: int = 6  # cities the locations cluster in
    located_share: float = 0.4  # share of media with a location
    video_share: float = 0.2
    carousel_share: float = 0.1
    users_in_photo_share: float = 0.25
    # expected likes (comments) of a media per follower of an owner of 50 followers; smaller
    # accounts get more per follower, larger ones fewer (FOLLOWER_ELASTICITY)
    likes_per_follower: float = 0.03
    comments_per_follower: float = 0.003
    history_days: int = 730  # media are spread over this many days before `start`
    start: int = DEFAULT_START  # the world clock's initial value (unix seconds)

    def __post_init__(self) -> None:
        if self.users < 2:
            raise ValueError("WorldConfig.users must be at least 2")
        for name in ("communities", "tags", "locations", "geographies", "history_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"WorldConfig.{name} must be at least 1")
        for name in (
            "intra_community_share",
            "reciprocity",
            "private_share",
            "captioned_share",
            "located_share",
            "video_share",
            "carousel_share",
            "users_in_photo_share",
            "topic_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"WorldConfig.{name} must be between 0 and 1")
        if self.video_share + self.carousel_share > 1.0:
            raise ValueError("WorldConfig.video_share + carousel_share must not exceed 1")
        if self.popularity_exponent <= 1.0:
            raise ValueError("WorldConfig.popularity_exponent must be greater than 1")


@dataclass
class Snapshot:
    """The generated world as columns. Indices (not ids) link the tables."""

    # users (index order = id order)
    user_id: np.ndarray  # int64
    username: list[str]
    full_name: list[str]
    bio: np.ndarray  # int16 index into BIOS
    has_website: np.ndarray  # bool
    is_business: np.ndarray  # bool
    is_private: np.ndarray  # bool
    community: np.ndarray  # int32
    popularity: np.ndarray  # float64, the weight new follows are drawn with
    # follow edges and pending requests, oldest first
    follow_src: np.ndarray  # int32
    follow_dst: np.ndarray  # int32
    request_src: np.ndarray
    request_dst: np.ndarray
    # geographies and locations
    geography_id: np.ndarray  # int64
    geography_name: list[str]
    location_id: np.ndarray  # int64
    location_name: list[str]
    location_street: list[str]
    location_lat: np.ndarray
    location_lng: np.ndarray
    location_geography: np.ndarray  # int32
    location_places_id: np.ndarray  # int64, the facebook_places_id
    location_foursquare_v2_id: list[str]  # 24 hex digits, like Foursquare's v2 venue ids
    location_foursquare_id: np.ndarray  # int64, the older (v1, numeric) Foursquare venue id
    # tags, most popular first
    tag_name: list[str]
    # media, oldest first
    media_owner: np.ndarray  # int32
    media_time: np.ndarray  # int64
    media_type: np.ndarray  # int8, MEDIA_*
    media_filter: np.ndarray  # int8
    media_location: np.ndarray  # int32, -1 = none
    media_caption: np.ndarray  # int16 index into CAPTIONS, -1 = no caption
    media_carousel_size: np.ndarray  # int8, 0 unless carousel
    media_tag_count: np.ndarray  # int32; the tags themselves follow in tag_flat
    tag_flat: np.ndarray  # int32, tags of media 0, then media 1, ...
    media_photo_user_count: np.ndarray  # int32
    photo_user_flat: np.ndarray  # int32
    photo_x_flat: np.ndarray  # int16, thousandths
    photo_y_flat: np.ndarray
    # likes, oldest first
    like_user: np.ndarray  # int32
    like_media: np.ndarray  # int32
    # comments, oldest first
    comment_media: np.ndarray  # int32
    comment_user: np.ndarray  # int32
    comment_time: np.ndarray  # int64
    comment_text: np.ndarray  # int16 index into COMMENTS


def _unique_ids(rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
    """`count` distinct sorted integers in [low, high)."""
    return np.sort(rng.choice(high - low, size=count, replace=False)).astype(np.int64) + low


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Distinct values, ascending (np.unique's hash path is several times slower here)."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def _deduplicate_names(names: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for index, name in enumerate(names):
        while name in seen:
            name = f"{name}_{index}"
        seen.add(name)
        result.append(name)
    return result


def _pick_in_groups(
    rng: np.random.Generator,
    groups: np.ndarray,
    ptr: np.ndarray,
    members: np.ndarray,
    cumulative: np.ndarray,
) -> np.ndarray:
    """For each entry of `groups`, one member of that group drawn in proportion to its weight.

    `members` lists the items grouped (group g is members[ptr[g]:ptr[g+1]]) and `cumulative`
    is the running sum of their weights in that order.
    """
    start = np.where(ptr[groups] > 0, cumulative[np.maximum(ptr[groups] - 1, 0)], 0.0)
    end = cumulative[ptr[groups + 1] - 1]
    draw = start + rng.random(len(groups)) * (end - start)
    position = np.searchsorted(cumulative, draw, side="right")
    return members[np.minimum(position, ptr[groups + 1] - 1)]


def _pick_in_slices(
    rng: np.random.Generator,
    owners: np.ndarray,
    ptr: np.ndarray,
    items: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each owner, a uniform item of its CSR slice; also a mask of owners with a slice."""
    size = ptr[owners + 1] - ptr[owners]
    has = size > 0
    position = ptr[owners] + (rng.random(len(owners)) * size).astype(np.int64)
    return items[np.minimum(position, len(items) - 1)], has


def stable_order(keys: np.ndarray) -> np.ndarray:
    """Like np.argsort(keys, kind="stable") for non-negative integer keys, ~10x faster: one
    (vectorised) sort of key * n + position."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keys = keys.astype(np.int64)
    low = keys.min()
    if (int(keys.max()) - int(low) + 1) * n >= 2**62:
        return np.argsort(keys, kind="stable")
    return np.sort((keys - low) * n + np.arange(n)) % n


def csr(keys: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable grouping of item indices by key: (ptr, order), group k = order[ptr[k]:ptr[k+1]]."""
    order = stable_order(keys)
    ptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=count), out=ptr[1:])
    return ptr, order


def _users(config: WorldConfig, rng: np.random.Generator) -> dict:
    n = config.users
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    style = rng.integers(0, 4, n)
    number = rng.integers(1, 1000, n)
    usernames = []
    for f, last_index, s, k in zip(first.tolist(), last.tolist(), style.tolist(), number.tolist()):
        given, family = FIRST_NAMES[f].lower(), LAST_NAMES[last_index].lower()
        usernames.append((f"{given}.{family}", f"{given}_{family}{k}", f"{given}{k}", f"the{family}{given}")[s])
    full_names = [
        "" if k % 17 == 0 else f"{FIRST_NAMES[f]} {LAST_NAMES[last_index]}"
        for f, last_index, k in zip(first.tolist(), last.tolist(), number.tolist())
    ]
    # Community sizes vary (a few big scenes, several niches).
    community_weight = rng.gamma(2.0, 1.0, config.communities)
    community = rng.choice(config.communities, size=n, p=community_weight / community_weight.sum()).astype(np.int32)
    popularity = rng.pareto(config.popularity_exponent, n) + 1.0
    return dict(
        user_id=_unique_ids(rng, n, 1_000_000, 4_000_000_000),
        username=_deduplicate_names(usernames),
        full_name=full_names,
        bio=rng.integers(0, len(BIOS), n).astype(np.int16),
        has_website=rng.random(n) < 0.15,
        is_business=rng.random(n) < 0.05,
        is_private=rng.random(n) < config.private_share,
        community=community,
        popularity=popularity,
    )


def _follows(config: WorldConfig, rng: np.random.Generator, users: dict) -> dict:
    n = config.users
    community, popularity = users["community"], users["popularity"]
    # Reciprocation adds edges: draw fewer first so that the mean ends near follows_per_user.
    mean_out = config.follows_per_user / (1.0 + config.reciprocity)
    out_degree = rng.poisson(rng.gamma(2.0, mean_out / 2.0, n))
    src = np.repeat(np.arange(n, dtype=np.int64), out_degree)
    # Targets inside the follower's community, weighted by popularity.
    ptr, members = csr(community, config.communities)
    cumulative = np.cumsum(popularity[members])
    dst = _pick_in_groups(rng, community[src], ptr, members, cumulative)
    outside = rng.random(len(src)) >= config.intra_community_share
    dst[outside] = np.searchsorted(
        np.cumsum(popularity), rng.random(int(outside.sum())) * popularity.sum(), side="right"
    ).clip(max=n - 1)
    back = rng.random(len(src)) < config.reciprocity
    src, dst = np.concatenate([src, dst[back]]), np.concatenate([dst, src[back]])
    keep = src != dst
    sorted_key = sorted_unique(src[keep] * n + dst[keep])
    # Follow order (oldest first) is random, so every list has old and recent edges.
    key = sorted_key[rng.permutation(len(sorted_key))]
    follow_src, follow_dst = (key // n).astype(np.int32), (key % n).astype(np.int32)

    private = np.flatnonzero(users["is_private"])
    request_dst = np.repeat(private, rng.poisson(config.pending_requests_per_private, len(private)))
    request_src = rng.integers(0, n, len(request_dst))
    request_key = sorted_unique(request_src * n + request_dst)
    position = np.searchsorted(sorted_key, request_key).clip(max=max(len(sorted_key) - 1, 0))
    already_follows = sorted_key[position] == request_key if len(sorted_key) else False
    request_key = request_key[~already_follows & (request_key // n != request_key % n)]
    request_key = request_key[rng.permutation(len(request_key))]
    return dict(
        follow_src=follow_src,
        follow_dst=follow_dst,
        request_src=(request_key // n).astype(np.int32),
        request_dst=(request_key % n).astype(np.int32),
    )


def _places(config: WorldConfig, rng: np.random.Generator) -> dict:
    g = config.geographies
    names = [CITIES[k % len(CITIES)][0] + ("" if k < len(CITIES) else f" {k // len(CITIES) + 1}") for k in range(g)]
    centre_lat = np.array([CITIES[k][1] if k < len(CITIES) else 0.0 for k in range(g)])
    centre_lng = np.array([CITIES[k][2] if k < len(CITIES) else 0.0 for k in range(g)])
    synthetic = np.arange(g) >= len(CITIES)
    centre_lat[synthetic] = rng.uniform(-50, 60, int(synthetic.sum()))
    centre_lng[synthetic] = rng.uniform(-170, 170, int(synthetic.sum()))

    m = config.locations
    geography = rng.integers(0, g, m).astype(np.int32)
    # Most places sit within a few km of the centre; ~0.03 degrees is about 3 km.
    lat = centre_lat[geography] + rng.normal(0, 0.03, m)
    lng = centre_lng[geography] + rng.normal(0, 0.03, m) / np.cos(np.radians(centre_lat[geography]))
    adjective = rng.integers(0, len(PLACE_ADJECTIVES), m).tolist()
    noun = rng.integers(0, len(PLACE_NOUNS), m).tolist()
    street = rng.integers(0, len(STREETS), m).tolist()
    number = rng.integers(1, 300, m).tolist()
    has_street = (rng.random(m) < 0.6).tolist()
    return dict(
        geography_id=_unique_ids(rng, g, 100_000, 1_000_000),
        geography_name=names,
        location_id=_unique_ids(rng, m, 1_000, 2_000_000_000),
        location_name=[
            f"{PLACE_ADJECTIVES[a]} {PLACE_NOUNS[b]} {names[c]}" for a, b, c in zip(adjective, noun, geography.tolist())
        ],
        location_street=[f"{k} {STREETS[s]}" if h else "" for k, s, h in zip(number, street, has_street)],
        location_lat=np.round(lat, 6),
        location_lng=np.round(lng, 6),
        location_geography=geography,
        location_places_id=_unique_ids(rng, m, 100_000_000_000_000, 200_000_000_000_000),
        # Drawn after everything above, so that they change none of the earlier draws.
        location_foursquare_v2_id=_foursquare_v2_ids(rng, m),
        location_foursquare_id=rng.permutation(_unique_ids(rng, m, 10_000, 20_000_000)),
    )


def _foursquare_v2_ids(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct ids shaped like Foursquare's v2 venue ids (MongoDB object ids: 8 hex
    digits of a 2009-2013 creation time, then 16 more); distinct by their last 16 digits."""
    created = rng.integers(0x4A000000, 0x51000000, count).tolist()
    rest = rng.permutation(_unique_ids(rng, count, 0, 1 << 62)).tolist()
    return [f"{time:08x}{tail:016x}" for time, tail in zip(created, rest)]


def tag_vocabulary(size: int) -> list[str]:
    """`size` tag names, most popular first: common real tags, then made-up words."""
    names = list(COMMON_TAGS[:size])
    k = 0
    while len(names) < size:
        word, rest = "", k
        while True:  # the k-th word in base len(SYLLABLES)
            word += SYLLABLES[rest % len(SYLLABLES)]
            rest //= len(SYLLABLES)
            if rest == 0:
                break
        names.append(word + "gram" if word in COMMON_TAGS else word)
        k += 1
    return _deduplicate_names(names)


def zipf_weights(size: int, exponent: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


# The vocabulary's first tags (love, instagood, ...) are everyone's; the others are split among
# the communities in turn, each community's share being its topic.
GENERIC_TAGS = 10


def tag_mixtures(config: WorldConfig) -> np.ndarray:
    """Per community, the probability of each tag on its members' media: the Zipf usage of the
    whole vocabulary, with `topic_share` of the non-generic tags' part moved onto the
    community's topic (in the same Zipf order); the generic tags keep their usage."""
    usage = zipf_weights(config.tags)
    topical = np.arange(config.tags) >= GENERIC_TAGS
    owner = (np.arange(config.tags) - GENERIC_TAGS) % config.communities
    mixtures = np.tile(np.where(topical, (1.0 - config.topic_share) * usage, usage), (config.communities, 1))
    for community in range(config.communities):
        topic = usage * (topical & (owner == community))
        if topic.sum() == 0:  # a vocabulary too small to give this community a topic
            topic = usage * topical
        if topic.sum() > 0:
            mixtures[community] += config.topic_share * usage[topical].sum() * topic / topic.sum()
    return mixtures


# Posting cadence (docs/emulator.md, "The world's numbers"): each user posts its media within a
# span of its own, from three months to the whole history, which ends at `start` for the users
# that still post and anywhere in the history for the others. Better connected accounts post as
# brands and creators do: they are more often still active (ACTIVE_SHARE, rising with their
# rank) and post their media over shorter spans, so the cadence has a heavy tail (a few posts a
# week at the top, a post a month or less for most).
MIN_SPAN_DAYS = 90
ACTIVE_SHARE = (0.4, 0.9)  # for the least and the best connected
# "Posting lately": the window that names who still posts, and at what pace (emulator/evolution.py).
RECENT_POSTING_DAYS = 30


def posting_spans(config: WorldConfig, connectedness: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per user, (the age of its latest possible post, the length of its posting span), in
    seconds, from how well connected each is (any score; only its rank counts). A stream of its
    own, so that the world's other draws do not depend on it."""
    n = len(connectedness)
    rng = np.random.default_rng([config.seed, 665])
    rank = stable_order(connectedness).argsort() / max(n - 1, 1)  # 0 least, 1 best connected
    history = max(config.history_days, MIN_SPAN_DAYS)
    span = np.exp(np.log(MIN_SPAN_DAYS) + np.log(history / MIN_SPAN_DAYS) * rng.random(n) ** (1 + 2 * rank))
    active = rng.random(n) < ACTIVE_SHARE[0] + (ACTIVE_SHARE[1] - ACTIVE_SHARE[0]) * rank
    gap = np.where(active, 0.0, rng.uniform(0, history, n))
    gap = np.minimum(gap, history - span)  # the span stays within the history
    return gap * DAY, span * DAY


def _media(config: WorldConfig, rng: np.random.Generator, users: dict, places: dict, follows: dict) -> dict:
    n = config.users
    per_user = rng.poisson(rng.gamma(0.8, config.media_per_user / 0.8, n))
    owner = np.repeat(np.arange(n, dtype=np.int32), per_user)
    count = len(owner)
    connectedness = np.minimum(
        np.bincount(follows["follow_src"], minlength=n), np.bincount(follows["follow_dst"], minlength=n)
    )
    latest_age, span = posting_spans(config, connectedness)
    age = latest_age[owner] + rng.random(count) * span[owner]
    time = (config.start - 1 - age).astype(np.int64)
    order = stable_order(time)
    owner, time = owner[order], time[order]

    kind = rng.random(count)
    media_type = np.full(count, MEDIA_IMAGE, dtype=np.int8)
    media_type[kind < config.video_share + config.carousel_share] = MEDIA_CAROUSEL
    media_type[kind < config.video_share] = MEDIA_VIDEO
    carousel_size = np.where(media_type == MEDIA_CAROUSEL, rng.integers(2, 6, count), 0).astype(np.int8)
    filter_weights = np.array([8.0] + [1.0] * (len(FILTERS) - 1))
    media_filter = rng.choice(len(FILTERS), size=count, p=filter_weights / filter_weights.sum())

    captioned = rng.random(count) < config.captioned_share
    caption = np.where(captioned, rng.integers(0, len(CAPTIONS), count), -1).astype(np.int16)
    tag_count = np.where(captioned, rng.poisson(config.tags_per_media, count), 0).clip(max=8)
    tag_media = np.repeat(np.arange(count, dtype=np.int64), tag_count)
    tag_community = users["community"][owner[tag_media]]
    tag = np.zeros(len(tag_media), dtype=np.int64)
    for community, mixture in enumerate(tag_mixtures(config)):
        where = np.flatnonzero(tag_community == community)
        tag[where] = rng.choice(config.tags, len(where), p=mixture)
    tag_key = sorted_unique(tag_media * config.tags + tag)  # a tag used twice on a media counts once
    tag_count = np.bincount(tag_key // config.tags, minlength=count).astype(np.int32)

    # Media are located mostly in a place of the owner's community's city.
    located = np.flatnonzero(rng.random(count) < config.located_share)
    home = (users["community"][owner[located]] % config.geographies).astype(np.int64)
    travelling = rng.random(len(located)) < 0.2
    home[travelling] = rng.integers(0, config.geographies, int(travelling.sum()))
    geo_ptr, geo_members = csr(places["location_geography"], config.geographies)
    place_weight = np.cumsum(zipf_weights(config.locations, 0.8)[rng.permutation(config.locations)][geo_members])
    has_places = geo_ptr[home + 1] > geo_ptr[home]
    chosen = np.full(len(located), -1, dtype=np.int64)
    chosen[has_places] = _pick_in_groups(rng, home[has_places], geo_ptr, geo_members, place_weight)
    chosen[~has_places] = rng.integers(0, config.locations, int((~has_places).sum()))
    location = np.full(count, -1, dtype=np.int32)
    location[located] = chosen

    # People tagged in photos: accounts the owner follows.
    out_ptr, out_order = csr(follows["follow_src"], n)
    followed = follows["follow_dst"][out_order]
    candidates = np.flatnonzero((rng.random(count) < config.users_in_photo_share) & (media_type != MEDIA_VIDEO))
    tagged_media = np.repeat(candidates, rng.integers(1, 4, len(candidates)))
    tagged_user, has = _pick_in_slices(rng, owner[tagged_media].astype(np.int64), out_ptr, followed)
    photo_key = sorted_unique(tagged_media[has].astype(np.int64) * n + tagged_user[has])
    photo_count = np.bincount(photo_key // n, minlength=count).astype(np.int32)
    return dict(
        media_owner=owner,
        media_time=time,
        media_type=media_type,
        media_filter=media_filter.astype(np.int8),
        media_location=location,
        media_caption=caption,
        media_carousel_size=carousel_size,
        media_tag_count=tag_count,
        tag_flat=(tag_key % config.tags).astype(np.int32),
        media_photo_user_count=photo_count,
        photo_user_flat=(photo_key % n).astype(np.int32),
        photo_x_flat=rng.integers(50, 951, len(photo_key)).astype(np.int16),
        photo_y_flat=rng.integers(50, 951, len(photo_key)).astype(np.int16),
    )


def _after(rng: np.random.Generator, times: np.ndarray, mean_delay: float, start: int) -> np.ndarray:
    """Times shortly after `times` (exponential delays), all before `start`: a delay that
    would reach `start` is redrawn uniformly in the time left."""
    later = times + 1 + rng.exponential(mean_delay, len(times)).astype(np.int64)
    late = later >= start
    left = np.maximum(start - 1 - times[late], 0)
    later[late] = times[late] + (rng.random(int(late.sum())) * left).astype(np.int64)
    return later


def _engagement(config: WorldConfig, rng: np.random.Generator, follows: dict, media: dict) -> dict:
    """Likes and comments: mostly from the owner's followers, a few per cent of them per media
    (more for small accounts), with heavy tails: some audiences engage more (per account), some
    posts do much better (per media)."""
    n = config.users
    in_ptr, in_order = csr(follows["follow_dst"], n)
    followers = follows["follow_src"][in_order]
    owner = media["media_owner"].astype(np.int64)
    follower_count = (in_ptr[owner + 1] - in_ptr[owner]).astype(np.float64)
    audience = rng.lognormal(0.0, ACCOUNT_SIGMA, n)[owner]
    appeal = rng.lognormal(0.0, MEDIA_SIGMA, len(owner))
    reached = (follower_count + 1.0) * ((follower_count + 1.0) / REFERENCE_FOLLOWERS) ** -FOLLOWER_ELASTICITY
    start = config.start

    def engaged(rate: float, from_followers: float) -> tuple[np.ndarray, np.ndarray]:
        per_media = rng.poisson(rate * reached * audience * appeal)
        target = np.repeat(np.arange(len(owner), dtype=np.int64), per_media)
        actor, has = _pick_in_slices(rng, owner[target], in_ptr, followers)
        actor = actor.astype(np.int64)
        stranger = ~has | (rng.random(len(target)) >= from_followers)
        actor[stranger] = rng.integers(0, n, int(stranger.sum()))
        return target, actor

    like_media, like_user = engaged(config.likes_per_follower, 0.85)
    keep = like_user != owner[like_media]
    like_key = sorted_unique(like_media[keep] * n + like_user[keep])
    like_media, like_user = like_key // n, like_key % n
    # Likes come soon after posting; order them by when they happened.
    like_time = _after(rng, media["media_time"][like_media], 2 * DAY, start)
    order = stable_order(like_time)

    comment_media, comment_user = engaged(config.comments_per_follower, 0.7)
    comment_time = _after(rng, media["media_time"][comment_media], DAY, start)
    comment_order = stable_order(comment_time)
    return dict(
        like_user=like_user[order].astype(np.int32),
        like_media=like_media[order].astype(np.int32),
        comment_media=comment_media[comment_order].astype(np.int32),
        comment_user=comment_user[comment_order].astype(np.int32),
        comment_time=comment_time[comment_order],
        comment_text=rng.integers(0, len(COMMENTS), len(comment_media)).astype(np.int16),
    )


def generate(config: WorldConfig) -> Snapshot:
    """Build the initial world of `config` (deterministic; no wall clock involved)."""
    # One independent stream per part, so that changing one part's size keeps the others.
    users_rng, follows_rng, places_rng, media_rng, engagement_rng = (
        np.random.default_rng([config.seed, part]) for part in range(5)
    )
    users = _users(config, users_rng)
    follows = _follows(config, follows_rng, users)
    places = _places(config, places_rng)
    media = _media(config, media_rng, users, places, follows)
    engagement = _engagement(config, engagement_rng, follows, media)
    return Snapshot(**users, **follows, **places, tag_name=tag_vocabulary(config.tags), **media, **engagement)
