"""The TOP request signature, exactly as channels.md §1.3 documents it.

1. every parameter (system and business, ``session`` included) except ``sign``
   itself; parameters with an empty name or value are skipped;
2. sorted by name in byte order;
3. concatenated name-then-value with no separators (raw UTF-8, not URL-encoded);
4. ``md5``: MD5 of ``secret + concatenation + secret``;
   ``hmac``: HMAC-MD5 of the concatenation keyed with the secret;
   ``hmac-sha256``: HMAC-SHA256 likewise (listed by the platform, form inferred);
5. hex digest in upper case.

The client signs with it and the sandbox verifies with it; the tests pin it to
the documented example independently of this code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from orderkit_taobao.protocol import SIGN_METHODS


def canonical_string(params: Mapping[str, str]) -> str:
    """The concatenation that is digested: ``bar2foo1foo_bar3foobar4``."""
    # Python's str ordering is code-point order, which is byte order for the
    # ASCII parameter names TOP uses.
    return "".join(
        name + value for name, value in sorted(params.items()) if name != "sign" and name and value
    )


def sign(params: Mapping[str, str], secret: str, sign_method: str = "md5") -> str:
    """The ``sign`` value of ``params`` (upper-case hex).

    :raises ValueError: an unknown ``sign_method``.
    """
    text = canonical_string(params).encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method == "md5":
        return hashlib.md5(key + text + key, usedforsecurity=False).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(key, text, hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(key, text, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown sign_method {sign_method!r}; use one of {', '.join(SIGN_METHODS)}")


def verify(params: Mapping[str, str], secret: str) -> bool:
    """True when ``params["sign"]`` matches (constant-time compare)."""
    given = params.get("sign", "")
    try:
        expected = sign(params, secret, params.get("sign_method", "md5"))
    except ValueError:
        return False
    return hmac.compare_digest(given.upper(), expected)
