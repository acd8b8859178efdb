"""From the names found in a text to one province / prefecture / county.

The resolver reads the hits left to right and keeps every reading that
agrees with what came before (a set of paths). "朝阳区" alone leaves two
readings (北京, 长春): that is reported as ambiguous, never guessed. A name
that fits no reading is noise (a road called 北京路 after 杭州市) and is
skipped. Reading stops at the county, or when the names stop (a long gap).

A set of readings is a ``State``. States are interned and each remembers
where every name it has met leads, so the reader is a lazily built
automaton over names: the work of combining readings is done once per
(state, name) pair, not once per address. That is an exact memo of a pure
function, so it changes speed, never results.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from orderkit.address.gazetteer import NO_PREFECTURE, Candidate, Gazetteer, Path3
from orderkit.address.matcher import NameIndex

#: Characters of non-name text allowed between two names of one address.
MAX_GAP = 8
SEEN_PROVINCE, SEEN_CITY, SEEN_COUNTY = 1, 2, 4
_SEEN_BY_LEVEL = {1: SEEN_PROVINCE, 2: SEEN_CITY, 3: SEEN_COUNTY}

# A short name followed by one of these is part of a road or town name
# (中山路, 北京西路, 滨江大道, 城关镇), not a division. Full names (礼县花园街)
# are never guarded: nobody names a road 礼县路.
_NOT_A_DIVISION_AFTER = re.compile(r"[东西南北中]?(?:路|街|大道|道|巷|弄|胡同|村|号|镇|乡)")
_GUARD_FIRST = frozenset("东西南北中路街大道巷弄胡村号镇乡")  # checked before the regex: cheaper


class Reading(NamedTuple):
    """One way to read the names so far. A named tuple: states are interned
    by their readings, and tuples hash and compare in C."""

    path: Path3
    seen: int = 0
    legacy: bool = False
    soft: bool = False
    #: The county was named only by its short name (西湖, not 西湖区).
    short: bool = False

    @property
    def complete(self) -> bool:
        return self.path[2] is not None and not self.soft


_NOTHING = Reading((None, None, None))


@dataclass(frozen=True, slots=True)
class Settled:
    """What a state says once reading stops (the same for every text that
    ends in that state)."""

    path: Path3
    seen: int
    legacy: bool
    ambiguous: bool
    short: bool
    readings: int


class State:
    """An interned set of readings, with the states each name leads to."""

    __slots__ = ("_settled", "complete", "next", "readings")

    def __init__(self, readings: tuple[Reading, ...]) -> None:
        self.readings = readings
        self.complete = all(r.complete for r in readings)
        self.next: dict[str, State | None] = {}
        self._settled: Settled | None = None

    @property
    def settled(self) -> Settled:
        """What the text says if reading stops here (worked out once, when
        first asked: most states are passed through, not stopped in)."""
        if self._settled is None:
            self._settled = _settle(list(self.readings))
        return self._settled


#: What ``Reader.read`` returns: the state reading stopped in, and where the
#: names were (start, end) in the text. A plain tuple: one is made per order.
Resolution = tuple["State", int, int]


#: Interned states kept before the memo starts over (bounded whatever the input).
MAX_STATES = 50_000


class Reader:
    """Reads divisions out of texts with one gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.index = NameIndex(gazetteer.keys)
        # Names ending in 市/省 whose last character may start the next name
        # (青岛市南区 is 青岛 + 市南区): reading goes on from that character.
        self._reread = frozenset(
            k for k in gazetteer.keys if k[-1] in "市省" and k[:-1] in gazetteer.keys
        )
        self._states: dict[tuple[Reading, ...], State] = {}
        self.start = self.state([_NOTHING])

    def state(self, readings: list[Reading]) -> State:
        """The interned state for these readings (hints start from one)."""
        key = tuple(readings) if len(readings) == 1 else tuple(sorted(readings, key=_order))
        found = self._states.get(key)
        if found is None:
            if len(self._states) >= MAX_STATES:
                # Start over: states reach each other through ``next``, so
                # only a new start state lets the old graph be freed.
                self._states.clear()
                self.start = State((_NOTHING,))
                self._states[(_NOTHING,)] = self.start
            found = self._states[key] = State(key)
        return found

    def step(self, state: State, key: str) -> State | None:
        """Where ``key`` leads from ``state`` (``None``: it fits no reading)."""
        found = _extend(state.readings, self.gazetteer.keys[key])
        if not found:
            return None
        if state.complete and set(found) != {r.path for r in state.readings}:
            return None  # a repeat must not change a whole address
        return self.state(list(found.values()))

    def read(self, text: str, start: State | None = None) -> Resolution:
        """Read the division out of ``text``; ``start`` is the hints' state."""
        # The scan is inlined (not NameIndex.names_at per position): this loop
        # runs for every position of every address until the county is found.
        keys, heads, guarded = self.index.keys, self.index.heads.get, self.gazetteer.short_keys
        reread, guard_first, guard = self._reread, _GUARD_FIRST, _NOT_A_DIVISION_AFTER.match
        state = start or self.start
        first = last = -1
        stop = len(text) - 1
        pos, limit = 0, 2 if state.complete else stop
        while pos < limit:
            sizes = heads(text[pos : pos + 2])
            begin = pos
            pos += 1
            if sizes is None:
                continue
            for size in sizes:  # longest first; the first name that reads wins
                key = text[begin : begin + size]
                if size > 2 and key not in keys:
                    continue
                end = begin + size
                if (
                    key in guarded
                    and (
                        state.complete  # 朝阳区朝阳门: only full names repeat a whole address
                        or (text[end : end + 1] in guard_first and guard(text, end))
                    )
                ):
                    continue
                new = state.next.get(key, _UNKNOWN)
                if new is _UNKNOWN:
                    new = state.next[key] = self.step(state, key)
                if new is None:
                    continue  # fits no reading: a road or shop name
                state = new
                if first < 0:
                    first = begin
                last = end
                pos = end - 1 if key in reread else end
                # Names further on belong to this address only if close; after
                # a whole address, only a repeat right behind it (…西湖区杭州市).
                limit = last + 2 if state.complete else last + MAX_GAP + 1
                if limit > stop:
                    limit = stop
                break
        if first < 0:
            first = last = 0
        return (state, first, last)


