"""Signed requests (`sig`, docs/api.md §7.4) and the `X-Insta-Forwarded-For` header (§7.5)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from . import errors

FORWARDED_FOR_HEADER = "X-Insta-Forwarded-For"


def _hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(endpoint: str, params: Mapping[str, str], client_secret: str) -> str:
    """The `sig` of a request: HMAC-SHA256 of `endpoint|k1=v1|k2=v2...` (keys sorted, raw values).

    `endpoint` is the request path after `/v1`, without the query string; `params` are all
    request parameters except `sig`.
    """
    parts = [endpoint] + [f"{key}={params[key]}" for key in sorted(params)]
    return _hmac_hex(client_secret, "|".join(parts))


def forwarded_for_value(ips: str, client_secret: str) -> str:
    """The `X-Insta-Forwarded-For` header value for `ips`: `IPS|HEXSIG`."""
    return f"{ips}|{_hmac_hex(client_secret, ips)}"


def check_signature(endpoint: str, params: Mapping[str, str], sigs: Iterable[str], client_secret: str) -> None:
    """Raise the real 403 unless one of the `sig` values signs `endpoint` and `params`.

    python-instagram sends two `sig` values (one over the token only, one over everything);
    the request passes if any of them matches.
    """
    sigs = list(sigs)
    if not sigs:
        raise errors.forbidden("Invalid signed-request: Missing required parameter 'sig'")
    expected = sign(endpoint, params, client_secret)
    if not any(hmac.compare_digest(expected, sig) for sig in sigs):
        raise errors.forbidden("Invalid signed-request: Signature does not match")


def check_forwarded_for(header_value: str | None, client_secret: str) -> None:
    """Raise a 403 unless the `X-Insta-Forwarded-For` header is present and correctly signed."""
    if not header_value:
        raise errors.forbidden(f"Invalid header: {FORWARDED_FOR_HEADER} is required for this operation")
    ips, _, signature = header_value.rpartition("|")
    if not ips or not hmac.compare_digest(_hmac_hex(client_secret, ips), signature):
        # The real message for a bad signature is not recorded; this one is inferred.
        raise errors.forbidden(f"Invalid header: {FORWARDED_FOR_HEADER} signature does not match")
