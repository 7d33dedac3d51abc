"""The `fields=` expression of the Graph API (instagram-graph/API.md §2), parsed once.

    fields   := field ("," field)*
    field    := NAME ("." NAME "(" ARG ")")* ("{" fields "}")?

`media.after(C).limit(5){id,caption}` is the field `media` with the modifiers
{"after": "C", "limit": "5"} and the sub-selection `id,caption`. Names are letters, digits and
underscores; an argument is anything up to its closing parenthesis (usernames, cursors).
Whitespace between tokens is ignored, as the real API does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME = re.compile(r"[A-Za-z0-9_]+")


class FieldSyntaxError(ValueError):
    """A `fields` expression that does not parse; the message says where."""


@dataclass(frozen=True)
class Field:
    """One selected field: its name, its modifiers, and its nested selection (None: none)."""

    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: tuple[Field, ...] | None = None


def parse_fields(text: str) -> tuple[Field, ...]:
    """Parse a whole `fields` expression; FieldSyntaxError if it does not parse."""
    parser = _Parser(text)
    fields = parser.fields()
    parser.skip_space()
    if parser.position != len(text):
        raise parser.error("end of string")
    return fields


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.position = 0

    def error(self, expected: str) -> FieldSyntaxError:
        found = self.text[self.position] if self.position < len(self.text) else "end of string"
        return FieldSyntaxError(
            f'Syntax error "Expected {expected} instead of "{found}"." at character {self.position}: {self.text}'
        )

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def take(self, char: str) -> bool:
        self.skip_space()
        if self.text.startswith(char, self.position):
            self.position += 1
            return True
        return False

    def name(self) -> str:
        self.skip_space()
        match = NAME.match(self.text, self.position)
        if match is None:
            raise self.error("field name")
        self.position = match.end()
        return match.group()

    def fields(self) -> tuple[Field, ...]:
        fields = [self.field()]
        while self.take(","):
            fields.append(self.field())
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            # The real API merges repeats; one selection per name keeps rendering simple.
            merged: dict[str, Field] = {}
            for f in fields:
                merged.setdefault(f.name, f)
            fields = list(merged.values())
        return tuple(fields)

    def field(self) -> Field:
        name = self.name()
        modifiers: dict[str, str] = {}
        while self.take("."):
            modifier = self.name()
            if not self.take("("):
                raise self.error('"("')
            end = self.text.find(")", self.position)
            if end < 0:
                raise self.error('")"')
            modifiers[modifier] = self.text[self.position : end].strip()
            self.position = end + 1
        children = None
        if self.take("{"):
            children = self.fields()
            if not self.take("}"):
                raise self.error('"}"')
        return Field(name, modifiers, children)
