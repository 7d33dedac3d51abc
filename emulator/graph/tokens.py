"""Graph API access tokens (instagram-graph/API.md §6), on the world's clock.

A token is `{prefix}{kind}{user index}Z{issued at}Z{mac}`: what it is, whose it is and when it
was issued, signed with the world's secret, so that the emulator keeps no token table and a
token survives a restart of the same world. Its expiry follows from its kind and issue time:

| kind | made by | lives |
| --- | --- | --- |
| `fs` Facebook Login user token, short | `/_emulator/token?kind=fb_short` | 1 h |
| `fl` Facebook Login user token, long | `/oauth/access_token?grant_type=fb_exchange_token` | 60 days |
| `pg` Page token (from a long user token) | `/me/accounts?fields=access_token` | never |
| `is` Instagram Login token, short | `/_emulator/token?kind=ig_short` | 1 h |
| `il` Instagram Login token, long | `/access_token?grant_type=ig_exchange_token`, `/refresh_access_token` | 60 days |

A long Instagram token may be refreshed once it is 24 h old and before it expires (§6).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

HOUR = 3600
DAY = 86400
LIFETIMES = {"fs": HOUR, "fl": 60 * DAY, "pg": 0, "is": HOUR, "il": 60 * DAY}  # 0: never expires
KIND_NAMES = {"fb_short": "fs", "fb_long": "fl", "page": "pg", "ig_short": "is", "ig_long": "il"}
REFRESH_AFTER = DAY
TOKEN = re.compile(r"(EAAG|IGAA)(fs|fl|pg|is|il)([0-9]+)Z([0-9]+)Z([0-9a-f]{40})")
FB_SCOPES = (
    "instagram_basic",
    "instagram_manage_insights",
    "instagram_manage_comments",
    "instagram_content_publish",
    "pages_read_engagement",
    "pages_show_list",
)
IG_SCOPES = (
    "instagram_business_basic",
    "instagram_business_manage_insights",
    "instagram_business_manage_comments",
    "instagram_business_content_publish",
)


@dataclass(frozen=True)
class Token:
    """A decoded token."""

    kind: str  # a key of LIFETIMES
    user: int  # the world's user index (the owner of the Page / the IG account)
    issued_at: int  # world clock

    @property
    def expires_at(self) -> int:
        """World time of expiry; 0 for a token that never expires."""
        lifetime = LIFETIMES[self.kind]
        return self.issued_at + lifetime if lifetime else 0

    @property
    def instagram_login(self) -> bool:
        return self.kind in ("is", "il")

    @property
    def scopes(self) -> tuple[str, ...]:
        return IG_SCOPES if self.instagram_login else FB_SCOPES

    def expired(self, now: int) -> bool:
        return self.expires_at != 0 and now >= self.expires_at


class TokenMinter:
    """Makes and reads tokens with one world's secret."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def _mac(self, body: str) -> str:
        return hmac.new(self._secret, f"graph:{body}".encode(), hashlib.sha1).hexdigest()

    def make(self, kind: str, user: int, issued_at: int) -> str:
        prefix = "IGAA" if kind in ("is", "il") else "EAAG"
        body = f"{prefix}{kind}{user}Z{issued_at}"
        return f"{body}Z{self._mac(body)}"

    def read(self, text: str) -> Token | None:
        """The token `text` stands for, or None if this world did not make it."""
        match = TOKEN.fullmatch(text)
        if match is None:
            return None
        prefix, kind, user, issued, mac = match.groups()
        if not hmac.compare_digest(mac, self._mac(f"{prefix}{kind}{user}Z{issued}")):
            return None
        return Token(kind, int(user), int(issued))


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token with the app secret, hex (what clients send)."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
