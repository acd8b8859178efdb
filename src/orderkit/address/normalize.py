"""Text normalisation: full-width to half-width, one space between words.

Buyers type on phones with Chinese input methods, so digits, letters and
punctuation often arrive full-width (１２０３, Ａ座, －) with ideographic
spaces. Matching and phone extraction work on the half-width form.
"""

from __future__ import annotations

import re

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the
# ideographic space. Chinese punctuation without an ASCII twin (，。：) stays.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = 0x20
_HALF_WIDTH.update({0x2014: 0x2D, 0x2013: 0x2D, 0x2212: 0x2D})  # dashes a buyer means as "-"

_SPACES = re.compile(r"\s+")
# "中国" is not a division; a leading one only hides the province.
_COUNTRY = re.compile(r"^(?:中华人民共和国|中国)\s*")


# One cheap look for anything to fix (a leading character set lets sre scan fast).
_NEEDS_WORK = re.compile("[\uff01-\uff5e\u3000\u2013\u2014\u2212\t\r\n\f\v]|  ")
# Platform exports spell out the missing prefecture of 省直辖 units; it is
# not a name and only lengthens the gap between province and county.
_PLACEHOLDER = re.compile(r"(?:省|自治区)?直辖县级(?:行政区划|行政单位)?")


def normalize(text: str) -> str:
    """Half-width, single-spaced, trimmed text without a leading 中国."""
    if _NEEDS_WORK.search(text):  # most texts need neither: look before paying
        text = _SPACES.sub(" ", text.translate(_HALF_WIDTH))
    text = text.strip()
    if text.startswith("中"):
        text = _COUNTRY.sub("", text)
    if "直辖" in text:
        text = _PLACEHOLDER.sub("", text)
    return text
