"""The world's storage: numpy columns that grow, groups of items by key, and relations with
sequence numbers, each with small change overlays (emulator.world keeps one of each per store).

Split out of `World` (#22 item 4) so that both API modes (v1 and Graph) share one world whose
stores can be read without the v1 answer shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .generate import csr, stable_order


class Column:
    """A numpy array that grows at its end (amortised doubling)."""

    def __init__(self, values: np.ndarray):
        self._data = np.asarray(values)  # no copy: growing reallocates anyway
        self._size = len(values)

    def __len__(self) -> int:
        return self._size

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]

    def append(self, value: Any) -> int:
        """Append one value; return its index."""
        if self._size == len(self._data):
            grown = np.zeros(max(16, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self._size] = self._data
            self._data = grown
        self._data[self._size] = value
        self._size += 1
        return self._size - 1

    def __getitem__(self, index: int) -> Any:
        return self._data[index]

    def __setitem__(self, index: int, value: Any) -> None:
        self._data[index] = value


class Groups:
    """Item numbers grouped by key, ascending within a group. Items are only ever added, with
    numbers larger than all earlier ones (items are media or taggings, in time order)."""

    def __init__(self, keys: np.ndarray, key_count: int, items: np.ndarray | None = None):
        self._ptr, order = csr(keys.astype(np.int64), key_count)
        self._items = order if items is None else items[order]
        self._added: dict[int, list[int]] = {}

    def add(self, key: int, item: int) -> None:
        self._added.setdefault(key, []).append(item)

    def _base(self, key: int) -> np.ndarray:
        if key + 1 >= len(self._ptr):
            return self._items[:0]
        return self._items[self._ptr[key] : self._ptr[key + 1]]

    def items(self, key: int) -> np.ndarray:
        """The group's items, oldest first."""
        added = self._added.get(key)
        base = self._base(key)
        return np.concatenate([base, np.array(added, dtype=base.dtype)]) if added else base

    def count(self, key: int) -> int:
        return len(self._base(key)) + len(self._added.get(key, ()))

    def counts(self, key_count: int) -> np.ndarray:
        """Group sizes of keys 0..key_count-1."""
        sizes = np.zeros(key_count, dtype=np.int64)
        base = np.diff(self._ptr)[:key_count]
        sizes[: len(base)] = base
        for key, added in self._added.items():
            sizes[key] += len(added)
        return sizes


class Side:
    """One direction of a `Relation`: for each key, the other ends with their sequence numbers.

    The initial pairs sit in a read-only CSR index. The first change to a key copies its list
    into a dict (other -> seq, oldest first), which is that key's truth from then on.
    """

    def __init__(self, keys: np.ndarray, others: np.ndarray, seqs: np.ndarray, key_count: int):
        self._ptr, order = csr(keys.astype(np.int64), key_count)
        self._others = others[order]
        self._seqs = seqs[order]  # ascending within a key: the input is in seq order
        self._changed: dict[int, dict[int, int]] = {}
        self.counts = Column(np.diff(self._ptr))

    def _base(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        if key + 1 >= len(self._ptr):
            return self._seqs[:0], self._others[:0]
        lo, hi = self._ptr[key], self._ptr[key + 1]
        return self._seqs[lo:hi], self._others[lo:hi]

    def is_changed(self, key: int) -> bool:
        return key in self._changed

    def contains(self, key: int, other: int) -> bool:
        changed = self._changed.get(key)
        if changed is not None:
            return other in changed
        return bool(np.any(self._base(key)[1] == other))

    def listing(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """(seqs, others), newest first."""
        changed = self._changed.get(key)
        if changed is None:
            seqs, others = self._base(key)
            return seqs[::-1], others[::-1]
        seqs = np.fromiter(reversed(changed.values()), dtype=np.int64, count=len(changed))
        others = np.fromiter(reversed(changed.keys()), dtype=np.int64, count=len(changed))
        return seqs, others

    def _touch(self, key: int) -> dict[int, int]:
        changed = self._changed.get(key)
        if changed is None:
            seqs, others = self._base(key)
            changed = dict(zip(others.tolist(), seqs.tolist()))
            self._changed[key] = changed
        return changed

    def add(self, key: int, other: int, seq: int) -> None:
        self._touch(key)[other] = seq
        self.counts[key] += 1

    def remove(self, key: int, other: int) -> None:
        del self._touch(key)[other]
        self.counts[key] -= 1

    def changed_keys(self) -> list[int]:
        return list(self._changed)

    def base_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, others, seqs) of the CSR index (including keys changed since)."""
        keys = np.repeat(np.arange(len(self._ptr) - 1), np.diff(self._ptr))
        return keys, self._others, self._seqs

    def changed_items(self, key: int) -> dict[int, int]:
        return self._changed[key]


class Relation:
    """A set of pairs (a, b), each with a sequence number that grows as pairs are created,
    indexed from both ends (follows: follower -> followed; likes: user -> media)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, a_count: int, b_count: int):
        seqs = np.arange(1, len(a) + 1, dtype=np.int32)  # writes later continue as Python ints
        self.forward = Side(a, b, seqs, a_count)
        self.backward = Side(b, a, seqs, b_count)
        self._next_seq = len(a) + 1

    def contains(self, a: int, b: int) -> bool:
        if self.forward.is_changed(a) or not self.backward.is_changed(b):
            return self.forward.contains(a, b)
        return self.backward.contains(b, a)

    def add(self, a: int, b: int) -> bool:
        """Add the pair as the newest one; False if it is already there."""
        if self.contains(a, b):
            return False
        self.forward.add(a, b, self._next_seq)
        self.backward.add(b, a, self._next_seq)
        self._next_seq += 1
        return True

    def remove(self, a: int, b: int) -> bool:
        """Remove the pair; False if it was not there."""
        if not self.contains(a, b):
            return False
        self.forward.remove(a, b)
        self.backward.remove(b, a)
        return True

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every current pair as (a, b) arrays, oldest first."""
        keys, others, seqs = self.forward.base_pairs()
        changed = self.forward.changed_keys()
        keep = ~np.isin(keys, changed)
        a, b, s = [keys[keep]], [others[keep].astype(np.int64)], [seqs[keep]]
        for key in changed:
            items = self.forward.changed_items(key)
            a.append(np.full(len(items), key, dtype=np.int64))
            b.append(np.fromiter(items.keys(), dtype=np.int64, count=len(items)))
            s.append(np.fromiter(items.values(), dtype=np.int64, count=len(items)))
        order = stable_order(np.concatenate(s))
        return np.concatenate(a)[order], np.concatenate(b)[order]


def index_of(indices: dict[str, int], key: str, what: str) -> int:
    """The index of `key`; KeyError with a readable message for unknown (or unhashable) keys."""
    try:
        return indices[key]
    except (KeyError, TypeError):
        raise KeyError(f"unknown {what} {key!r}") from None
