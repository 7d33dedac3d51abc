"""The `fields=` parser (instagram-graph/API.md §2) on its own: nesting, modifiers, errors."""

from __future__ import annotations

import pytest

from emulator.graph.fields import Field, FieldSyntaxError, parse_fields


def test_flat_and_nested_fields() -> None:
    assert parse_fields("id,caption") == (Field("id"), Field("caption"))
    assert parse_fields("children{id,media_url}") == (Field("children", {}, (Field("id"), Field("media_url"))),)


def test_edge_modifiers_and_whitespace() -> None:
    (comments,) = parse_fields(" comments.limit(5).after(QVFI-x_) { text , id } ")
    assert comments == Field("comments", {"limit": "5", "after": "QVFI-x_"}, (Field("text"), Field("id")))


def test_business_discovery_with_nested_paging() -> None:
    (discovery,) = parse_fields(
        "business_discovery.username(some.one){followers_count,media_count,"
        "media.after(C1).limit(3){like_count,comments_count,timestamp}}"
    )
    assert discovery.modifiers == {"username": "some.one"}
    assert discovery.children is not None
    media = discovery.children[2]
    assert media.name == "media" and media.modifiers == {"after": "C1", "limit": "3"}
    assert [f.name for f in media.children or ()] == ["like_count", "comments_count", "timestamp"]


def test_repeated_fields_are_merged() -> None:
    assert parse_fields("id,id,caption") == (Field("id"), Field("caption"))


@pytest.mark.parametrize(
    ("text", "where"),
    [("a{b", 3), ("a,,b", 2), ("a.limit(3", 8), ("a}", 1), ("", 0), ("a.limit{b}", 7), ("a{}", 2)],
)
def test_syntax_errors_say_where(text: str, where: int) -> None:
    with pytest.raises(FieldSyntaxError, match=f"at character {where}: "):
        parse_fields(text)
