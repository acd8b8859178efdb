"""When to try a failed delivery again: 30 s, 1 min, 2 min, 4 min ... capped at
one hour, with up to 10 % jitter derived from the event and consumer, so the
schedule is reproducible in tests yet retries of a burst do not line up."""

from __future__ import annotations

import hashlib

BASE_DELAY = 30.0
MAX_DELAY = 3600.0
JITTER = 0.10


def retry_delay(failures: int, key: str) -> float:
    """Seconds to wait after the ``failures``-th failed attempt (1, 2, ...)."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    base = MAX_DELAY if failures > 20 else min(BASE_DELAY * 2 ** (failures - 1), MAX_DELAY)
    digest = hashlib.blake2b(f"{key}|{failures}".encode(), digest_size=4).digest()
    fraction = int.from_bytes(digest, "big") / 2**32
    return min(base * (1 + JITTER * fraction), MAX_DELAY)
