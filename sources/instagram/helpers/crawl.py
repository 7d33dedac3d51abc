"""The follow-graph crawl: a persistent frontier of users, each refreshed when it is due."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...common.errors import BudgetExhausted, InstagramEntityError, InstagramNotAllowed
from ...common.fan_in import fan_in
from ...common.http_client import stop_requested
from ...common.refresh_policy import is_due, schedule_row
from ...common.rows import Rows, merge_rows
from ...common.schedule import Schedule, ScheduleUnavailable
from ...common.source_run import SourceRun
from ...common.warehouse_sql import aware_utc, literals, timestamp_literal
from ..settings import MAX_DUE_USERS_PER_RUN
from .follow_lists import read_follow_list
from .items import FollowListRead
from .objects import Profile, Profiles
from .paths import api_path
from .shaping import edge_rows, user_row

logger = logging.getLogger("sources.instagram")

LIST_KINDS = (("follows", "follows"), ("followed_by", "followed-by"))  # (list kind, path part)


# What a user's crawl reports (applied on the consumer's thread, in order), beside its rows.
@dataclass(frozen=True)
class SelfResolved:
    real_id: str


@dataclass(frozen=True)
class MembersFound:
    depth: int
    members: list[str]


@dataclass(frozen=True)
class UserDone:
    real_id: str
    depth: int
    read_at: datetime
    first: bool = False  # the user's first read: its next one is spread over its age
    refused: bool = False  # its profile was refused (private, unknown): asked again after `list_max_age`


@dataclass(frozen=True)
class SelfOnly:
    """The server refused a readable user's list: it serves the token user's lists only."""


CrawlEvent = SelfResolved | MembersFound | UserDone | SelfOnly


@dataclass(frozen=True, slots=True)
class Due:
    """A user the run reads: `uid` as the API takes it (`self` for the token user), and
    when it fell due (`None`: never read). A list completed since then was read in this
    round of the user's reads, perhaps by an earlier run the budget cut short. `never_read`:
    its crawl row has no read yet (the first read spreads its next due time, `next_due`)."""

    uid: str
    depth: int
    due_since: datetime | None = None
    never_read: bool = False


class FollowCrawl:
    """A continuous crawl of the follow graph from seed users.

    The frontier is every user reachable from the seeds over current follow edges, up to
    `depth` hops and `max_users` users. Each member has a `crawl` row in the refresh schedule
    (`schedule.py`) with its depth and next due time. A run first reconciles the frontier with
    the edges in the warehouse (users no longer reachable leave it, users reachable by a
    shorter path move up), then reads the users that are due, seeds first, then by depth, the
    most overdue first, until the budget is spent. Users found in the lists read join the
    frontier at once (due now) while it has room, and later waves of the same run read them.

    A due user costs one profile read. Each of its follow lists is read again only when the
    profile's count for it differs from the count at the list's last complete read, or that
    read is older than `list_max_age` (change detection; one follow plus one unfollow between
    two reads is the blind spot, which the maximum age bounds). A user is due again after its
    age (`next_due`): a found user's first read spreads it over the age, so that a first pass
    does not make the next day's work fall due in one hour; a refused profile (private,
    unknown) is asked again after `list_max_age` only.

    Resource state (small): `self_id`, `self_only`, and `lists`, the buffered pages of lists
    that a run left incomplete (see `read_follow_list`); their owners are due first next run.

    A 2016+ server serves follow lists of the token user only: once a readable user's list is
    refused, the crawl stops reading other users' lists (`self_only`) and still profiles the
    users it found, instead of collecting one refusal per user.
    """

    def __init__(
        self,
        run: SourceRun,
        profiles: Profiles,
        schedule: Schedule,
        state: dict[str, Any],
        *,
        seeds: list[str],
        depth: int,
        max_users: int,
        page_size: int,
    ):
        self.run = run
        self.profiles = profiles
        self.schedule = schedule
        self.state = state
        self.seeds = list(dict.fromkeys(seeds))[:max_users]
        self.depth = depth
        self.max_users = max_users
        self.page_size = page_size
        self.now: datetime | None = None
        self._known: set[str] = set()  # active members of the frontier
        self._due: dict[str, Due] = {}  # real id (or `self`) → due read not begun, in priority order
        self._list_rows: dict[str, dict[str, Any]] = {}
        self._candidates: dict[int, set[str]] = {}  # depth → users found by this wave's lists
        self._split_levels: set[int] = set()
        self._done: set[str] = set()  # users read (or tried) in this run
        # users this run took up whose read did not end (stopped, cut short by the budget,
        # failed, or waiting for a retry), by depth: the levels below them wait (`_admit`)
        self._unfinished: Counter[int] = Counter()
        # crawl rows written but loaded only at the crawl's end, so that one load never holds
        # two rows of a user (see `_hold`): of users who joined, moved or left, not read since
        self._held: set[str] = set()
        self._due_after: tuple[datetime, str] | None = None  # the last due row taken (`_due_page`)
        self._more_due = False  # the schedule may hold more due rows than the pages taken
        self._warned_self_only = False

    def crawl(self) -> Iterator[Rows | FollowListRead]:
        """The rows of every user read, the schedule's rows, and each completely read list."""
        self.state.setdefault("lists", {})
        try:
            yield self._load_frontier()
            # what is due at any time first: their answers tell the time; whom their lists
            # found joins after the due users' waves, when the level is complete
            yield from self._read_waves(admit=False)
            self.now = self.run.client.server_now()
            self._reconcile()
            self._find_due()
            yield from self._read_waves(admit=True)
            while self._more_due and not self._stopped():
                # more were due than one page: the next page, until none is left or the budget is spent
                self._find_due(next_page=True)
                yield from self._read_waves(admit=True)
        except ScheduleUnavailable as error:
            logger.warning("the crawl waits for the next run: its schedule cannot be read (%s)", error)
            self.run.status.work_remains()
        except (BudgetExhausted, InstagramEntityError):  # asking the server's time failed
            self.run.status.work_remains()
        yield from self._held_rows()
        if self._due or self.state["lists"] or self._more_due:
            self.run.status.work_remains()

    def _stopped(self) -> bool:
        client = self.run.client
        return client.budget.exhausted or client.status.stopped_by is not None or stop_requested()

    def _read_waves(self, admit: bool) -> Iterator[Rows | FollowListRead]:
        """Read the due users, wave after wave, until none is due or the budget is spent; with
        `admit`, the users their lists found join the frontier between waves (when no request
        is in flight)."""
        while True:
            if admit:
                self._admit()
            wave = list(self._due.values())
            if not wave or self.run.client.budget.exhausted:
                return
            self._done.update(self._due)
            self._unfinished.update(due.depth for due in wave)  # until their `UserDone`
            self._due.clear()  # a crawl of every user would otherwise hold them all
            producers = [lambda due=due: self._crawl_user(due) for due in wave]
            for item in fan_in(producers, self.run.client.workers):
                if isinstance(item, CrawlEvent):
                    yield self._apply(item)
                else:
                    yield item
            if self._stopped():
                return  # a wave cut short admits no one: the next run's reconcile does

    # -- the frontier -----------------------------------------------------------------------

    def _seed_ids(self) -> dict[str, str | None]:
        """Each seed as the API takes it → its real id (None for `self` until it is known)."""
        return {seed: self.state.get("self_id") if seed == "self" else seed for seed in self.seeds}

    def _reconcile(self) -> None:
        """Schedule rows for users who joined, left or moved in the frontier, by the current
        edges in the warehouse (the lists read in earlier runs); held until the crawl's end."""
        seeds = [real_id for real_id in self._seed_ids().values() if real_id]
        if not seeds:
            return
        changes = self.schedule.query(
            f"""
            WITH RECURSIVE edges AS (
                SELECT split_part(list_key, ':', 2) AS owner_id,
                       CASE WHEN list_key LIKE 'follows:%' THEN followed_id ELSE follower_id END AS other_id
                FROM {{follow_edges}}
                WHERE valid_to IS NULL AND follower_id IS NOT NULL
            ), reach(user_id, depth) AS (
                SELECT seed, 0 FROM (VALUES {", ".join(f"({literals([s])})" for s in seeds)}) AS s(seed)
                UNION
                SELECT e.other_id, r.depth + 1 FROM reach AS r JOIN edges AS e ON e.owner_id = r.user_id
                WHERE r.depth < {int(self.depth)}
            ), nearest AS (
                SELECT user_id, min(depth) AS depth FROM reach GROUP BY user_id
            ), known AS (
                SELECT entity_id AS user_id, depth, active, last_read_at
                FROM {{table}} WHERE epoch = {{epoch}} AND kind = 'crawl'
            ), unread AS (
                -- a level is admitted once every member above it was read: the first pass
                -- then chooses the same users however many runs it takes
                SELECT coalesce(min(depth), {int(self.depth)}) AS depth FROM known WHERE active AND last_read_at IS NULL
            ), ranked AS (
                SELECT n.user_id, n.depth, coalesce(k.active, FALSE) AS was_active, k.depth AS old_depth,
                       row_number() OVER (ORDER BY n.depth, NOT coalesce(k.active, FALSE), n.user_id) AS rank
                FROM nearest AS n LEFT JOIN known AS k USING (user_id)
                WHERE coalesce(k.active, FALSE) OR n.depth <= (SELECT depth FROM unread)
            ), frontier AS (
                SELECT * FROM ranked WHERE rank <= {int(self.max_users)}
            )
            SELECT user_id, depth, TRUE FROM frontier WHERE NOT was_active OR old_depth IS DISTINCT FROM depth
            UNION ALL
            SELECT k.user_id, k.depth, FALSE FROM known AS k
            WHERE k.active AND k.user_id NOT IN (SELECT user_id FROM frontier)
            """
        )
        if not changes:
            return
        old = self.schedule.select_keys(f"crawl:{user_id}" for user_id, _, _ in changes)
        left = 0
        for user_id, depth, member in changes:
            row = old.get(f"crawl:{user_id}") or schedule_row("crawl", user_id, read_at=None, next_due_at=self.now)
            if member:
                due = row["next_due_at"] if row["active"] and row["next_due_at"] else self.now
                row = {**row, "depth": int(depth), "active": True, "next_due_at": due}
            else:
                row = {**row, "active": False, "next_due_at": None}
                left += 1
            self._hold(row)
        if left:
            logger.info("%d users left the crawl's frontier (no longer reachable from the seeds)", left)

    def _hold(self, row: dict[str, Any]) -> None:
        """Write a `crawl` row now, for this run's readers, and load it at the crawl's end, as
        it stands then: a frontier row (a user joined, moved or left), unless the user's read in
        this run replaced it, and the row of a read made before the reconcile, which may still
        move the user. dlt merges the rows of one key in one load in no set order, and the rows
        of a large crawl reach the load in several batches: two rows of one user must never
        both travel."""
        self.schedule.write(row)
        self._held.add(row["entity_key"])

    def _held_rows(self) -> Iterator[Rows]:
        """The held rows, as last written, in batches (written again: the load keeps a key's
        last write)."""
        keys = sorted(self._held)
        self._held.clear()
        for start in range(0, len(keys), 1000):
            rows = self.schedule.get(keys[start : start + 1000])
            batch: Rows = {}
            for key in keys[start : start + 1000]:
                if key in rows:
                    merge_rows(batch, self.schedule.write(rows[key]))
            yield batch

    def _load_frontier(self) -> Rows:
        """The frontier's members, the levels earlier runs began, and the users due whatever
        the time: owners of lists an earlier run left incomplete, and seeds never read. Returns
        the rows of the token user's profile, when it was read here."""
        token_user: Rows = {}
        if "self" in self.seeds and len(self.seeds) > 1 and not self.state.get("self_id"):
            # another seed may name the token user by its id: know that id before either is read
            # (its rows go with this read: the crawl's read of it later gets none)
            profile = self.profiles.profile("self")
            self.state["self_id"], token_user = profile.real_id, profile.rows
        found = self.schedule.query(
            "SELECT entity_id, depth, last_read_at IS NULL FROM {table} WHERE epoch = {epoch} AND kind = 'crawl' AND active"
        )
        self._known = {entity_id for entity_id, _, _ in found} | {
            real_id for real_id in self._seed_ids().values() if real_id
        }
        # levels that earlier runs began reading: part of their lists is in the warehouse only
        self._split_levels = {int(depth or 0) for _, depth, unread in found if unread}
        buffered = [key.split(":", 1)[1] for key in self.state["lists"]]
        seeds = self._seed_ids()
        rows = self.schedule.select_keys(f"crawl:{real_id}" for real_id in [*buffered, *seeds.values()] if real_id)
        for real_id in buffered:
            row = rows.get(f"crawl:{real_id}")
            uid = "self" if real_id == self.state.get("self_id") and "self" in self.seeds else real_id
            depth = int(row["depth"] or 0) if row else 0
            self._add_due(real_id, Due(uid, depth, _due_since(row), never_read=_never_read(row)))
        for seed, real_id in seeds.items():
            if real_id is None or f"crawl:{real_id}" not in rows:  # never read: due at any time
                self._add_due(real_id or seed, Due(seed, 0, never_read=True))
        self._list_rows = self.schedule.select_keys(
            f"{kind}:{real_id}" for real_id in buffered for kind, _ in LIST_KINDS
        )
        return token_user

    def _find_due(self, next_page: bool = False) -> None:
        """The users due now: seeds, then the schedule's due rows (by depth, most overdue
        first); and the schedule rows of their follow lists. The schedule's due rows come at
        most `MAX_DUE_USERS_PER_RUN` at a time: with `next_page`, the page after the last."""
        due = self._due_page()
        if not next_page:
            seeds = self._seed_ids()
            rows = self.schedule.select_keys(f"crawl:{real_id}" for real_id in seeds.values() if real_id)
            for seed, real_id in seeds.items():
                row = rows.get(f"crawl:{real_id}")
                if real_id is None or row is None or is_due(row, self.now):
                    self._add_due(real_id or seed, Due(seed, 0, _due_since(row), never_read=_never_read(row)))
            joined = [row for row in self.schedule.written_rows("crawl") if row["active"]]
            self._known.update(row["entity_id"] for row in joined)
            due += [row for row in joined if is_due(row, self.now)]
        for row in sorted(due, key=lambda row: (row["depth"] or 0, row["next_due_at"], row["entity_key"])):
            depth = int(row["depth"] or 0)
            self._add_due(row["entity_id"], Due(row["entity_id"], depth, _due_since(row), never_read=_never_read(row)))
        ids = [self.state.get("self_id") if due.uid == "self" else due.uid for due in self._due.values()]
        self._list_rows |= self.schedule.select_keys(
            f"{kind}:{real_id}" for real_id in ids if real_id for kind, _ in LIST_KINDS
        )

    def _due_page(self) -> list[dict[str, Any]]:
        """The next page of the schedule's due crawl rows, most overdue first, as this run
        left them (a user this run read or moved out of the frontier is not due)."""
        where = f"kind = 'crawl' AND active AND next_due_at <= {timestamp_literal(self.now)}"
        if self._due_after is not None:
            after, key = timestamp_literal(self._due_after[0]), literals([self._due_after[1]])
            where += f" AND (next_due_at > {after} OR (next_due_at = {after} AND entity_key > {key}))"
        page = self.schedule.select(where, order_by="next_due_at, entity_key", limit=MAX_DUE_USERS_PER_RUN)
        self._more_due = len(page) == MAX_DUE_USERS_PER_RUN
        if self._more_due:
            # the next page starts after the warehouse's last row (`select` gives this run's
            # write of a row in its place)
            last = page[-1]["entity_key"]
            found = self.schedule.query(
                f"SELECT next_due_at FROM {{table}} WHERE epoch = {{epoch}} AND entity_key = {literals([last])}"
            )
            self._due_after = (aware_utc(found[0][0]), last)
        return [row for row in page if is_due(row, self.now)]

    def _add_due(self, key: str, due: Due) -> None:
        """`due` joins the reads not begun, unless the user already is among them or was read
        (or tried) in this run."""
        if key not in self._done:
            self._due.setdefault(key, due)

    def _apply(self, event: CrawlEvent) -> Rows:
        rows: Rows = {}
        match event:
            case SelfResolved(real_id):
                self.state["self_id"] = real_id
                self._known.add(real_id)
            case MembersFound(depth, members):
                if depth < self.depth:
                    found = self._candidates.setdefault(depth + 1, set())
                    found.update(member for member in members if member not in self._known)
            case UserDone(real_id, depth, read_at):
                self._unfinished[depth] -= 1
                due = self.next_due(real_id, depth, read_at, first=event.first, refused=event.refused)
                row = schedule_row("crawl", real_id, read_at=read_at, next_due_at=due, depth=depth)
                if self.now is None:  # read before the reconcile, which may write its row again
                    self._hold(row)
                else:  # no later write of it in this run: loaded now, in place of the one held
                    self._held.discard(row["entity_key"])
                    merge_rows(rows, self.schedule.write(row))
            case SelfOnly():
                if not self._warned_self_only:
                    logger.warning("the API serves follow lists of the token user only: the crawl reads no other lists")
                self._warned_self_only = True
        return rows

    def next_due(self, user_id: str, depth: int, read_at: datetime, *, first: bool, refused: bool) -> datetime:
        """When a user read at `read_at` is due again (docs/refresh.md, "Spreading the day's
        work"): a seed after the seeds' age; a user the crawl found after the crawl's age, or,
        when its profile was refused (private, unknown), after `list_max_age` (weekly by
        default: a refusal rarely changes). On a found user's first read, that age is
        multiplied by `spread_fraction` of its id: the users a first pass reads in one hour
        fall due spread over their age, and since later reads add the whole age, they stay
        spread."""
        policy = self.schedule.policy
        if depth == 0:
            return read_at + policy.user_age(0)
        age = policy.list_max_age if refused else policy.user_age(depth)
        return read_at + (age * spread_fraction(user_id) if first else age)

    def _admit(self) -> None:
        """The users found by the lists read join the frontier, the nearest first, then by id,
        while it has room (the rule `_reconcile` applies to the warehouse). A level joins only
        once every due user above it was read, so that a first pass chooses the same users
        however many runs it takes, wherever a run stops: a level whose users this run took up
        but did not read to the end (a stop request, the budget, a failed or deferred read)
        is not complete, nor are the levels while the schedule has more due users than the
        pages taken. Its candidates wait: the next run's reconcile admits them from the
        warehouse's edges once the level is read. Admitting part of a level would stick, as
        members keep their place over newcomers."""
        if self._more_due:
            return
        unfinished = [depth for depth, count in self._unfinished.items() if count > 0]
        unread = min([*(due.depth for due in self._due.values()), *unfinished], default=self.depth)
        for depth in sorted(depth for depth in self._candidates if depth <= unread):
            found = self._candidates.pop(depth)
            if depth - 1 in self._split_levels:
                found |= self._neighbours_in_warehouse(depth - 1)
            for member in sorted(found - self._known):
                if len(self._known) >= self.max_users:
                    break
                self._known.add(member)
                joined_at = self.now or self.run.client.server_now()
                self._add_due(member, Due(member, depth, joined_at, never_read=True))
                self._hold(schedule_row("crawl", member, read_at=None, next_due_at=joined_at, depth=depth))

    def _neighbours_in_warehouse(self, depth: int) -> set[str]:
        """Users in the loaded lists of the frontier's members at `depth`: a level that
        earlier runs began has part of its lists in the warehouse only."""
        found = self.schedule.query(
            f"""
            SELECT DISTINCT CASE WHEN list_key LIKE 'follows:%' THEN followed_id ELSE follower_id END
            FROM {{follow_edges}}
            WHERE valid_to IS NULL AND follower_id IS NOT NULL AND split_part(list_key, ':', 2) IN (
                SELECT entity_id FROM {{table}}
                WHERE epoch = {{epoch}} AND kind = 'crawl' AND active AND depth = {int(depth)}
            )
            """
        )
        return {other for (other,) in found}

    # -- one user ---------------------------------------------------------------------------

    def _crawl_user(self, due: Due) -> Iterator[Rows | FollowListRead | CrawlEvent]:
        try:
            profile = self._profile(due)
        except BudgetExhausted:
            return
        yield profile.rows
        if profile.real_id is None:  # unknown or private: due again later; a failed read waits
            if not self.run.pending("user", due.uid) and due.uid != "self":
                refused_at = profile.observed_at or self.now or self.run.client.server_now()
                yield UserDone(due.uid, due.depth, refused_at, first=due.never_read, refused=True)
            return
        real_id = profile.real_id
        if due.uid == "self":
            yield SelfResolved(real_id)
        if self.state.get("self_only") and due.uid != "self":
            yield UserDone(real_id, due.depth, profile.observed_at, first=due.never_read)
            return
        done_at = profile.observed_at
        for kind, path_part in LIST_KINDS:
            if self.state.get("self_only") and due.uid != "self":
                break
            list_key = f"{kind}:{real_id}"
            if list_key not in self.state["lists"] and self._may_wait(list_key, due, profile):
                continue
            if self.run.deferred("list", list_key):
                return  # it failed in an earlier run: the user waits for the retry
            outcome = yield from self._read_list(due, profile, kind, path_part)
            if outcome == "stop":
                return
            if outcome == "self_only":
                break
            if list_read := self.schedule.written_row(list_key):
                done_at = max(done_at, list_read["last_read_at"])
        # due again counted from the end of this round, so that its lists are older
        yield UserDone(real_id, due.depth, done_at, first=due.never_read)

    def _profile(self, due: Due) -> Profile:
        """The user's profile: as saved with a list an earlier run left incomplete (the
        read resumes where it stopped, at no cost), else read now."""
        real_id = self.state.get("self_id") if due.uid == "self" else due.uid
        for kind, _ in LIST_KINDS:
            saved = self.state["lists"].get(f"{kind}:{real_id}", {}).get("profile")
            if saved:
                return Profile(real_id, saved["counts"], datetime.fromisoformat(saved["read_at"]), {})
        return self.profiles.profile(due.uid)

    def _may_wait(self, list_key: str, due: Due, profile: Profile) -> bool:
        """Whether a list that no earlier run left incomplete is not read now: it was read
        since the user fell due, or (users the crawl found) its count is as at its last
        complete read, which is younger than the maximum age. A seed's lists are read
        whenever it is due: its follows are what analysts watch most, and one follow plus
        one unfollow leave the count unchanged."""
        row = self.schedule.written_row(list_key) or self._list_rows.get(list_key)
        if row is None or row["last_read_at"] is None:
            return False
        if due.due_since is None or row["last_read_at"] >= due.due_since:
            return True
        count = profile.counts.get(list_key.split(":", 1)[0])
        if due.depth == 0 or count is None or row["last_count"] != count:
            return False
        # resumed lists are read before `now` is set: then the time of their profile
        now = self.now or self.run.client.server_now(probe=False) or profile.observed_at
        return now - row["last_read_at"] < self.schedule.policy.list_max_age

    def _read_list(
        self, due: Due, profile: Profile, kind: str, path_part: str
    ) -> Iterator[Rows | FollowListRead | CrawlEvent]:
        """Read one follow list; returns "read", "stop" (the user waits) or "self_only"."""
        real_id = profile.real_id
        count = profile.counts.get(kind)
        list_key = f"{kind}:{real_id}"
        list_state = self.state["lists"].setdefault(list_key, {})
        counts = {name: profile.counts.get(name) for name, _ in LIST_KINDS}
        list_state.setdefault("profile", {"counts": counts, "read_at": profile.observed_at.isoformat()})
        complete = False
        try:
            for users, observed_at, members in read_follow_list(
                self.run.client,
                api_path(f"/users/{{user}}/{path_part}", user=due.uid),
                f"GET /users/{{id}}/{path_part}",
                self.page_size,
                list_state,
            ):
                yield {"users": [user_row(u, observed_at) for u in users]}
                if members is not None:
                    complete = True
                    yield FollowListRead(list_key, edge_rows(list_key, real_id, members))
                    policy = self.schedule.policy
                    row = schedule_row(
                        kind,
                        real_id,
                        read_at=observed_at,
                        next_due_at=observed_at + policy.list_max_age,
                        depth=due.depth,
                        last_count=count,
                    )
                    yield self.schedule.write(row)
                    yield MembersFound(due.depth, members)
        except InstagramEntityError as error:
            yield self.run.failed("list", list_key, error)
            if self.run.pending("list", list_key):
                return "stop"  # read again in a later run, from its buffered pages
            complete = True
            if isinstance(error, InstagramNotAllowed) and due.uid != "self":
                # the profile was readable, the list is not: a 2016+ server that serves
                # follow lists of the token user only; stop asking for the others'
                self.state["lists"].pop(list_key, None)
                self.state["self_only"] = True  # at once: the other workers stop asking too
                yield SelfOnly()
                return "self_only"
        if not complete:
            return "stop"  # budget ran out mid-list: the buffered pages stay in state
        self.state["lists"].pop(list_key, None)
        self.run.succeeded("list", list_key)
        return "read"


def _due_since(row: dict[str, Any] | None) -> datetime | None:
    return row["next_due_at"] if row else None


def _never_read(row: dict[str, Any] | None) -> bool:
    return row is None or row["last_read_at"] is None


def spread_fraction(user_id: str) -> float:
    """A fraction in (0, 1] fixed by `user_id` (a stable hash, the same in every process and
    run: not Python's salted `hash`), spread evenly over the users."""
    digest = hashlib.blake2b(user_id.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 1) / 2**64


__all__ = ["FollowCrawl", "Profile", "spread_fraction"]
