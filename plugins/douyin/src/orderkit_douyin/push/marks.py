"""``PushMarks``: the shops a verified push asked to sync, shared between the
web server's threads and the scheduler that syncs them."""

from __future__ import annotations

import threading


class PushMarks:
    """A thread-safe set of orderkit shop ids marked for an incremental sync.

    The push intake ``mark``\\ s shops; the scheduler ``take``\\ s them (which
    clears them) and syncs each one. Marking a shop twice before it is taken
    is one sync, so duplicate pushes cost nothing. ``wait`` lets a scheduler
    sleep until a push arrives instead of polling.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._marked: set[str] = set()
        self._event = threading.Event()

    def mark(self, shop_id: str) -> bool:
        """Mark a shop; False when it was already marked."""
        with self._lock:
            if shop_id in self._marked:
                return False
            self._marked.add(shop_id)
            self._event.set()
            return True

    def take(self) -> frozenset[str]:
        """The marked shops, clearing them."""
        with self._lock:
            taken = frozenset(self._marked)
            self._marked.clear()
            self._event.clear()
            return taken

    def peek(self) -> frozenset[str]:
        """The marked shops, leaving them marked."""
        with self._lock:
            return frozenset(self._marked)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a shop is marked (or ``timeout`` seconds pass); True if one is."""
        return self._event.wait(timeout)

    def __len__(self) -> int:
        with self._lock:
            return len(self._marked)

    def __contains__(self, shop_id: object) -> bool:
        with self._lock:
            return shop_id in self._marked
