"""Turn a resolution into an ``AddressResult``: names, codes, flags, confidence.

Confidence is about the division only (is this the right province, city
and county?), on a small fixed scale so that rules can rely on it:

====================================================  =========
whole chain named in the text (or given as hints)     1.0
upper levels inferred from a unique county name       0.95
county named only by a short name (余杭, 萧山)          0.85
a legacy name mapped to the current unit              -0.05
county missing: prefecture known / province only      0.6 / 0.4
ambiguous (several readings): province known / not    0.5 / 0.3
nothing found                                         0.0
====================================================  =========

Prefectures without any county (东莞, 中山, 儋州, 嘉峪关) are complete
without a county.
"""

from __future__ import annotations

from dataclasses import dataclass

from orderkit.address.checks import remote_area
from orderkit.address.gazetteer import NO_PREFECTURE, Gazetteer
from orderkit.address.resolve import SEEN_CITY, SEEN_COUNTY, SEEN_PROVINCE, Settled

#: Flags a result can carry, in the order they are listed.
FLAGS = (
    "not_found",
    "ambiguous",
    "incomplete",
    "inferred",
    "legacy_name",
    "remote_area",
    "hard_to_deliver",
    "phone_invalid",
)


def confidence(res: Settled, gazetteer: Gazetteer) -> float:
    province, city, county = res.path
    if res.ambiguous:
        return 0.5 if province is not None else 0.3
    if province is None:
        return 0.0
    if county is None:
        if city in (None, NO_PREFECTURE) and not gazetteer.has_counties(province):
            score = 1.0  # 香港, 澳门: the table has nothing below them
        elif city not in (None, NO_PREFECTURE) and not gazetteer.has_counties(city):
            score = 1.0
        else:
            return 0.6 if city not in (None, NO_PREFECTURE) else 0.4
    elif res.seen & (SEEN_PROVINCE | SEEN_CITY):
        score = 1.0 if _all_seen(res) else 0.95
    else:
        score = 0.85 if res.short else 0.95
    if res.legacy:
        score -= 0.05
    return round(score, 2)


def _all_seen(res: Settled) -> bool:
    city = res.path[1]
    need = SEEN_PROVINCE | SEEN_COUNTY
    if city not in (None, NO_PREFECTURE):
        need |= SEEN_CITY
    return res.seen & need == need


def place_fields(res: Settled, gazetteer: Gazetteer) -> dict[str, str | None]:
    """Names and codes of the three levels, with the municipality rules."""
    province, city, county = res.path
    prov_unit = gazetteer.units[province] if province else None
    municipal = prov_unit is not None and prov_unit.kind == "municipality"
    if municipal and city in (None, NO_PREFECTURE):
        # 北京市/北京市/朝阳区; the city code is GB/T 2260's 市辖区 code
        # (the district code's first four digits).
        city_name = prov_unit.name if prov_unit else None
        city_code = (county[:4] + "00") if county else (province[:2] + "0100" if province else None)
    else:
        city_name = gazetteer.name(city)
        city_code = city if city not in (None, NO_PREFECTURE) else None
    return {
        "province": prov_unit.name if prov_unit else None,
        "province_code": province,
        "city": city_name,
        "city_code": city_code,
        "district": gazetteer.name(county),
        "district_code": county,
    }


def base_flags(res: Settled) -> list[str]:
    province, _city, county = res.path
    flags: list[str] = []
    if province is None:
        flags.append("ambiguous" if res.ambiguous else "not_found")
        return flags
    if res.ambiguous:
        flags.append("ambiguous")
    if county is None:
        flags.append("incomplete")
    elif not _all_seen(res):
        flags.append("inferred")
    if res.legacy:
        flags.append("legacy_name")
    return flags


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything about a result that follows from the division alone."""

    #: province, city, district, province_code, city_code, district_code
    place: tuple[str | None, str | None, str | None, str | None, str | None, str | None]
    flags: tuple[str, ...]
    confidence: float
    towns_of: str | None  # whose townships may follow (the county, or 东莞-like prefectures)


def summarize(res: Settled, gazetteer: Gazetteer, remote_areas: tuple[str, ...]) -> Summary:
    score = confidence(res, gazetteer)
    flags = base_flags(res)
    if "incomplete" in flags and score >= 1.0:
        flags.remove("incomplete")  # 东莞: no county level exists
    f = place_fields(res, gazetteer)
    place = (
        f["province"],
        f["city"],
        f["district"],
        f["province_code"],
        f["city_code"],
        f["district_code"],
    )
    if remote_area(place[:3], remote_areas):
        flags.append("remote_area")
    _province, city, county = res.path
    towns_of = None if res.ambiguous else county or (city if city != NO_PREFECTURE else None)
    return Summary(place, tuple(flags), score, towns_of)
