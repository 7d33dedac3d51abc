"""Secret redaction: both APIs carry the token (v1 also `sig`, the Graph API `appsecret_proof`) in query strings, so every logger that can
print a URL is filtered, and messages are built from sanitized text only. The same filter keeps
log lines short: a value from a server or a configuration (a 70,000-character tag) is cut to
`MAX_LOG_VALUE_CHARS`, a message to `MAX_LOG_MESSAGE_CHARS`, each followed by how long it was."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from .settings import MAX_LOG_MESSAGE_CHARS, MAX_LOG_VALUE_CHARS

_SECRET_PARAMS = re.compile(
    r"((?:access_token|client_secret|sig|appsecret_proof|input_token|fb_exchange_token)=)[^&\s\"']+", re.IGNORECASE
)


def shorten(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters followed by `… [N characters]` (N: its length)."""
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text)} characters]"


class SecretRedactingFilter(logging.Filter):
    """Masks secrets in log records (urllib3 logs full URLs, query string included, at DEBUG),
    and cuts long values and messages (secrets are masked first, so a cut never leaves part of
    one)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        """Also mask these literal values."""
        self._secrets.update(s for s in secrets if s)

    def redact(self, text: str) -> str:
        """`text` with secret query parameters and known secret values masked."""
        text = _SECRET_PARAMS.sub(r"\1***", text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
            text = text.replace(quote(secret, safe=""), "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed log call: logging itself reports it when it formats the record
        redacted = self.redact(message)
        if len(redacted) > MAX_LOG_VALUE_CHARS and isinstance(record.args, tuple) and record.args:
            redacted = self._with_short_values(record, redacted)
        redacted = shorten(redacted, MAX_LOG_MESSAGE_CHARS)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True

    def _with_short_values(self, record: logging.LogRecord, message: str) -> str:
        """The record's message with each long interpolated value masked, then cut."""
        args = tuple(self._short_value(arg) for arg in record.args)  # type: ignore[union-attr]
        try:
            return self.redact(str(record.msg) % args)
        except (TypeError, ValueError):
            return message

    def _short_value(self, value: Any) -> Any:
        if isinstance(value, int | float):
            return value  # `%d` needs a number, and a number is short
        text = str(value)
        return shorten(self.redact(text), MAX_LOG_VALUE_CHARS) if len(text) > MAX_LOG_VALUE_CHARS else value


REDACTION = SecretRedactingFilter()
# Loggers that may print request URLs. Logger filters only see records created on that very
# logger, so each one is listed.
_URL_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3", "requests")


def install_secret_filter(*secrets: str | None) -> None:
    """Mask `secrets` (and any access_token/sig parameter) in the loggers that print URLs and
    in the root logger's handlers (configure logging first)."""
    REDACTION.add(*secrets)
    for name in _URL_LOGGERS:
        log = logging.getLogger(name)
        if REDACTION not in log.filters:
            log.addFilter(REDACTION)
    # handler filters see every record that reaches them, whichever logger created it
    for handler in logging.getLogger().handlers:
        if REDACTION not in handler.filters:
            handler.addFilter(REDACTION)
