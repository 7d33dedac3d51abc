"""The refresh policy: what can be due, when each kind is due again, and the shape of a
schedule row. The rules live here once; `schedule.Schedule` stores and reads the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# What can be due, per `kind` (docs/tables.md, "refresh_schedule"):
#   crawl        a crawled user: profile, then each follow list that changed (change detection)
#   follows, followed_by   a user's follow list: when it was last read completely, at what count
#   profile      a profile read by `user_profiles`
#   counters     a media's like and comment counters (decaying with the media's age)
#   likes, comments        a media's likers and comments (when due and their counter changed)
#   tag, location, relationship, requested_by, search: details that change slowly
CRAWL_KINDS = ("crawl", "follows", "followed_by")


@dataclass(frozen=True)
class RefreshPolicy:
    """How old each kind may get before it is read again (docs/refresh.md)."""

    seed_hours: float
    crawl_hours: float
    list_max_age_hours: float
    engagement_ages_hours: tuple[float, ...]

    def user_age(self, depth: int) -> timedelta:
        """Age at which a user at crawl `depth` (0: a seed) is due again."""
        return timedelta(hours=self.seed_hours if depth == 0 else self.crawl_hours)

    @property
    def detail_age(self) -> timedelta:
        """Age of details tied to the configuration (tags, locations, relationships, searches)."""
        return timedelta(hours=self.seed_hours)

    @property
    def list_max_age(self) -> timedelta:
        return timedelta(hours=self.list_max_age_hours)

    def media_due(self, created_at: datetime | None, read_at: datetime) -> datetime | None:
        """The first age after `read_at` at which a media created at `created_at` is due again
        (None: past its last age, never again)."""
        return next_age(created_at, read_at, self.engagement_ages_hours)


def next_age(created_at: datetime | None, read_at: datetime, ages_hours: Iterable[float]) -> datetime | None:
    """The first of `ages_hours` after `created_at` that falls after `read_at` (None: past the
    last, or an unknown creation)."""
    if created_at is None:
        return None
    for hours in sorted(ages_hours):
        due = created_at + timedelta(hours=hours)
        if due > read_at:
            return due
    return None


def is_due(row: dict[str, Any], now: datetime) -> bool:
    """Whether a schedule row is due at `now`: active, with a due time reached."""
    return bool(row["active"]) and row["next_due_at"] is not None and row["next_due_at"] <= now


def schedule_row(
    kind: str,
    entity_id: str,
    *,
    read_at: datetime | None,
    next_due_at: datetime | None,
    depth: int | None = None,
    created_at: datetime | None = None,
    last_count: int | None = None,
    parent: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """A `refresh_schedule` row (its `epoch` is set by `Schedule.write`)."""
    return {
        "entity_key": f"{kind}:{entity_id}",
        "kind": kind,
        "entity_id": entity_id,
        "parent": parent,
        "depth": depth,
        "created_at": created_at,
        "last_read_at": read_at,
        "last_count": last_count,
        "next_due_at": next_due_at,
        "active": active,
        "epoch": None,
    }


COLUMNS = tuple(schedule_row("crawl", "", read_at=None, next_due_at=None))


def aged_row(
    kind: str,
    entity_id: str,
    *,
    created_at: datetime | None,
    read_at: datetime | None,
    next_due_at: datetime | None,
    parent: str | None,
    last_count: int | None = None,
) -> dict[str, Any]:
    """The schedule row of an entity read at ages after its creation (a media's counters, a
    story's insights): due again at `next_due_at` (None: past its last age, never again)."""
    return schedule_row(
        kind,
        entity_id,
        read_at=read_at,
        next_due_at=next_due_at,
        created_at=created_at,
        last_count=last_count,
        parent=parent,
        active=next_due_at is not None,
    )
