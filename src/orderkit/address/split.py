"""Split what follows the division into street (town), detail and remark.

The street is the fourth level (乡/镇/街道), looked up among the county's
townships so it comes with its code; a name ending in 街道/镇/乡 that the
table does not know is still taken, without a code. Delivery instructions
(放门卫, 小区东门保安室, 送货前电话联系, 丰巢柜 …) are not part of the
address a courier routes on: they go to ``remark``, whatever the channel.
"""

from __future__ import annotations

import re

from orderkit.address.gazetteer import Towns

# Where an instruction starts. Verbs (放/送/请…) only count at a word start:
# after punctuation, a space, a digit or a building word (…1203室放门卫), so
# that 解放路 is not read as "放 … 门卫".
_BOUNDARY = r"(?<![^\s,，;；。.!！、()（）\d号室楼栋座层户单元A-Za-z])"
_REMARK = re.compile(
    "|".join(
        (
            _BOUNDARY
            + r"(?:请|麻烦|务必|需要)?(?:帮忙)?(?:放|送|寄存|存放|投递|交给?)(?:到|在|至|于)?"
            r"[^\s,，;；。]{0,8}?(?:门卫|门口|保安|传达室|收发室|前台|快递柜|丰巢|驿站|物业|代收点|超市|邻居)",
            r"(?:小区)?[东西南北]?门?(?:保安室|门卫室|传达室|收发室|保安亭|岗亭)",
            r"(?:送货|送达|配送|派送|上门)前?(?:请|先|提前)?(?:打|来)?电话(?:联系|通知)?",
            r"(?:到了?|到达后?|提前|请先|请)(?:打|来)电话",
            r"电话联系|电话通知|打电话",
            r"丰巢(?:柜|快递柜)?|快递柜|菜鸟驿站",
            r"(?:工作日|周末|节假日|双休日|白天|晚上|上午|下午)(?:才|不|请勿|勿)?(?:送|配送|收货|送货|派送)",
            _BOUNDARY + r"(?:勿|不要|别)(?:打电话|敲门|放|送)",
            _BOUNDARY + r"(?:请|麻烦)",
        )
    )
)
# The characters an instruction above can start with.
_REMARK_FIRST = re.compile(
    r"[请麻务需帮放送寄存投交小东西南北门保传收岗配派上前先提打来电到丰快菜工周节双白晚下勿不别]"
)
_TOWN = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:街道|镇|乡)(?![村路街道])")
_TRIM = " ,，;；。.、:：-"


#: street, street code, detail, remark (a plain tuple: one is made per order)
Parts = tuple[str | None, str | None, str | None, str | None]


# Every instruction above contains one of these words; most details contain
# none. A search led by a character set is far cheaper than the full pattern.
_REMARK_CHARS = re.compile(r"[送放请门保传收前快丰驿物代超邻岗电敲麻]")
# ... and a town name ends in one of 镇乡道木所 (街道, 苏木, 区公所).
_SPLIT_WORK = re.compile(r"[送放请门保传收前快丰驿物代超邻岗电敲麻镇乡道木所]")
_REMARK_HINT = re.compile(
    r"[送放请]|门卫|门口|保安|传达|收发|前台|快递柜|丰巢|驿站|物业|代收|超市|邻居|岗亭|电话|收货|敲门|麻烦"
)


def split_rest(rest: str, towns: Towns | None) -> Parts:
    """``rest``: the text after the division; ``towns``: name -> code."""
    if towns is None and not _SPLIT_WORK.search(rest):
        return (None, None, rest.strip(_TRIM) or None, None)  # most details: nothing to split
    remark = None
    maybe = _REMARK_CHARS.search(rest)
    hint = _REMARK_HINT.search(rest, maybe.start()) if maybe else None
    match = _remark_start(rest, hint.start()) if hint else None
    if match:
        remark = rest[match.start() :].strip(_TRIM) or None
        rest = rest[: match.start()]
    rest = rest.strip(_TRIM)
    street, code = _street(rest, towns)
    if street:
        rest = rest[len(street) :].strip(_TRIM)
    return (street, code, rest or None, remark)


def _remark_start(rest: str, hint: int) -> re.Match[str] | None:
    """The leftmost instruction, given the position of its first key word.

    An instruction starts at most a few characters before its key word, and
    always with one of a few characters: only those positions are tried.
    """
    for first in _REMARK_FIRST.finditer(rest, max(0, hint - 14)):
        match = _REMARK.match(rest, first.start())
        if match:
            return match
    return None


def _street(rest: str, towns: Towns | None) -> tuple[str | None, str | None]:
    if towns is not None and rest[:2] in towns.heads:
        codes = towns.codes
        for size in towns.lengths:
            code = codes.get(rest[:size])
            if code is not None:
                return rest[:size], code
    match = _TOWN.match(rest) if "镇" in rest or "乡" in rest or "街道" in rest else None
    if match:
        return match.group(), None
    return None, None
