"""Numbers as ops write them (yuan, kilograms, China time) turned into the exact
units the order carries (fen, grams, UTC timestamps), and back for display.

Conversions go through ``Decimal`` of the written text: ``299.9`` yuan is
29990 fen exactly, never 29989 from a binary float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from orderkit.clock import CHINA_TZ


def scaled(value: Any, factor: int) -> int:
    """``value`` (a YAML number or numeric text) times ``factor``, rounded half up.

    :raises ValueError: not a number.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    try:
        exact = Decimal(str(value)) * factor
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def is_exact(value: Any, factor: int) -> bool:
    """True when ``value`` times ``factor`` is a whole number (no fen lost)."""
    try:
        return (Decimal(str(value)) * factor) % 1 == 0
    except InvalidOperation:
        return False


def yuan(fen: int) -> str:
    """``32900`` -> ``329.00``; thousands separated for big amounts."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def kilograms(grams: float) -> str:
    """``1200`` -> ``1.20 kg``."""
    return f"{grams / 1000:.2f} kg"


@dataclass(frozen=True, slots=True)
class Bounds:
    """An inclusive range ``lo <= x <= hi`` in exact units; None is open."""

    lo: int | None = None
    hi: int | None = None

    @property
    def empty(self) -> bool:
        """True when nothing can be inside (e.g. ``gte: 300, lte: 200``)."""
        return self.lo is not None and self.hi is not None and self.lo > self.hi

    def __contains__(self, value: float) -> bool:
        return (self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)

    def overlaps(self, other: Bounds) -> bool:
        lo = max(self.lo if self.lo is not None else -1, other.lo if other.lo is not None else -1)
        his = [h for h in (self.hi, other.hi) if h is not None]
        return not his or lo <= min(his)


def bounds(spec: Any, factor: int = 1) -> Bounds:
    """Bounds of a range mapping ``{gte, lte, between: [a, b]}`` scaled by ``factor``.

    A bare number means ``gte`` (the common "at least" case).
    """
    if not isinstance(spec, dict):
        return Bounds(lo=scaled(spec, factor))
    lows: list[int] = []
    highs: list[int] = []
    if "gte" in spec:
        lows.append(scaled(spec["gte"], factor))
    if "lte" in spec:
        highs.append(scaled(spec["lte"], factor))
    between = spec.get("between")
    if isinstance(between, list) and len(between) == 2:
        lows.append(scaled(between[0], factor))
        highs.append(scaled(between[1], factor))
    return Bounds(lo=max(lows) if lows else None, hi=min(highs) if highs else None)


def time_point(value: Any, *, end_of_day: bool = False) -> float:
    """POSIX seconds of a written time; times without an offset are China time.

    ``2026-03-01`` is the start of that day, or its last instant with
    ``end_of_day`` (an ``until`` date includes the whole day).

    :raises ValueError: not a date or date-time.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = _day(value, end_of_day)
    elif isinstance(value, str):
        moment = _parse_text(value, end_of_day)
    else:
        raise ValueError(f"not a date or time: {value!r} (write 2026-03-01 10:00)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.timestamp()


def _parse_text(value: str, end_of_day: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) <= len("2026-03-01"):
            return _day(date.fromisoformat(text), end_of_day)
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date or time: {value!r} (write 2026-03-01 10:00)") from exc


def _day(day: date, end_of_day: bool) -> datetime:
    start = datetime.combine(day, time(0), tzinfo=CHINA_TZ)
    return start + timedelta(days=1, microseconds=-1) if end_of_day else start


def china_time(seconds: float) -> str:
    """POSIX seconds as China time, ``2026-03-05 10:00``."""
    return datetime.fromtimestamp(seconds, UTC).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
