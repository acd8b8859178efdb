"""Checks on a receiver: phones, remote areas, hard-to-deliver text, ID numbers.

Pure functions with no data to load, usable on their own::

    parse_phone("138 0013 8000转1234")  # Phone("13800138000", "1234", "mobile")
    is_valid_id_number("11010519491231002X")  # True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal, NamedTuple

#: Defaults of ``address.*`` in the config (a test keeps them equal to
#: ``orderkit.config.AddressConfig``'s, which cannot be imported here
#: without pulling pydantic into ``import orderkit.address``).
DEFAULT_REMOTE_AREAS = ("新疆", "西藏", "青海", "内蒙古", "甘肃", "宁夏")
DEFAULT_HARD_TO_DELIVER = ("信箱", "部队", "监狱", "驿站")
DEFAULT_MIN_CONFIDENCE = 0.8

PhoneKind = Literal["mobile", "landline", "invalid"]


class Phone(NamedTuple):
    """A phone number with its extension kept apart.

    Platforms hand out privacy numbers with an extension (``-1234`` or
    ``转1234``); couriers want the number alone and the extension separately,
    so ``number`` never contains it.
    """

    number: str
    extension: str | None
    kind: PhoneKind

    @property
    def valid(self) -> bool:
        return self.kind != "invalid"


_EXTENSION = re.compile(r"\s*(?:-|转|分机|ext\.?|EXT\.?|#)\s*(\d{1,6})$")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# 010 and 020-029 have three-digit area codes and eight-digit numbers; the
# rest have four-digit codes and seven or eight digits. Local numbers never
# start with 0 or 1.
_LANDLINE = re.compile(r"(0[12]\d)([2-9]\d{7})|(0[3-9]\d{2})([2-9]\d{6,7})")


def parse_phone(raw: str) -> Phone:
    """Split off an extension and classify the number."""
    text = raw.strip()
    match = _EXTENSION.search(text)
    if match:
        head = phone_from_parts(text[: match.start()], match.group(1))
        # "0571-88886666" is an area code and a number, not a number and an
        # extension: only split when what is left is a whole number.
        if head.valid:
            return head
    return phone_from_parts(text, None)


def phone_from_parts(number: str, extension: str | None) -> Phone:
    """Classify ``number`` (separators and +86/0086 allowed); ``extension`` as found."""
    digits = number.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if _MOBILE.fullmatch(digits):
        return Phone(digits, extension, "mobile")
    landline = _LANDLINE.fullmatch(digits)
    if landline:
        area = landline.group(1) or landline.group(3)
        return Phone(f"{area}-{digits[len(area) :]}", extension, "landline")
    return Phone(digits, extension, "invalid")


def is_mobile(number: str) -> bool:
    """Mainland mobile number (``1[3-9]`` + 9 digits), +86/0086 allowed."""
    return parse_phone(number).kind == "mobile"


def is_landline(number: str) -> bool:
    """Mainland landline with its area code (``0571-88886666``)."""
    return parse_phone(number).kind == "landline"


# GB 11643-1999 (ISO 7064 MOD 11-2): weights of the first 17 digits and the
# check character for each remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dXx]")


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character resident ID whose check character is right."""
    value = value.strip()
    if not _ID_SHAPE.fullmatch(value):
        return False
    return id_check_digit(value[:17]) == value[17].upper()


def remote_area(names: Iterable[str | None], areas: Iterable[str]) -> str | None:
    """The configured remote area the address falls in, if any.

    ``areas`` holds short or full names at any level (新疆, 阿里地区); a
    level matches when its name starts with one of them.
    """
    prefixes = areas if isinstance(areas, tuple) else tuple(areas)
    for name in names:
        if name and name.startswith(prefixes):  # one C call per level
            return next(area for area in prefixes if name.startswith(area))
    return None


def hard_to_deliver(text: str, keywords: Iterable[str]) -> bool:
    """True when ``text`` has one of the configured keywords (信箱, 部队, 监狱, 驿站 …)."""
    words = keywords if isinstance(keywords, tuple) else tuple(keywords)
    return keyword_pattern(words).search(text) is not None


@lru_cache(maxsize=32)
def keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled search for a keyword list (a list changes once per config)."""
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)
    return re.compile(alternatives or "(?!)")
