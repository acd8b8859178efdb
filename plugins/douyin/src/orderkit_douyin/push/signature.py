"""Push signing (channels.md §2.9): ``event-sign`` is the lower-hex
``MD5(app_key + raw_body + app_secret)`` over the exact bytes received.

UNCONFIRMED: whether an HMAC-SHA256 variant of push signing exists; none is
accepted here.
"""

from __future__ import annotations

import hashlib
import hmac


def event_sign(app_key: str, body: bytes, app_secret: str) -> str:
    """The ``event-sign`` Douyin sends with ``body``."""
    digest = hashlib.md5(app_key.encode("utf-8"))
    digest.update(body)
    digest.update(app_secret.encode("utf-8"))
    return digest.hexdigest()


def verify_event_sign(app_key: str, body: bytes, app_secret: str, signature: str) -> bool:
    """True when ``signature`` is the ``event-sign`` of ``body``, compared in
    constant time (a timing side channel must not reveal how much matched)."""
    expected = event_sign(app_key, body, app_secret).encode("ascii")
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)
