"""Constants both sources share: what a request may cost and wait, what one answer may cost,
and how long a log line may get."""

from __future__ import annotations

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_REQUEST_ATTEMPTS = 6
DEFAULT_RETRY_BACKOFF_SECONDS = 0.5
DEFAULT_BUDGET_SHARE = 0.8
DEFAULT_WORKERS = 8
DEFAULT_FAILURE_MAX_RUNS = 5

# What one answer may cost, whatever the server sends (docs/architecture.md, "Hostile answers"):
# a longer body is refused unread (error type AnswerTooLarge) ...
MAX_ANSWER_BYTES = 16 * 1024 * 1024
# ... a list answer with more than this many times the page size asked for (PageTooLarge) ...
PAGE_SIZE_TOLERANCE = 4
# ... or, when no page size was asked for, more items than this (PageTooLarge).
MAX_ITEMS_PER_ANSWER = 100_000
# Repaired strings (lone surrogates replaced) a run remembers, to flag the rows holding them.
MAX_REMEMBERED_REPAIRS = 100_000

# Log lines (redaction.SecretRedactingFilter): a longer interpolated value is cut to this many
# characters, then "… [N characters]" ...
MAX_LOG_VALUE_CHARS = 2000
# ... and a longer message the same way.
MAX_LOG_MESSAGE_CHARS = 8000
