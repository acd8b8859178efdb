"""Who this process is, for leases and claims: ``host:pid:random``.

A runner that finds a lease or claim held by a process of its own host that
no longer exists (killed, crashed) takes it over at once instead of waiting
for it to expire.
"""

from __future__ import annotations

import os
import socket
import uuid

_ids: dict[int, str] = {}


def process_owner() -> str:
    """This process's owner id (a new one after a fork)."""
    pid = os.getpid()
    if pid not in _ids:
        _ids[pid] = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"
    return _ids[pid]


def holder_is_dead(owner: str | None) -> bool:
    """True for an owner id of a process of this host that no longer exists."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
