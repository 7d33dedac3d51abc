"""`SecretRedactingFilter` and `install_secret_filter`: no token, secret or signature in a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from sources.common import redaction
from sources.common.redaction import REDACTION, SecretRedactingFilter, install_secret_filter

TOKEN = "1234.abcd/ef+gh=="  # characters that URL quoting changes
SECRET = "s3cr3t-client"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo what install_secret_filter does to loggers, handlers and the shared filter."""
    names = (*redaction._URL_LOGGERS, "")
    saved = {name: (list(logging.getLogger(name).filters), logging.getLogger(name).level) for name in names}
    handlers = {h: list(h.filters) for h in logging.getLogger().handlers}
    secrets = set(REDACTION._secrets)
    yield
    for name, (filters, level) in saved.items():
        logging.getLogger(name).filters[:] = filters
        logging.getLogger(name).setLevel(level)
    for handler, filters in handlers.items():
        handler.filters[:] = filters
    REDACTION._secrets.clear()
    REDACTION._secrets.update(secrets)


@pytest.mark.parametrize(
    "text",
    [
        "GET /v1/users/self?access_token=abc123",
        "GET /v1/users/self?ACCESS_TOKEN=abc123&count=5",
        "GET /v1/users/self?count=5&Access_Token=abc123&max_id=9",
        "GET /v1/media/1?sig=abc123",
        "GET /v1/media/1?count=2&SIG=abc123",
        "POST /oauth/access_token client_secret=abc123&grant_type=x",
        "https://api.example/v1/tags/x?Client_Secret=abc123 200 512",
        "url='/v1/users/1?access_token=abc123': Retry(total=5)",
        '"GET /v1/users/1?max_id=3&access_token=abc123 HTTP/1.1" 200 1024',
    ],
)
def test_secret_query_parameters_are_masked_in_any_case_and_position(text: str) -> None:
    redacted = SecretRedactingFilter().redact(text)
    assert "abc123" not in redacted
    assert "=***" in redacted


def test_masking_keeps_the_rest_of_the_line() -> None:
    redacted = SecretRedactingFilter().redact("GET /v1/users/1?count=5&access_token=abc123&sig=ff00 HTTP/1.1")
    assert redacted == "GET /v1/users/1?count=5&access_token=***&sig=*** HTTP/1.1"


def test_other_parameters_are_left_alone() -> None:
    text = "GET /v1/users/1/media/recent?max_id=12_3&count=20&signature_free=yes"
    assert SecretRedactingFilter().redact(text) == text


def test_literal_secrets_are_masked_plain_and_url_quoted() -> None:
    masking = SecretRedactingFilter()
    masking.add(TOKEN, SECRET, None, "")
    assert masking._secrets == {TOKEN, SECRET}
    text = f"token {TOKEN} in a message, quoted {quote(TOKEN, safe='')} in a URL, and {SECRET}"
    redacted = masking.redact(text)
    assert TOKEN not in redacted and quote(TOKEN, safe="") not in redacted and SECRET not in redacted
    assert redacted == "token *** in a message, quoted *** in a URL, and ***"


def test_record_args_are_formatted_then_masked() -> None:
    masking = SecretRedactingFilter()
    masking.add(TOKEN)
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, '%s://%s:%s "%s %s" %s', ("http", "h", 80, "GET", f"/a?b={TOKEN}", 200), None
    )
    assert masking.filter(record) is True
    assert record.args is None
    assert record.getMessage() == 'http://h:80 "GET /a?b=***" 200'


def test_a_record_without_secrets_is_left_untouched() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d pages of %s", (3, "tag:x"), None)
    assert SecretRedactingFilter().filter(record) is True
    assert (record.msg, record.args) == ("%d pages of %s", (3, "tag:x"))


def test_install_puts_one_filter_on_url_loggers_and_root_handlers(restore_logging: None) -> None:
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_secret_filter(TOKEN, SECRET)
        install_secret_filter(TOKEN)  # twice: still one filter each
        for name in ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests"):
            assert logging.getLogger(name).filters.count(REDACTION) == 1, name
        assert handler.filters.count(REDACTION) == 1
        assert {TOKEN, SECRET} <= REDACTION._secrets
    finally:
        root.removeHandler(handler)


def test_a_debug_urllib3_line_with_the_token_is_masked(restore_logging: None) -> None:
    install_secret_filter(TOKEN)
    logger = logging.getLogger("urllib3.connectionpool")
    handler = Capture()
    logger.addHandler(handler)  # a handler installed later, on the logger itself
    logger.setLevel(logging.DEBUG)
    try:
        # urllib3's own line (connectionpool._make_request)
        logger.debug(
            '%s://%s:%s "%s %s %s" %s %s',
            "http",
            "127.0.0.1",
            8000,
            "GET",
            f"/v1/users/self?access_token={quote(TOKEN, safe='')}&count=5",
            "HTTP/1.1",
            200,
            734,
        )
    finally:
        logger.removeHandler(handler)
    assert handler.lines == ['http://127.0.0.1:8000 "GET /v1/users/self?access_token=***&count=5 HTTP/1.1" 200 734']


def test_a_record_of_any_logger_reaching_a_root_handler_is_masked(restore_logging: None) -> None:
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_secret_filter(SECRET)
        logging.getLogger("some.library").warning("signed with %s", SECRET)
    finally:
        root.removeHandler(handler)
    assert handler.lines == ["signed with ***"]


def later_handler_sees(logger_name: str, *args: object) -> list[str]:
    """Lines a root handler added after `install_secret_filter` gets from `logger_name`."""
    install_secret_filter(TOKEN)
    handler = Capture()
    root = logging.getLogger()
    # alone on the root logger: pytest's own handlers got the filter, and it masks records in place
    saved, root.handlers = root.handlers, [handler]
    try:
        logging.getLogger(logger_name).warning(*args)
    finally:
        root.handlers = saved
    return handler.lines


URL = f"http://127.0.0.1:8000/v1/users/self?access_token={quote(TOKEN, safe='')}"


@pytest.mark.parametrize("name", redaction._URL_LOGGERS)
def test_url_loggers_mask_also_for_handlers_configured_later(restore_logging: None, name: str) -> None:
    assert later_handler_sees(name, "Incremented Retry for (url='%s'): %r", URL, "Retry(total=5)") == [
        "Incremented Retry for (url='http://127.0.0.1:8000/v1/users/self?access_token=***'): 'Retry(total=5)'"
    ]


def test_urllib3_connection_warning_with_the_url_is_masked(restore_logging: None) -> None:
    # urllib3 2.x's own line (connection.HTTPConnection.getresponse)
    lines = later_handler_sees(
        "urllib3.connection", "Failed to parse headers (url=%s): %s", URL, "[MissingHeaderBodySeparatorDefect()]"
    )
    assert lines and not any(quote(TOKEN, safe="") in line for line in lines)


def test_a_malformed_log_call_does_not_raise_through_the_filter(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_secret_filter(TOKEN)
    monkeypatch.setattr(logging, "raiseExceptions", False)  # logging's own error report stays quiet
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # pytest's handlers fail a test on a bad record
    monkeypatch.setattr(logging, "lastResort", Capture())
    logging.getLogger("urllib3.connectionpool").warning("%s of %s", "only one argument")
