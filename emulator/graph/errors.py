"""The Graph API's error answers (instagram-graph/API.md §4), raised by handlers.

Body: `{"error": {"message", "type", "code", "error_subcode"?, "error_user_title"?,
"error_user_msg"?, "is_transient"?, "fbtrace_id"}}`. Messages follow the ones public
connectors recorded (tests/emulator_graph/recorded) where known; the rest are marked
"inferred" in docs/emulator.md.
"""

from __future__ import annotations

import hashlib


class GraphError(Exception):
    """An error answer: HTTP status, code, subcode, message."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: int = 400,
        subcode: int | None = None,
        error_type: str = "OAuthException",
        user_title: str | None = None,
        user_msg: str | None = None,
        transient: bool | None = None,
    ):
        super().__init__(f"{code}/{subcode}: {message}")
        self.code, self.message, self.status, self.subcode = code, message, status, subcode
        self.error_type, self.user_title, self.user_msg, self.transient = error_type, user_title, user_msg, transient

    def body(self, trace_seed: str) -> dict:
        """The JSON body; `fbtrace_id` is derived from `trace_seed` (deterministic replays)."""
        error: dict = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
            error["error_user_msg"] = self.user_msg or ""
        error["fbtrace_id"] = "A" + hashlib.blake2b(trace_seed.encode(), digest_size=12).hexdigest()[:22]
        return {"error": error}


def bad_parameter(message: str, subcode: int | None = None) -> GraphError:
    """Code 100: a missing or invalid parameter (fatal)."""
    return GraphError(100, f"(#100) {message}", subcode=subcode)


def no_such_object(node_id: str) -> GraphError:
    """Code 100 subcode 33: an id the token may not read, or that does not exist."""
    return GraphError(
        100,
        f"Unsupported get request. Object with ID '{node_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        error_type="GraphMethodException",
    )


def unknown_path(path: str) -> GraphError:
    """An edge the node does not have."""
    return GraphError(2500, f"Unknown path components: {path}")


def nonexisting_field(name: str, node_type: str) -> GraphError:
    return GraphError(100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})")


def missing_token() -> GraphError:
    return GraphError(104, "An access token is required to request this resource.")


def invalid_token() -> GraphError:
    return GraphError(190, "Invalid OAuth access token - Cannot parse access token")


def expired_token(expired_at: str, now: str) -> GraphError:
    return GraphError(
        190,
        f"Error validating access token: Session has expired on {expired_at}. The current time is {now}.",
        subcode=463,
    )


def bad_proof() -> GraphError:
    return GraphError(100, "Invalid appsecret_proof provided in the API argument", error_type="GraphMethodException")


def permission() -> GraphError:
    """Code 10: what the token may not do, in the text Airbyte recorded (tests/emulator_graph/recorded)."""
    return GraphError(10, "(#10) Application does not have permission for this action")


def insights_out_of_range() -> GraphError:
    """Code 100 subcode 2108006: account insights over more than 30 days, or older than the
    last 30, in the text Airbyte recorded (tests/emulator_graph/recorded)."""
    return GraphError(100, "Invalid parameter", subcode=2108006)


def unsupported_metric(metric: str) -> GraphError:
    """Code 100 on a media metric its type lacks, in the text of instagram-graph/API.md §2."""
    return GraphError(100, f"The metric {metric} is not supported for this media type")


def not_enough_viewers() -> GraphError:
    """Code 10 on insights of media seen by too few accounts (§2)."""
    return GraphError(10, "(#10) Not enough viewers for the media to show insights")


def hashtag_limit() -> GraphError:
    """Code 24 subcode 2207024: the 31st unique hashtag in a rolling 7 days (§2)."""
    return GraphError(
        24,
        "(#24) The requested resource does not exist",
        subcode=2207024,
        user_title="Exceeded maximum number of unique hashtags",
        user_msg="You can query a maximum of 30 unique hashtags within a 7 day period.",
    )


def business_throttled(minutes: int) -> GraphError:
    """Code 80002: the account's Business Use Case limit (§5; the code Instagram sends is
    uncertain, 80002 is the usual one)."""
    return GraphError(
        80002,
        f"(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. "
        f"(estimated time to regain access: {minutes} minutes)",
        transient=True,
    )


def app_throttled() -> GraphError:
    return GraphError(4, "(#4) Application request limit reached", transient=True)


def unknown_error() -> GraphError:
    return GraphError(1, "An unknown error has occurred.", status=500, transient=True)


def service_unavailable(status: int) -> GraphError:
    return GraphError(
        2, "An unexpected error has occurred. Please retry your request later.", status=status, transient=True
    )


def publishing_limit() -> GraphError:
    return GraphError(
        9,
        "(#9) Application request limit reached",
        subcode=2207042,
        user_title="Maximum number of posts reached",
        user_msg="The account has reached its limit of 100 API-published posts in 24 hours.",
    )
