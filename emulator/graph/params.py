"""The request parameters every Graph handler reads: `fields`, lists (`metric`) and times
(`since`, `until`)."""

from __future__ import annotations

import json
import time

from . import errors
from .fields import Field, FieldSyntaxError, parse_fields
from .nodes import Ctx


def selection(ctx: Ctx) -> tuple[Field, ...] | None:
    """The request's `fields`, parsed (a JSON list, as some SDKs send, is accepted too)."""
    text = ctx.params.get("fields")
    if not text:
        return None
    if text.startswith("["):
        try:
            text = ",".join(json.loads(text))
        except (ValueError, TypeError):
            raise errors.bad_parameter("fields must be a comma-separated list") from None
    try:
        return parse_fields(text)
    except FieldSyntaxError as error:
        raise errors.bad_parameter(str(error)) from None


def list_param(ctx: Ctx, name: str) -> list[str]:
    text = ctx.params.get(name, "")
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            raise errors.bad_parameter(f"{name} must be a comma-separated list") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def time_param(ctx: Ctx, name: str) -> int | None:
    """A unix time (`since`, `until`); ISO dates (YYYY-MM-DD) are accepted too."""
    text = ctx.params.get(name)
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return int(time.mktime(time.strptime(text[:10], "%Y-%m-%d"))) - time.timezone
    except ValueError:
        raise errors.bad_parameter(f"Param {name} must be a unix time or a date") from None
