"""``clean`` and ``clean_many``: one address text in, one ``AddressResult`` out.

Steps: normalise -> cut names and phones -> read the division (with the
channel's hints, if any) -> split street / detail / remark -> checks. The
division data and the matcher are built once, on the first call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from orderkit.address.checks import (
    DEFAULT_HARD_TO_DELIVER,
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_REMOTE_AREAS,
    keyword_pattern,
)
from orderkit.address.contacts import extract_contacts
from orderkit.address.gazetteer import Gazetteer, gazetteer
from orderkit.address.normalize import normalize
from orderkit.address.resolve import (
    MAX_STATES,
    SEEN_CITY,
    SEEN_COUNTY,
    SEEN_PROVINCE,
    Reader,
    Reading,
    State,
)
from orderkit.address.result import Summary, summarize
from orderkit.address.split import split_rest
from orderkit.address.types import AddressHints, AddressResult

_MAY_NAME_TOWN = re.compile(r"[镇乡道木所]")


class AddressSettings(Protocol):
    """What the cleaner reads from the config (``orderkit.config.AddressConfig``)."""

    @property
    def remote_areas(self) -> Sequence[str]: ...
    @property
    def hard_to_deliver_keywords(self) -> Sequence[str]: ...
    @property
    def min_confidence(self) -> float: ...


@dataclass(frozen=True)
class DefaultSettings:
    remote_areas: Sequence[str] = DEFAULT_REMOTE_AREAS
    hard_to_deliver_keywords: Sequence[str] = DEFAULT_HARD_TO_DELIVER
    min_confidence: float = DEFAULT_MIN_CONFIDENCE


DEFAULTS = DefaultSettings()


class Engine:
    """The gazetteer, the reader and a memo of per-state summaries.

    A summary (names, codes, flags, confidence) depends only on the state
    reading stopped in and the remote-area setting; orders come from the
    same few thousand divisions again and again.
    """

    def __init__(self, gaz: Gazetteer) -> None:
        self.gazetteer = gaz
        self.reader = Reader(gaz)
        self.is_place = gaz.keys.__contains__
        #: (state, remote areas) -> summary; read directly on the hot path.
        self.summaries: dict[tuple[State, tuple[str, ...]], Summary] = {}

    def summary(self, state: State, remote_areas: tuple[str, ...]) -> Summary:
        key = (state, remote_areas)
        found = self.summaries.get(key)
        if found is None:
            if len(self.summaries) >= MAX_STATES:
                self.summaries.clear()
            found = self.summaries[key] = summarize(state.settled, self.gazetteer, remote_areas)
        return found


@cache
def engine() -> Engine:
    """The shared gazetteer, reader and memo (built on the first call)."""
    return Engine(gazetteer())


def clean(
    text: str,
    *,
    hints: AddressHints | None = None,
    config: AddressSettings | None = None,
) -> AddressResult:
    """Clean one receiver address.

    :param text: the address as the buyer typed it (names and phones may be
        inside; they are pulled out).
    :param hints: structured parts a channel already knows (Douyin's
        province / city / town / street); they win over the text.
    :param config: ``address`` settings (remote areas, hard-to-deliver
        keywords, ``min_confidence``); defaults as in the config model.
    """
    return _clean_all((text,), hints, config or DEFAULTS)[0]


def clean_many(
    texts: Iterable[str], *, config: AddressSettings | None = None
) -> list[AddressResult]:
    """Clean many addresses (same result as ``clean`` on each, in order)."""
    return _clean_all(texts, None, config or DEFAULTS)


def _clean_all(
    texts: Iterable[str], hints: AddressHints | None, settings: AddressSettings
) -> list[AddressResult]:
    # One loop for one address or a million: what every address needs is
    # looked up once, before it (an ERP import cleans 100k orders at once).
    eng = engine()
    read, is_place, summaries = eng.reader.read, eng.is_place, eng.summaries
    gazetteer_towns = eng.gazetteer.towns
    areas = settings.remote_areas
    if type(areas) is not tuple:
        areas = tuple(areas)
    keywords = tuple(w for w in settings.hard_to_deliver_keywords if w)
    hard_words = keyword_pattern(keywords).search
    min_confidence = settings.min_confidence
    start_state = None
    street = None
    if hints is not None:
        readings = _hint_readings(hints, eng.gazetteer)
        start_state = eng.reader.state(readings) if readings else None
        street = hints.street or None
    results = []
    for text in texts:
        body = normalize(text)
        contacts = extract_contacts(body, is_place)
        if contacts is not None:
            body = contacts.text
        state, start, end = read(body, start_state)
        summary = summaries.get((state, areas)) or eng.summary(state, areas)

        if not end or (summary.towns_of is None and "ambiguous" in summary.flags):
            rest = body  # nothing decided: the names stay in the detail for a person
        elif start:
            rest = body[:start] + " " + body[end:]
        else:
            rest = body[end:]
        # Township names end in 镇, 乡, 街道, 苏木 or 区公所: without one of
        # those near the start there is no township to look up (and no table
        # to load for this county).
        towns = None
        if summary.towns_of and (street or _MAY_NAME_TOWN.search(rest, 0, 16)):
            towns = gazetteer_towns(summary.towns_of)
        if street and rest.lstrip().startswith(street):
            rest = rest.lstrip()[len(street) :]
        town, town_code, detail, remark = split_rest(rest, towns)
        if street:
            town, town_code = street, towns.codes.get(street) if towns else None

        flags = list(summary.flags)
        phones: list[str] = []
        extensions: dict[str, str] = {}
        names: list[str] = []
        if contacts is not None:
            names = contacts.names
            for phone in contacts.phones:
                phones.append(phone.number)
                if phone.extension:
                    extensions[phone.number] = phone.extension
                if not phone.valid and "phone_invalid" not in flags:
                    flags.append("phone_invalid")
        if keywords and hard_words(rest):
            flags.append("hard_to_deliver")
        province, city, district, province_code, city_code, district_code = summary.place
        score = summary.confidence
        # Positional: this runs once per order, and keywords cost twice as much.
        results.append(
            AddressResult(
                province,
                city,
                district,
                town,
                detail,
                remark,
                province_code,
                city_code,
                district_code,
                phones,
                names,
                flags,
                score,
                town_code,
                extensions,
                score < min_confidence,
            )
        )
    return results


def _hint_readings(hints: AddressHints, gaz: Gazetteer) -> list[Reading] | None:
    """Readings the channel's structured fields allow (``None``: none usable)."""
    readings = [Reading((None, None, None))]
    for value, level, seen in (
        (hints.province, 1, SEEN_PROVINCE),
        (hints.city, 2, SEEN_CITY),
        (hints.district, 3, SEEN_COUNTY),
    ):
        name = (value or "").strip()
        if not name or name not in gaz.keys:
            continue
        found: dict[tuple[str | None, ...], Reading] = {}
        for reading in readings:
            for cand in gaz.keys[name]:
                # A municipality's "city" hint is the municipality itself.
                if cand.level != level and not (level == 2 and cand.level == 1):
                    continue
                path = reading.path
                if all(
                    a is None or b is None or a == b for a, b in zip(path, cand.path, strict=True)
                ):
                    merged = tuple(
                        a if a is not None else b for a, b in zip(path, cand.path, strict=True)
                    )
                    found[merged] = Reading(
                        (merged[0], merged[1], merged[2]),
                        reading.seen | seen,
                        reading.legacy or cand.legacy,
                    )
        if found:
            readings = list(found.values())
    if readings == [Reading((None, None, None))]:
        return None
    return readings
