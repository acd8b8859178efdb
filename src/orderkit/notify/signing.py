"""Webhook signatures: ``X-Orderkit-Signature: sha256=<hex>``, the HMAC-SHA256
of ``"<timestamp>.<body>"`` with the notifier's secret.

Receivers can use :func:`verify_signature` (this module imports nothing
heavy) or the few lines of the recipe in ``docs/notifications.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "sha256="


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    key = secret.encode() if isinstance(secret, str) else secret
    message = str(timestamp).encode("ascii") + b"." + body
    return SCHEME + hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: int | str,
    body: bytes,
    signature: str,
    tolerance: float | None = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when ``signature`` (the ``X-Orderkit-Signature`` header) was made with
    ``secret`` over ``body`` (the raw request bytes) and ``timestamp`` (the
    ``X-Orderkit-Timestamp`` header).

    :param tolerance: the most seconds ``timestamp`` may differ from ``now``, so a
        captured request cannot be replayed later; None skips the check.
    :param now: Unix time to compare with (default: the system clock).
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if tolerance is not None:
        current = time.time() if now is None else now
        if abs(current - sent_at) > tolerance:
            return False
    # compare_digest: the time taken must not reveal how much of a guess was right
    return hmac.compare_digest(sign(secret, sent_at, body), signature.strip())
