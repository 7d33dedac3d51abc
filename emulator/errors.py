"""The v1 API's error answers (docs/api.md §6), raised by handlers and rendered by the server.

Messages are the ones the real API sent where they are known; the others are marked
"inferred" and listed in docs/emulator.md.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answer: HTTP status, `error_type`, `error_message`.

    `top_level=True` renders `{"code", "error_type", "error_message"}` without the `meta`
    envelope, as the real API did for 403 signature errors and some 429s.
    """

    def __init__(self, status: int, error_type: str, message: str, *, top_level: bool = False):
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message
        self.top_level = top_level

    def body(self) -> dict:
        """The JSON body of this error."""
        fields = {"code": self.status, "error_type": self.error_type, "error_message": self.message}
        return fields if self.top_level else {"meta": fields}


RATE_LIMIT_MESSAGE = "The maximum number of requests per hour has been exceeded."


def missing_token() -> ApiError:
    """No access_token (nor, in the legacy era, a client_id) on a call that needs one."""
    return ApiError(400, "OAuthParameterException", "Missing access_token URL parameter.")


def invalid_token() -> ApiError:
    """A token the world did not issue."""
    return ApiError(400, "OAuthAccessTokenException", "The access_token provided is invalid.")


def missing_scope(scope: str) -> ApiError:
    """The token lacks `scope`."""
    return ApiError(
        400,
        "OAuthPermissionsException",
        f"This request requires scope={scope}, but this access token is not authorized with "
        f"this scope. The user must re-authorize your application with scope={scope} to be "
        "granted this permissions.",
    )


def not_found(message: str) -> ApiError:
    """`APINotFoundError`, HTTP 400 (as captured for `invalid media id`)."""
    return ApiError(400, "APINotFoundError", message)


def not_allowed() -> ApiError:
    """Private content the viewer may not see."""
    return ApiError(400, "APINotAllowedError", "you cannot view this resource")


def client_id_write(method: str, family: str) -> ApiError:
    """A write (`family`: likes, comments, relationships) with a `client_id` and no user
    token, legacy era. The text was captured for POST likes; the others follow it."""
    return ApiError(
        400,
        "APIError",
        f"This client ID is not permitted to {method} {family}. For more info, please refer to "
        f"our developer site at http://instagram.com/developer/endpoints/{family}.",
    )


def invalid_parameters(message: str) -> ApiError:
    """A missing or bad request parameter."""
    return ApiError(400, "APIInvalidParametersError", message)


def rate_limited(*, top_level: bool = False, made: int = 0, limit: int = 0) -> ApiError:
    """429 `OAuthRateLimitException`; the top-level variant is the 2017 sandbox body."""
    if top_level:
        message = (
            "You have exceeded the maximum number of requests per hour. You have performed a "
            f"total of {made} requests in the last hour. Our general maximum limit is set at "
            f"{limit} requests per hour."
        )
        return ApiError(429, "OAuthRateLimitException", message, top_level=True)
    return ApiError(429, "OAuthRateLimitException", RATE_LIMIT_MESSAGE)


def write_rate_limited(made: int, limit: int) -> ApiError:
    """The per-endpoint (likes, comments, relationship) write limit."""
    return ApiError(
        429,
        "OAuthRateLimitException",
        f"{RATE_LIMIT_MESSAGE} You have made {made} requests of the {limit} allowed in the last hour.",
    )


def legacy_throttled() -> ApiError:
    """Before mid-2014 a throttled client got HTTP 503 (the body is inferred)."""
    return ApiError(503, "OAuthRateLimitException", RATE_LIMIT_MESSAGE)


def forbidden(message: str) -> ApiError:
    """403 `OAuthForbiddenException`, top-level body (signature and header enforcement)."""
    return ApiError(403, "OAuthForbiddenException", message, top_level=True)