def _order(reading: Reading) -> tuple[str, str, str, int]:
    p0, p1, p2 = reading.path
    return (p0 or "", p1 or "", p2 or "", reading.seen)


def _fits(path: Path3, other: Path3) -> bool:
    a0, a1, a2 = path
    b0, b1, b2 = other
    return (
        (a0 is None or b0 is None or a0 == b0)
        and (a1 is None or b1 is None or a1 == b1)
        and (a2 is None or b2 is None or a2 == b2)
    )


def _merge(path: Path3, other: Path3) -> Path3:
    a0, a1, a2 = path
    if a0 is not None and a1 is not None and a2 is not None:
        return path
    b0, b1, b2 = other
    return (
        a0 if a0 is not None else b0,
        a1 if a1 is not None else b1,
        a2 if a2 is not None else b2,
    )


def _apply(reading: Reading, cand: Candidate) -> Reading | None:
    seen = reading.seen | _SEEN_BY_LEVEL[cand.level]
    path = reading.path
    legacy = reading.legacy or cand.old_path is not None
    short = reading.short
    if cand.level == 3:
        # A county named in full anywhere is not "only by its short name".
        first = not reading.seen & SEEN_COUNTY or reading.soft
        short = cand.short if first else short and cand.short
        if reading.soft and path[0] == cand.path[0] and path[1] == cand.path[1]:
            # 莱芜市钢城区: the county named now replaces the legacy guess.
            return Reading(cand.path, seen, legacy, False, short)
    if _fits(path, cand.path):
        return Reading(_merge(cand.path, path), seen, legacy, cand.soft or reading.soft, short)
    if cand.old_path is not None and _fits(path, cand.old_path):
        # 四平市公主岭市: the old prefecture gives way to the current one.
        return Reading(cand.path, seen, True, cand.soft, short)
    return None


def _extend(readings: Sequence[Reading], cands: tuple[Candidate, ...]) -> dict[Path3, Reading]:
    found: dict[Path3, Reading] = {}
    for reading in readings:
        for cand in cands:
            new = _apply(reading, cand)
            if new is None:
                continue
            old = found.get(new.path)
            if old is None or _rank(new) > _rank(old):
                found[new.path] = new
    return found


def _rank(reading: Reading) -> tuple[int, bool]:
    """How much of the text a reading explains: levels named, then current over legacy."""
    return (bin(reading.seen).count("1"), not reading.legacy)


def _prefer(readings: list[Reading]) -> list[Reading]:
    """Among readings that only differ in depth (吉林 = 吉林省 or 吉林市?),
    keep the deepest if it explains more of the text (吉林吉林 -> 吉林市)
    or is current where the others are legacy (巢湖市 today is a county)."""
    deepest = max(readings, key=lambda r: sum(v is not None for v in r.path))
    if not all(_fits(r.path, deepest.path) for r in readings):
        return readings  # real conflict: ambiguous
    others = [r for r in readings if r is not deepest]
    if all(_rank(deepest) > _rank(r) for r in others):
        return [deepest]
    return readings


def _settle(readings: list[Reading]) -> Settled:
    if not readings:
        return Settled((None, None, None), 0, False, False, False, 0)
    if len(readings) > 1:
        readings = _prefer(readings)
    if len(readings) == 1:
        r = readings[0]
        return Settled(r.path, r.seen, r.legacy, False, r.short, 1)
    slots: list[str | None] = []
    ambiguous = False
    for i in range(3):
        values = {r.path[i] for r in readings}
        known = values - {None}
        if len(known) == 1 and None not in values:
            slots.append(known.pop())
        else:
            slots.append(None)
            ambiguous = ambiguous or len(known) > 1
    path: Path3 = (slots[0], slots[1], slots[2])
    if path[1] == NO_PREFECTURE and path[2] is None:
        path = (path[0], None, None)
    seen = min(r.seen for r in readings)
    legacy = all(r.legacy for r in readings)
    short = any(r.short for r in readings)
    return Settled(path, seen, legacy, ambiguous, short, len(readings))


#: "Not looked up yet" in ``State.next`` (``None`` there means "fits nothing").
_UNKNOWN = State(())
