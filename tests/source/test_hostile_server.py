"""A hostile v1 server costs the entities it lies about, never the run (issue 21, items 1, 3, 5
and 9): the real source and dlt pipeline, against `tests.hostile_server` on loopback, into DuckDB.

Each test serves one hostile answer for one entity and ordinary answers for another, and checks
that the other entity loaded, and that the hostile one is in `extraction_errors`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.common import http_client as client_module
from sources.common.redaction import REDACTION, install_secret_filter
from sources.common.settings import MAX_ANSWER_BYTES, MAX_LOG_MESSAGE_CHARS, MAX_LOG_VALUE_CHARS, PAGE_SIZE_TOLERANCE
from tests.hostile_server import HostileServer, media, user

from .conftest import Loader

USER_MEDIA = dict(resources=["user_media"], engagement_from=[], user_ids=["1", "2"])


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def _ordinary_user_2(server: HostileServer) -> None:
    """User 2's media list: two pages of ordinary media."""
    server.page("/users/2/media/recent", [media("21_2", "2", caption="first")], next_cursor="21_2")
    server.page("/users/2/media/recent", [media("20_2", "2", caption="second")], cursor="21_2")


def _errors(loader: Loader) -> set[tuple]:
    return set(loader.rows("SELECT entity_kind, entity_id, error_type FROM extraction_errors"))


# -- 1. one bad string costs one entity at most ------------------------------------------------

# Text that must come back exactly as the server sent it: NUL, an emoji sent raw and as an
# escaped pair, right-to-left overrides, byte order marks, and a U+FFFD the server itself sent.
EXACT = "nul \x00 emoji 😀 \U0001f600 rtl \u202eabc\u202c bom \ufeffx replacement \ufffd"


