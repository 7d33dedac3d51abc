"""The access token (instagram-graph/API.md §6): its health, checked at the start of every run,
and the refresh of an Instagram Login token, kept between runs in `token_file`.

A long-lived token lives 60 days. An Instagram Login token can be refreshed for another 60
days once it is a day old and while it is valid; a Facebook Login user token cannot be
refreshed without the app's id and secret (a Page token derived from it never expires). The
source refreshes an Instagram Login token once fewer than `TOKEN_REFRESH_DAYS` days are left,
when the user gives it a place to keep the new token: `token_file`, a file only the pipeline's
user may read, written whole or not at all. Neither dlt's state (loaded into the warehouse) nor
a log line may hold a token, and the environment or `secrets.toml` a token came from is not the
source's to rewrite. The file also holds the SHA-256 of the configured token the kept one
descends from: configuring a new `access_token` (after a token died, or was revoked) makes the
source use it, and the file is left behind until that token is refreshed in turn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ...common.errors import InstagramAuthError, InstagramEntityError, RunStopped
from ...common.validation import InstagramConfigError
from ..settings import TOKEN_REFRESH_DAYS, TOKEN_REFRESH_MIN_AGE_HOURS, TOKEN_WARNING_DAYS
from .client import REFRESH_ENDPOINT, GraphClient

logger = logging.getLogger("sources.instagram_graph")

FACEBOOK, INSTAGRAM = "facebook", "instagram"
# Instagram Login tokens begin so (instagram-graph/API.md §6; Facebook Login ones with "EAA"): the login when no
# `debug_token` says (a host without it, graph.instagram.com)
INSTAGRAM_TOKEN_PREFIX = "IG"
NEW_TOKEN = "issue a new long-lived token (instagram-graph/API.md §6) and set sources.instagram_graph.access_token"


@dataclass(frozen=True)
class Token:
    """What is known of the token the run uses."""

    login: str  # FACEBOOK or INSTAGRAM
    page: bool  # a Page token: `/me` is the Page
    expires_at: datetime | None  # None: never, or (not `checked`) unknown
    issued_at: datetime | None = None
    checked: bool = True  # `debug_token` answered


class TokenFile:
    """Where a refreshed token is kept between runs: JSON with the token, its expiry and the
    SHA-256 of the configured token it descends from."""

    def __init__(self, path: str, configured: str):
        self.path = Path(path).expanduser()
        if not self.path.parent.is_dir():
            raise InstagramConfigError(f"token_file: the folder {self.path.parent} does not exist")
        self._configured = _sha256(configured)

    def kept(self) -> tuple[str, datetime | None] | None:
        """The token kept for the configured one and its expiry (None: none kept for it)."""
        try:
            kept: Any = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise InstagramConfigError(f"token_file {self.path} cannot be read: {type(error).__name__}") from None
        if not isinstance(kept, dict) or kept.get("refreshed_from") != self._configured or not kept.get("access_token"):
            return None
        expires = kept.get("expires_at")
        return str(kept["access_token"]), datetime.fromisoformat(expires) if expires else None

    def keep(self, access_token: str, expires_at: datetime) -> None:
        """Write the token in place of the file's, whole or not at all (readable by its owner only)."""
        record = {
            "access_token": access_token,
            "expires_at": expires_at.isoformat(),
            "refreshed_from": self._configured,
        }
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(descriptor, "w") as handle:  # mkstemp makes it mode 0600
                json.dump(record, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def check_token(client: GraphClient, token_file: TokenFile | None) -> Token:
    """The token to read with, and what it is: the one kept in `token_file` for the configured
    one, if any; refreshed when it is due (Instagram Login, `token_file` set); a token the API
    says is invalid stops the run (as a refused token, exit code 3), one expiring within
    `TOKEN_WARNING_DAYS` is warned about."""
    kept = token_file.kept() if token_file is not None else None
    if kept is not None:
        client.use_token(kept[0])
    token = _described(client, kept[1] if kept else None)
    now = client.server_now()
    if token_file is not None and _refresh_due(token, now):
        token = _refreshed(client, token, token_file)
    if token.expires_at is not None and token.checked:
        left = token.expires_at - now
        if left < timedelta(days=TOKEN_WARNING_DAYS):
            logger.warning(
                "the access token expires at %s, in %.1f days: %s",
                token.expires_at.isoformat(),
                left.total_seconds() / 86400,
                _renewal(token, token_file),
            )
    return token


def _described(client: GraphClient, kept_expiry: datetime | None) -> Token:
    """What `debug_token` says of the token; a token it calls invalid stops the run."""
    try:
        answer = client.get("/debug_token", {"input_token": client.token}, endpoint="GET /debug_token")
    except InstagramEntityError as error:  # a host without debug_token (graph.instagram.com)
        logger.info("the token's expiry cannot be checked (%s)", error)
        login = INSTAGRAM if client.token.startswith(INSTAGRAM_TOKEN_PREFIX) else FACEBOOK
        return Token(login, False, kept_expiry, checked=False)
    data: dict[str, Any] = answer.data if isinstance(answer.data, dict) else {}
    scopes = [str(scope) for scope in data.get("scopes") or []]
    login = INSTAGRAM if any(scope.startswith("instagram_business_") for scope in scopes) else FACEBOOK
    token = Token(login, data.get("type") == "PAGE", _time(data.get("expires_at")), _time(data.get("issued_at")))
    if data.get("is_valid") is False:
        client.stop(
            InstagramAuthError(f"The access token is no longer valid (expired at {token.expires_at}): {NEW_TOKEN}.")
        )
        raise RunStopped()
    return token


def _refresh_due(token: Token, now: datetime) -> bool:
    """An Instagram Login token a day old at least, with fewer than `TOKEN_REFRESH_DAYS` days
    left (or an expiry no one told)."""
    if token.login != INSTAGRAM:
        return False
    if token.issued_at is not None and now - token.issued_at < timedelta(hours=TOKEN_REFRESH_MIN_AGE_HOURS):
        return False
    if token.expires_at is None:
        return not token.checked
    return token.expires_at - now < timedelta(days=TOKEN_REFRESH_DAYS)


def _refreshed(client: GraphClient, token: Token, token_file: TokenFile) -> Token:
    """The token refreshed (§6), used from now on and kept in `token_file`; or, when the API
    refuses to refresh it, the token as it was (a WARNING: the next run tries again)."""
    try:
        answer = client.get("/refresh_access_token", {"grant_type": "ig_refresh_token"}, endpoint=REFRESH_ENDPOINT)
    except InstagramEntityError as error:
        logger.warning("the access token could not be refreshed (%s); the next run tries again", error)
        return token
    data: dict[str, Any] = answer.data if isinstance(answer.data, dict) else {}
    fresh = data.get("access_token")
    if not isinstance(fresh, str) or not fresh:
        logger.warning("the access token could not be refreshed (an answer without a token); the next run tries again")
        return token
    client.use_token(fresh)
    expires_at = answer.observed_at + timedelta(seconds=int(data.get("expires_in") or 0))
    try:
        token_file.keep(fresh, expires_at)
    except OSError as error:
        logger.error(
            "the refreshed access token could not be written to token_file %s (%s): this run uses it, and the"
            " next runs use the configured token until a refresh is kept",
            token_file.path,
            error.strerror,
        )
    else:
        logger.info("the access token was refreshed: it expires at %s, kept in %s", expires_at, token_file.path)
    return Token(token.login, token.page, expires_at, answer.observed_at)


def _renewal(token: Token, token_file: TokenFile | None) -> str:
    """What to do about a token about to expire."""
    if token.login == FACEBOOK:
        return (
            "exchange a new one (GET /oauth/access_token?grant_type=fb_exchange_token), or use a Page token,"
            " which does not expire, and set sources.instagram_graph.access_token"
        )
    if token_file is None:
        return (
            "set sources.instagram_graph.token_file and the source refreshes it itself, or refresh it"
            " (GET /refresh_access_token?grant_type=ig_refresh_token) and set sources.instagram_graph.access_token"
        )
    return f"it was not refreshed (the API refreshes long-lived tokens a day old or more; see above); {NEW_TOKEN}"


def _time(value: Any) -> datetime | None:
    """A `debug_token` time (seconds since the epoch; 0: never)."""
    seconds = int(value or 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
