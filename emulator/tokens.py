"""The world's v1 access tokens: deterministic, signed with a secret derived from the seed, so
that a token names its user and scopes without being stored."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from .store import index_of

ALL_SCOPES = ("basic", "public_content", "follower_list", "comments", "relationships", "likes")


class Tokens:
    """Makes and reads the tokens of one world's users."""

    def __init__(self, seed: int, user_index: Mapping[str, int]):
        self._secret = hashlib.sha256(f"instagram-emulator:{seed}".encode()).digest()
        self._user_index = user_index

    def _digest(self, uid: str, scope_mask: int) -> str:
        return hmac.new(self._secret, f"{uid}:{scope_mask}".encode(), hashlib.sha256).hexdigest()

    def token_for(self, uid: str, scopes: Iterable[str] = ALL_SCOPES) -> str:
        """A deterministic access token "{uid}.{7 hex}.{32 hex}" for `uid` with `scopes`."""
        index_of(self._user_index, uid, "user id")  # KeyError for an unknown user
        scopes = set(scopes)
        unknown = scopes - set(ALL_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; known: {ALL_SCOPES}")
        mask = sum(1 << k for k, scope in enumerate(ALL_SCOPES) if scope in scopes)
        digest = self._digest(uid, mask)
        return f"{uid}.{mask:02x}{digest[:5]}.{digest[32:64]}"

    def user_for_token(self, token: str) -> tuple[str, tuple[str, ...]] | None:
        """(user id, scopes) of a token made by `token_for`, or None."""
        parts = str(token).split(".")
        if len(parts) != 3 or parts[0] not in self._user_index or len(parts[1]) != 7:
            return None
        try:
            mask = int(parts[1][:2], 16)
        except ValueError:
            return None
        if mask >= 1 << len(ALL_SCOPES):
            return None
        digest = self._digest(parts[0], mask)
        if not hmac.compare_digest(f"{parts[1][2:]}.{parts[2]}", f"{digest[:5]}.{digest[32:64]}"):
            return None
        return parts[0], tuple(scope for k, scope in enumerate(ALL_SCOPES) if mask >> k & 1)
