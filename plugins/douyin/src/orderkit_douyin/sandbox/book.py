"""The sandbox's order book: every order's versions, which one is visible at
the sandbox's now, an index by update time for ``order.searchList``, and the
ground truth a correct sync must end with."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from orderkit_douyin.protocol import from_epoch
from orderkit_douyin.sandbox.generator import Base, Generated, Version


@dataclass(slots=True)
class Record:
    base: Base
    versions: list[Version]
    current: Version | None = None

    @property
    def order_id(self) -> int:
        return self.base.order_id


@dataclass(frozen=True, slots=True)
class Change:
    """A version that became visible: what a push would announce."""

    record: Record
    before: Version | None
    after: Version


class OrderBook:
    """Orders by id, their visible versions, and an (update time, id) index."""

    def __init__(self, generated: Iterable[Generated], now: int) -> None:
        self._records: dict[int, Record] = {}
        self._index: list[tuple[int, int]] = []
        self._pending: list[tuple[int, int, int]] = []  # (at, order id, sequence)
        self._waiting: dict[int, Version] = {}  # sequence -> version not yet visible
        self._sequence = 0
        self.now = now
        initial: list[tuple[int, int]] = []
        for item in generated:
            record = Record(item.base, [])
            self._records[item.base.order_id] = record
            for version in item.versions:
                if version.at <= now:
                    record.versions.append(version)
                    record.current = version
                else:
                    self._schedule(record, version)
            if record.current is not None:
                initial.append((record.current.at, record.order_id))
        initial.sort()
        self._index = initial

    # -- time -----------------------------------------------------------------------

    def _schedule(self, record: Record, version: Version) -> None:
        self._sequence += 1
        self._waiting[self._sequence] = version
        heapq.heappush(self._pending, (version.at, record.order_id, self._sequence))

    def advance(self, now: int) -> list[Change]:
        """Make every version stamped up to ``now`` visible; return the changes."""
        self.now = max(self.now, now)
        changes: list[Change] = []
        while self._pending and self._pending[0][0] <= self.now:
            _, order_id, sequence = heapq.heappop(self._pending)
            version = self._waiting.pop(sequence)
            change = self._show(self._records[order_id], version)
            if change is not None:
                changes.append(change)
        return changes

    def _show(self, record: Record, version: Version) -> Change | None:
        before = record.current
        record.versions.append(version)
        if before is not None and before.at > version.at:
            return None  # an older version arriving late changes nothing
        if before is not None:
            position = bisect_left(self._index, (before.at, record.order_id))
            if position < len(self._index) and self._index[position] == (
                before.at,
                record.order_id,
            ):
                del self._index[position]
        record.current = version
        insort(self._index, (version.at, record.order_id))
        return Change(record, before, version)

    # -- changes ---------------------------------------------------------------------

    def add(self, base: Base, version: Version) -> Change | None:
        """A new order; visible now or when the clock reaches ``version.at``."""
        record = Record(base, [])
        self._records[base.order_id] = record
        if version.at <= self.now:
            return self._show(record, version)
        self._schedule(record, version)
        return None

    def put(self, order_id: int, version: Version) -> Change | None:
        """A new version of an existing order (visible now, or later)."""
        record = self._records[order_id]
        if version.at <= self.now:
            return self._show(record, version)
        self._schedule(record, version)
        return None

    # -- reading ---------------------------------------------------------------------

    def get(self, order_id: int) -> Record | None:
        record = self._records.get(order_id)
        return record if record is not None and record.current is not None else None

    def by_update_time(self, start: int, end: int) -> list[tuple[int, int]]:
        """(update time, id) of visible orders updated in [start, end], ascending."""
        lo = bisect_left(self._index, (start, -1))
        hi = bisect_right(self._index, (end, 1 << 70))
        return self._index[lo:hi]

    def by_create_time(self, start: int, end: int) -> list[tuple[int, int]]:
        """(create time, id) of visible orders created in [start, end], ascending."""
        found = [
            (record.base.created_s, record.order_id)
            for record in self.visible()
            if start <= record.base.created_s <= end
        ]
        found.sort()
        return found

    def visible(self) -> Iterator[Record]:
        return (r for r in self._records.values() if r.current is not None)

    def __len__(self) -> int:
        return len(self._index)

    def next_id(self, step: int) -> int:
        return max(self._records, default=0) + step

    def truth(self) -> dict[str, dict[str, Any]]:
        """External id -> what a correct sync holds for it now (malformed orders
        are left out: they belong in dead letters)."""
        result: dict[str, dict[str, Any]] = {}
        for record in self.visible():
            version = record.current
            assert version is not None
            if version.malformed is not None:
                continue
            expected = version.stage.expected
            result[str(record.order_id)] = {
                "modified_at": from_epoch(version.at),
                "lifecycle": expected.lifecycle,
                "refund": expected.refund,
                "presale": expected.presale,
                "order_status": str(version.stage.order_status),
                "main_status": str(version.stage.main_status),
                "scenario": record.base.scenario,
            }
        return result

    def malformed(self) -> list[str]:
        """Ids of visible orders whose current version is broken on purpose."""
        return [
            str(r.order_id)
            for r in self.visible()
            if r.current is not None and r.current.malformed is not None
        ]