def test_a_lone_surrogate_is_repaired_flagged_and_the_rest_round_trips(
    tmp_path: Path, server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A caption cut inside an emoji (valid JSON: a lone high surrogate), a lone low surrogate
    in the name of a user in the photo and in a cursor: each string gets U+FFFD instead, the
    rows load, and each row holding one has an `extraction_errors` row of type RepairedText
    naming its columns. Before, the extract failed (`'utf-8' codec can't encode character`)."""
    cut = media("11_1", "1", caption="sunset \ud83d")
    cut["users_in_photo"] = [{"user": {**user("4"), "full_name": "Zo\udc00e"}, "position": {"x": 0.5, "y": 0.5}}]
    server.page("/users/1/media/recent", [cut], next_cursor="p\ude00")  # a cursor cut as well
    server.page("/users/1/media/recent", [media("10_1", "1", caption=EXACT)], cursor="p\ufffd")
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    with caplog.at_level(logging.WARNING, logger="sources.instagram"):
        loader.run(server, **USER_MEDIA)

    captions = dict(loader.rows("SELECT id, caption_text FROM media"))
    assert captions == {"11_1": "sunset \ufffd", "10_1": EXACT, "21_2": "first", "20_2": "second"}
    assert loader.column("SELECT full_name FROM users WHERE id = '4'") == ["Zo\ufffde"]
    flagged = loader.rows(
        "SELECT entity_kind, entity_id, endpoint, message FROM extraction_errors WHERE error_type = 'RepairedText'"
        " ORDER BY entity_kind"
    )
    assert [row[:3] for row in flagged] == [
        ("media", "11_1", "GET /users/{id}/media/recent"),
        ("users", "4", "GET /users/{id}/media/recent"),
    ]
    assert "media.caption_text" in flagged[0][3] and "users.full_name" in flagged[1][3]
    assert _errors(loader) == {("media", "11_1", "RepairedText"), ("users", "4", "RepairedText")}
    warnings = [r.getMessage() for r in caplog.records if "surrogates replaced" in r.getMessage()]
    assert any("data[0].caption.text (id 11_1)" in w for w in warnings), warnings
    assert server.served("/users/1/media/recent") == 2  # the repaired cursor was followed
    assert not loader.last_run()["work_remaining"]

    loader.run(server, **USER_MEDIA)  # and the next run is as happy
    assert dict(loader.rows("SELECT id, caption_text FROM media")) == captions


def test_an_answer_nested_too_deep_costs_its_entity(tmp_path: Path, server: HostileServer) -> None:
    """100,000 levels of nesting (RecursionError in the JSON decoder) fail the entity read:
    a media list, and a single media."""
    deep = b'{"meta": {"code": 200}, "data": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    server.raw("/users/1/media/recent", deep)
    server.raw("/media/30_3", deep.replace(b'"data": [', b'"data": {"id": ', 1)[:-2] + b"}}")
    server.answer("/media/31_3", media("31_3", "3", caption="a single media"))
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    loader.run(server, **{**USER_MEDIA, "resources": ["user_media", "media_details"]}, media_ids=["30_3", "31_3"])

    assert sorted(loader.column("SELECT id FROM media")) == ["20_2", "21_2", "31_3"]
    assert {("list", "user:1", "AnswerTooDeep"), ("media", "30_3", "AnswerTooDeep")} <= _errors(loader)
    assert server.served("/users/1/media/recent") == server.served("/media/30_3") == 1  # not retried


# -- 3. pagination that loops ------------------------------------------------------------------


def test_a_media_list_whose_cursor_loops_is_stopped_and_recorded(tmp_path: Path) -> None:
    """Page 3 points back to page 2: the list stops there (its pages read are loaded) instead
    of spending the budget (here 400 requests, 320 for the run), and later runs read it again
    with backoff in runs (the next run, then every second, ...) until they give up, as for a
    read that outlasted its retries. Before, every run read it again."""
    with HostileServer(rate_limit=400) as server:
        server.page("/users/1/media/recent", [media("13_1", "1")], next_cursor="13_1")
        server.page("/users/1/media/recent", [media("12_1", "1")], cursor="13_1", next_cursor="12_1")
        server.page("/users/1/media/recent", [media("11_1", "1")], cursor="12_1", next_cursor="13_1")
        _ordinary_user_2(server)
        loader = Loader(tmp_path)
        loader.run(server, **USER_MEDIA, failure_max_runs=3)
        assert server.served("/users/1/media/recent") == 3
        assert sorted(loader.column("SELECT id FROM media")) == ["11_1", "12_1", "13_1", "20_2", "21_2"]
        assert ("list", "user:1", "CursorLoop") in _errors(loader)
        assert loader.last_run()["work_remaining"]  # the list is read again by a later run
        assert not loader.last_run()["budget_exhausted"]

        served = []
        for _ in range(5):
            loader.run(server, **USER_MEDIA, failure_max_runs=3)
            served.append(server.served("/users/1/media/recent"))
        # run 2 reads it again, from its bookmark (page 2), and it loops again after 2 pages;
        # run 3 waits; run 4 reads it and gives up (3 failed runs); runs 5 and 6 wait (a
        # given-up entity is only checked again after ever longer gaps)
        assert served == [5, 5, 7, 7, 7]
        assert loader.rows("SELECT failed_runs, gave_up FROM extraction_errors WHERE error_type = 'CursorLoop'") == [
            (3, True)
        ]
        assert not loader.last_run()["work_remaining"]


def test_a_follow_list_whose_cursor_loops_is_recorded_and_not_loaded(tmp_path: Path, server: HostileServer) -> None:
    """A follow list that loops over three pages is never loaded (it was never read
    completely). Like a read that outlasted its retries, it keeps its user pending (the user's
    lists are loaded together) and is read again by the next run; once given up, the user's
    other list is loaded."""
    server.answer("/users/1", {**user("1"), "bio": "", "website": "", "counts": {"follows": 3, "followed_by": 1}})
    server.page("/users/1/follows", [user("5")], next_cursor="a", key="next_cursor")
    server.page("/users/1/follows", [user("6")], cursor="a", next_cursor="b", key="next_cursor")
    server.page("/users/1/follows", [user("7")], cursor="b", next_cursor="c", key="next_cursor")
    server.page("/users/1/follows", [user("8")], cursor="c", next_cursor="a", key="next_cursor")
    server.page("/users/1/followed-by", [user("9")], key="next_cursor")
    loader = Loader(tmp_path)
    settings = dict(resources=["follow_graph"], user_ids=["1"], crawl_depth=0, failure_max_runs=2)
    loader.run(server, **settings)
    assert server.served("/users/1/follows") == 4
    assert ("list", "follows:1", "CursorLoop") in _errors(loader)
    assert "follow_edges" not in loader.tables()
    assert loader.last_run()["work_remaining"]

    loader.run(server, **settings)  # from its bookmark (page 2) it loops again, and is given up
    assert server.served("/users/1/follows") == 7
    edges = loader.rows("SELECT list_key, follower_id, followed_id FROM follow_edges")
    assert edges == [("followed_by:1", "9", "1")]


# -- 4. ids from answers in request paths ------------------------------------------------------

# A media id that tried to leave /v1 (the request became `/users/self/1';%20DROP…/comments`,
# with the token), and one that tried to append a query and a segment of its own.
HOSTILE_IDS = ("../../users/self/1'; DROP TABLE media; --", "12_1/likes?count=1")


def test_a_hostile_media_id_from_an_answer_is_an_entity_error_and_never_requested(
    tmp_path: Path, server: HostileServer
) -> None:
    """A list page holds media whose ids are not `<digits>_<digits>`: their likes and comments
    are not requested (no request leaves `/v1/`, none names `self`), each read is an
    `InvalidId` row in `extraction_errors`, and the rest of the page, its likes, and the other
    user's list load. Before, the client requested `/users/self/1';%20DROP…/likes` outside
    `/v1`."""
    hostile = [{**media(media_id, "1"), "likes": {"count": 2}, "comments": {"count": 1}} for media_id in HOSTILE_IDS]
    ordinary = {**media("11_1", "1", caption="fine"), "likes": {"count": 1}}
    server.page("/users/1/media/recent", [*hostile, ordinary])
    server.answer("/media/11_1/likes", [user("5")])
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    loader.run(server, **{**USER_MEDIA, "engagement_from": ["user_media"]})

    assert server.raw_paths and all(path.startswith("/v1/") for path in server.raw_paths), server.raw_paths
    assert not any("self" in path or "DROP" in path or "%2F" in path for path in server.raw_paths), server.raw_paths
    invalid = {row for row in _errors(loader) if row[2] == "InvalidId"}
    assert invalid == {(kind, media_id, "InvalidId") for media_id in HOSTILE_IDS for kind in ("likes", "comments")}
    assert {"11_1", "20_2", "21_2"} <= set(loader.column("SELECT id FROM media"))
    assert loader.rows("SELECT media_id, user_id FROM likes") == [("11_1", "5")]
    assert server.served("/media/11_1/likes") == 1


def test_a_hostile_user_id_in_a_follow_list_is_never_requested(tmp_path: Path, server: HostileServer) -> None:
    """The crawl meets a user whose id is a path: its profile is not requested (an `InvalidId`
    row), the list holding it and the other user found load. Before, the crawl requested
    `/users/self` outside `/v1`."""
    hostile = "../../users/self"
    server.answer("/users/1", {**user("1"), "bio": "", "website": "", "counts": {"follows": 2, "followed_by": 0}})
    server.page("/users/1/follows", [user("5"), user(hostile)], key="next_cursor")
    server.page("/users/1/followed-by", [], key="next_cursor")
    server.answer("/users/5", {**user("5"), "bio": "", "website": "", "counts": {"follows": 0, "followed_by": 1}})
    loader = Loader(tmp_path)
    loader.run(server, resources=["follow_graph"], user_ids=["1"], crawl_depth=1)

    assert server.raw_paths and all(path.startswith("/v1/") for path in server.raw_paths), server.raw_paths
    assert ("user", hostile, "InvalidId") in _errors(loader)
    assert server.served("/users/5") == 1
    assert sorted(loader.rows("SELECT follower_id, followed_id FROM follow_edges")) == [("1", hostile), ("1", "5")]


# -- 5. no bound on a page ---------------------------------------------------------------------


def test_a_page_far_larger_than_the_count_is_refused(
    tmp_path: Path, server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A first page of 9,900 media where 33 were asked for is refused, with a WARNING; the
    list is recorded as failed and nothing of it is loaded."""
    server.page("/users/1/media/recent", [media(f"{n}_1", "1") for n in range(9_900, 0, -1)])
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    with caplog.at_level(logging.WARNING, logger="sources.instagram"):
        loader.run(server, **USER_MEDIA, media_page_size=33)

    assert sorted(loader.column("SELECT id FROM media")) == ["20_2", "21_2"]
    assert ("list", "user:1", "PageTooLarge") in _errors(loader)
    refused = [r for r in caplog.records if r.levelno == logging.WARNING and "9900 items" in r.getMessage()]
    assert refused and f"{PAGE_SIZE_TOLERANCE * 33} allowed" in refused[0].getMessage()


def test_an_answer_that_never_ends_is_refused_after_the_byte_limit(tmp_path: Path, server: HostileServer) -> None:
    """A body without end (no Content-Length, items for ever): the client stops reading at
    MAX_ANSWER_BYTES, so memory stays bounded whatever the server sends."""
    server.endless("/users/1/media/recent")
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    loader.run(server, **USER_MEDIA)

    assert sorted(loader.column("SELECT id FROM media")) == ["20_2", "21_2"]
    assert ("list", "user:1", "AnswerTooLarge") in _errors(loader)
    assert server.endless_bytes_sent < 4 * MAX_ANSWER_BYTES  # it hung up (the socket buffers hold a little)


def test_a_long_answer_with_a_content_length_is_refused_unread(
    tmp_path: Path, server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 4096, raising=False)
    server.page("/users/1/media/recent", [media(f"{n}_1", "1", caption="x" * 100) for n in range(40, 0, -1)])
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    loader.run(server, **USER_MEDIA, media_page_size=10)
    assert ("list", "user:1", "AnswerTooLarge") in _errors(loader)
    assert sorted(loader.column("SELECT id FROM media")) == ["20_2", "21_2"]


# -- 9. log lines ------------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the CLI's handler writes (root logger at INFO, the secret filter installed)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # setLevel, not the attribute: loggers cache what is enabled
    root.addHandler(handler)
    install_secret_filter()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_70000_character_tag_is_cut_in_log_lines(tmp_path: Path, server: HostileServer, log_lines) -> None:
    """The tag (in the entity and in the error's path) is cut to MAX_LOG_VALUE_CHARS in the log
    line that skips it, which said its length; before, that INFO line was 140 KB."""
    tag = "t" * 70_000
    _ordinary_user_2(server)
    loader = Loader(tmp_path)
    loader.run(server, resources=["tag_media", "user_media"], engagement_from=[], tags=[tag], user_ids=["2"])

    assert ("tag", tag, "HTTP414") in _errors(loader)  # the server refused the request line
    assert sorted(loader.column("SELECT id FROM media")) == ["20_2", "21_2"]
    lines = log_lines.getvalue().splitlines()
    about_the_tag = [line for line in lines if "ttttt" in line]
    assert about_the_tag, [line[:300] for line in lines]
    assert max(map(len, lines)) < MAX_LOG_MESSAGE_CHARS + 200
    assert max(map(len, about_the_tag)) < 2 * MAX_LOG_VALUE_CHARS + 300
    assert all("… [70000 characters]" in line for line in about_the_tag), about_the_tag


def test_values_are_masked_before_they_are_cut() -> None:
    """A secret straddling the cut is masked first: no part of it is left."""
    token = "tok.5c8e2a.0f9b3d7e1a6c4b8d2e0f7a9c3b5d1e6f"
    REDACTION.add(token)
    record = logging.LogRecord(
        "sources.instagram",
        logging.INFO,
        __file__,
        1,
        "asked %s (%d)",
        ("x" * (MAX_LOG_VALUE_CHARS - 10) + token + "y" * 90_000, 7),
        None,
    )
    assert REDACTION.filter(record)
    message = record.getMessage()
    assert token[:8] not in message and "***" in message
    assert message.endswith(f"… [{MAX_LOG_VALUE_CHARS - 10 + 3 + 90_000} characters] (7)")
    short = logging.LogRecord("x", logging.INFO, __file__, 1, "short %s %d", ("value", 3), None)
    assert REDACTION.filter(short) and short.getMessage() == "short value 3" and short.args == ("value", 3)
