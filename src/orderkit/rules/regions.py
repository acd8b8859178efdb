"""Place names as ops write them in rules, matched against cleaned addresses.

Ops write ``浙江`` where the cleaner says ``浙江省``, name sales regions such as
``华东`` or ``江浙沪`` instead of listing provinces, and sometimes paste a code
(``330000``). Everything here folds those spellings into one comparable form:
the province's short name (``浙江``), or a city/district name without its
administrative suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Province short name -> the first two digits of its GB/T 2260 code.
PROVINCE_CODES: dict[str, str] = {
    "北京": "11", "天津": "12", "河北": "13", "山西": "14", "内蒙古": "15",
    "辽宁": "21", "吉林": "22", "黑龙江": "23",
    "上海": "31", "江苏": "32", "浙江": "33", "安徽": "34", "福建": "35", "江西": "36",
    "山东": "37",
    "河南": "41", "湖北": "42", "湖南": "43", "广东": "44", "广西": "45", "海南": "46",
    "重庆": "50", "四川": "51", "贵州": "52", "云南": "53", "西藏": "54",
    "陕西": "61", "甘肃": "62", "青海": "63", "宁夏": "64", "新疆": "65",
    "台湾": "71", "香港": "81", "澳门": "82",
}  # fmt: skip

_PROVINCE_BY_PREFIX = {prefix: name for name, prefix in PROVINCE_CODES.items()}

#: Sales regions ops name in rules; each stands for its provinces.
REGION_GROUPS: dict[str, tuple[str, ...]] = {
    "华东": ("上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"),
    "华南": ("广东", "广西", "海南"),
    "华中": ("河南", "湖北", "湖南"),
    "华北": ("北京", "天津", "河北", "山西", "内蒙古"),
    "东北": ("辽宁", "吉林", "黑龙江"),
    "西南": ("重庆", "四川", "贵州", "云南", "西藏"),
    "西北": ("陕西", "甘肃", "青海", "宁夏", "新疆"),
    "江浙沪": ("江苏", "浙江", "上海"),
    "江浙沪皖": ("江苏", "浙江", "上海", "安徽"),
    "港澳台": ("香港", "澳门", "台湾"),
}

# Longest first, so a city or district name loses its whole suffix (自治州, not 州).
_LOCAL_SUFFIXES = ("自治州", "自治县", "地区", "林区", "市", "区", "县", "盟", "旗")
_CODE = re.compile(r"^[0-9]{6}$")
_province_cache: dict[str, str] = {}
_local_cache: dict[str, str] = {}


def is_code(value: str) -> bool:
    """True for a six-digit region code such as ``330106``."""
    return bool(_CODE.match(value))


def province_short(name: str | None) -> str | None:
    """``浙江省`` -> ``浙江``, ``广西壮族自治区`` -> ``广西``; a code gives its province.

    Unknown names come back stripped but otherwise unchanged, so they still
    compare equal to themselves.
    """
    if not name:
        return None
    cached = _province_cache.get(name)
    if cached is not None:
        return cached
    text = name.strip()
    short = text
    if is_code(text):
        short = _PROVINCE_BY_PREFIX.get(text[:2], text)
    else:
        for candidate in PROVINCE_CODES:
            if text.startswith(candidate):
                short = candidate
                break
    if len(_province_cache) < 4096:  # bounded: names come from outside
        _province_cache[name] = short
    return short


def province_code(short: str | None) -> str | None:
    """The six-digit code of a province short name (``浙江`` -> ``330000``)."""
    if short is None:
        return None
    prefix = PROVINCE_CODES.get(short)
    return f"{prefix}0000" if prefix else None


def local_name(name: str | None) -> str | None:
    """A city or district name without its suffix: ``杭州市`` -> ``杭州``."""
    if not name:
        return None
    cached = _local_cache.get(name)
    if cached is not None:  # every order's facts read two: worth a probe
        return cached
    text = name.strip()
    short = text
    for suffix in _LOCAL_SUFFIXES:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            short = text[: -len(suffix)]
            break
    if len(_local_cache) < 4096:  # bounded: names come from outside
        _local_cache[name] = short
    return short


def expand_provinces(values: Iterable[str]) -> frozenset[str]:
    """Province short names meant by ``values``: names, codes or region groups."""
    out: set[str] = set()
    for value in values:
        text = value.strip()
        group = REGION_GROUPS.get(text)
        if group is not None:
            out.update(group)
            continue
        short = province_short(text)
        if short is not None:
            out.add(short)
    return frozenset(out)


def is_known_place(value: str) -> bool:
    """True when ``value`` names a province, a province code or a region group."""
    text = value.strip()
    return text in REGION_GROUPS or province_short(text) in PROVINCE_CODES
