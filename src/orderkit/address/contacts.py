"""Pull the receiver's name and phone numbers out of an address text.

Buyers paste "张三 13800138000 浙江省…" or "…1203室 李四，138-0013-8000转1234"
into one field. Phones are found by shape; a name is only taken where a
person's name sits: right next to a phone, or after a label (收货人：). A
word that is a place name is never a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from orderkit.address.checks import Phone, phone_from_parts

_PHONE = re.compile(
    r"(?<![\dA-Za-z*])"
    r"(?P<number>"
    r"(?:(?:\+86|0086)[\s-]?)?1\d{2}[\s-]?\d{4}[\s-]?\d{4}"  # mobile, also 3-4-4
    r"|(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{7,8}"  # landline with area code
    r"|1\d{9}|1\d{11}"  # a mobile with a digit too few or too many
    r"|1\d{2}\*{4}\d{4}"  # masked by the platform
    r")"
    r"(?P<ext>\s*(?:-|转|分机|#)\s*\d{1,6})?"
    r"(?![\d*])"
)
# Cheap pre-check: a phone has seven digits in a row, or three and then a
# separator or a mask (138 0013 8000, 138****8000). Labels have a colon or 人.
# (Written to start with a character set: sre then scans for it fast.)
_PHONE_LIKE = re.compile(r"[0-9](?:[0-9]{6}|[0-9]{2}[-\s*][0-9*])")
# The labels a form or a copied order puts in front of its fields.
# "电话" inside "送货前电话联系" is an instruction, not a label: a label has a
# colon or a number after it (the person labels never occur in addresses).
_LABEL = re.compile(
    r"(?:收货人|收件人|联系人)\s*[:：]?\s*"
    r"|(?:姓名|名字|联系电话|手机号码|手机号|手机|电话|收货地址|详细地址|所在地区|地址)"
    r"(?:\s*[:：]\s*|(?=\s*[\d+(]))"
)
_NAME_AFTER_LABEL = re.compile(
    r"(?:收货人|收件人|联系人|姓名|名字)\s*[:：]?\s*(?P<name>[\u4e00-\u9fff]{2,4}?(?:先生|女士|小姐)?)"
    r"(?=[\s,，;；:：|/]|\d|$|电话|手机)"
)
_NAME_AFTER = re.compile(r"[\s,，;；:：|/]*(?P<name>[\u4e00-\u9fff]{2,5})(?=[\s,，;；|/]|$)")
_EXT_DIGITS = re.compile(r"\d+")
_POLITE = ("先生", "女士", "小姐")
_NOT_IN_NAMES = frozenset("省市区县镇乡村路街道号楼室栋弄巷园苑门卫放送收件电话")

# Common surnames (single and compound): the only first characters a
# name may have, which keeps "周末不送" or "放门卫" from being read as names.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "司徒",
    "夏侯",
    "令狐",
)


@dataclass
class Contacts:
    """The text with names, phones and labels cut out, and what was cut."""

    text: str
    phones: list[Phone] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def _is_name(word: str, is_place: Callable[[str], bool]) -> bool:
    base = word
    for polite in _POLITE:
        if base.endswith(polite):
            base = base[: -len(polite)]
            break
    if not 1 <= len(base) <= 4 or (len(base) == 1 and base == word):
        return False
    if base[0] not in SURNAMES and not base.startswith(COMPOUND_SURNAMES):
        return False
    return _NOT_IN_NAMES.isdisjoint(base) and not is_place(base) and not is_place(word)


def extract_contacts(text: str, is_place: Callable[[str], bool]) -> Contacts | None:
    """Cut phones, names and field labels out of ``text``; ``None`` when the
    text has none (most have none: that answer is kept cheap).

    ``is_place`` tells whether a word is a division name (江苏 is never a
    name, although 江 is a surname).
    """
    digits = _PHONE_LIKE.search(text)
    has_digits = digits is not None
    labelled = ":" in text or "：" in text or "人" in text
    if not has_digits and not labelled:
        return None
    cuts: list[tuple[int, int]] = []
    phones: list[Phone] = []
    names: list[str] = []
    for match in _PHONE.finditer(text, max(0, digits.start() - 5)) if digits and has_digits else ():
        number = match.group("number")
        if "*" in number:
            phones.append(Phone(number, None, "mobile"))  # masked by the platform
        else:
            ext = _EXT_DIGITS.search(match.group("ext") or "")
            phones.append(phone_from_parts(number, ext.group() if ext else None))
        cuts.append(match.span())
        span = _name_before(text, match.start(), is_place)
        if span is None:
            after = _NAME_AFTER.match(text, match.end())
            if after and _is_name(after.group("name"), is_place):
                span = after.span("name")
        if span is not None:
            names.append(text[span[0] : span[1]])
            cuts.append(span)
    if labelled:
        for match in _NAME_AFTER_LABEL.finditer(text):
            name = match.group("name")
            if name not in names and _is_name(name, is_place):
                names.append(name)
                cuts.append(match.span("name"))
        for match in _LABEL.finditer(text):
            cuts.append(match.span())
    if not cuts:
        return None
    return Contacts(_cut(text, cuts), phones, names)


_SEPARATORS = frozenset(" ,，;；:：|/")


def _name_before(text: str, end: int, is_place: Callable[[str], bool]) -> tuple[int, int] | None:
    """A name right before a phone ("张三 138…"), standing alone as a word."""
    stop = end
    while stop > 0 and text[stop - 1] in _SEPARATORS:
        stop -= 1
    begin = stop
    while begin > 0 and stop - begin <= 5 and "\u4e00" <= text[begin - 1] <= "\u9fff":
        begin -= 1
    if not 2 <= stop - begin <= 5 or (begin > 0 and text[begin - 1] not in _SEPARATORS):
        return None
    return (begin, stop) if _is_name(text[begin:stop], is_place) else None


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    pieces = []
    pos = 0
    for start, end in sorted(spans):
        if start > pos:
            pieces.append(text[pos:start])
        if end > pos:
            pos = end
    pieces.append(text[pos:])
    # A cut leaves a gap; one space keeps the words on both sides apart.
    return " ".join(kept for piece in pieces if (kept := piece.strip(_STRIP)))


_STRIP = " ,，;；|/"
