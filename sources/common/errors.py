"""The errors of both sources' clients, by what they concern: the run, one entity, or a passing
fault.

Messages never hold a secret: every URL is sanitized before it reaches one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime


class InstagramError(Exception):
    """Base of every error raised by the client. Messages never hold a secret."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str = "",
        error_type: str = "",
        api_message: str = "",
        observed_at: datetime | None = None,
        code: int | None = None,
    ):
        """`code`: the API's numeric error code, where it has one (the Graph API's, §4)."""
        super().__init__(message)
        self.code = code
        self.endpoint = endpoint
        self.error_type = error_type
        self.api_message = api_message
        self.observed_at = observed_at  # the server's time of the answer, when there was one


class InstagramAuthError(InstagramError):
    """The token (or signature) is refused: nothing can be read, the run stops."""


class InstagramWrongApi(InstagramError):
    """The server does not speak the source's API before it gave any answer in its envelope: a
    wrong `base_url`, the run stops."""


class InstagramNotV1Error(InstagramWrongApi):
    """The server does not speak the v1 API (no v1 envelope, an HTML 404 for a known route)
    before it gave any v1 answer: a wrong `base_url`, the run stops."""


class InstagramUnavailable(InstagramError):
    """Requests keep failing after their retries with nothing succeeding in between: the
    server is down for the whole run, which stops."""


class InstagramEntityError(InstagramError):
    """A failure that concerns one entity only (recorded in `extraction_errors`, run goes on)."""


class InstagramNotFound(InstagramEntityError):
    """The object does not exist (unknown id, deleted media, unknown tag)."""


class InstagramNotAllowed(InstagramEntityError):
    """The token may not see the object (private user)."""


class InstagramPermissionError(InstagramEntityError):
    """The token lacks the scope the endpoint needs."""


class InstagramBadRequest(InstagramEntityError):
    """The API rejected a parameter (e.g. a malformed id)."""


class InstagramBadAnswer(InstagramEntityError):
    """The server answered, but the answer cannot be used as it is, and asking again would get
    the same: nested too deep to decode (`AnswerTooDeep`), a body over `MAX_ANSWER_BYTES`
    (`AnswerTooLarge`), a page far larger than the `count` sent (`PageTooLarge`), a cursor
    leading back to a page already read in the same list (`CursorLoop`). It costs the entity
    read (recorded in `extraction_errors`, not retried in this run, read again by later runs
    with backoff, as a read that outlasted its retries), never the run."""


ANSWER_TOO_DEEP, ANSWER_TOO_LARGE, PAGE_TOO_LARGE, CURSOR_LOOP = (
    "AnswerTooDeep",
    "AnswerTooLarge",
    "PageTooLarge",
    "CursorLoop",
)
INVALID_ID = "InvalidId"


class InstagramInvalidId(InstagramBadAnswer):
    """An id (from an answer) that is not of the shape the API uses for its kind (`media` ids
    `<digits>_<digits>`, ...; docs/api.md §1, "Ids in paths"), or a request path that is not
    made of safe segments: nothing is requested (the path could leave `/v1` with the token
    attached), and the entity read fails (`InvalidId`), never the run."""

    def __init__(self, message: str, *, endpoint: str = ""):
        super().__init__(message, endpoint=endpoint, error_type=INVALID_ID)


# The `extraction_errors` error type of a row that holds text the client repaired (a lone
# UTF-16 surrogate replaced with U+FFFD): entity_kind is the raw table, entity_id the row's key.
REPAIRED_TEXT = "RepairedText"


class InstagramRetriesExhausted(InstagramEntityError):
    """A passing fault (5xx, broken connection, damaged body) outlasted the request's retries.
    It concerns the entity being read: recorded, and read again in a later run."""

    def __init__(self, error: InstagramError, attempts: int):
        super().__init__(
            f"{error} (after {attempts} attempts)",
            endpoint=error.endpoint,
            error_type=error.error_type or "TransientError",
            api_message=error.api_message,
            observed_at=error.observed_at,
        )
        self.attempts = attempts


class InstagramTransientError(InstagramError):
    """A failure that may go away: 5xx, broken connection, damaged body. Retried."""


class InstagramRateLimited(InstagramTransientError):
    """HTTP 429 (or the 2012 code 420): retried with backoff, then treated as budget exhaustion."""


class BudgetExhausted(Exception):
    """The run's share of the hourly request budget is spent: stop cleanly, resume next run."""


class RunStopped(BudgetExhausted):
    """The run stops reading (a run-level failure, or SIGINT/SIGTERM): every reader ends as if
    the budget had run out, so what was read is loaded with consistent bookmarks."""


def causes_of(error: BaseException) -> Iterator[BaseException]:
    """`error` and what caused it, outermost first (dlt wraps step errors in `.exception`)."""
    cause: BaseException | None = error
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__ or getattr(cause, "exception", None)


# What DuckDB says when another process holds the file: one writer, and a writer no reader.
DUCKDB_LOCKED = "Could not set lock on file"


def duckdb_is_busy(error: BaseException) -> bool:
    """`error`, or what caused it, is DuckDB refusing a file another process holds."""
    return any(DUCKDB_LOCKED in str(cause) for cause in causes_of(error))
