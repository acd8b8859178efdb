"""The opaque ``FetchPage.next_page`` token for walking TOP pages last to first.

``trades.sold.increment.get`` lists trades by ``modified`` descending, so a
trade modified while we page leaves the window and every older trade moves
one place towards page 1. Reading the last page first and walking back means
such a shift can only show us a trade twice, never skip one (channels.md
§1.4, §1.11, §4.4). The walk therefore needs the total first:

- no token: the *probe*, page 1 with ``use_has_next=false``; if everything fits
  on that page the window is done, else its trades are dropped (page 1 must be
  read last) and the token points at the last page;
- ``page=p``: read page p with ``use_has_next=true`` (cheaper: no count),
  then point at p-1; after page 1 the window is done;
- ``page=0``: probe again. Used when the last page says ``has_next``: the list
  grew since the probe (the window is still open), so the walk restarts
  rather than miss the trades pushed past the old end. At most
  ``MAX_RESTARTS`` times per window.

Text form: ``tb1:<page>:<last>:<total>:<page_size>:<restarts>:<start>:<end>``,
the last two the window's bounds in epoch seconds, so a token is refused on
another window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from orderkit.errors import OrderKitError
from orderkit.specs import SyncWindow
from orderkit_taobao.protocol import epoch_seconds

PREFIX: Final = "tb1"
MAX_RESTARTS: Final = 3


@dataclass(frozen=True)
class PageToken:
    """Where the walk through one window stands."""

    page: int  # the page to read next; 0 = probe again
    last: int  # the last page as the probe saw it
    total: int  # total_results as the probe saw it
    page_size: int
    restarts: int
    start: int
    end: int

    @classmethod
    def for_window(
        cls, window: SyncWindow, *, total: int, page_size: int, restarts: int = 0
    ) -> PageToken:
        """The first walk token after a probe that found ``total`` trades."""
        last = max(1, -(-total // page_size))
        return cls(
            page=last,
            last=last,
            total=total,
            page_size=page_size,
            restarts=restarts,
            start=epoch_seconds(window.start),
            end=epoch_seconds(window.end),
        )

    def following(self) -> PageToken | None:
        """The token after reading ``page``; None when page 1 was read."""
        return replace(self, page=self.page - 1) if self.page > 1 else None

    def restarted(self) -> PageToken:
        """A token that probes the window again."""
        return replace(self, page=0, restarts=self.restarts + 1)

    def encode(self) -> str:
        return ":".join(
            str(part)
            for part in (
                PREFIX,
                self.page,
                self.last,
                self.total,
                self.page_size,
                self.restarts,
                self.start,
                self.end,
            )
        )

    @classmethod
    def decode(cls, text: str, window: SyncWindow) -> PageToken:
        """Parse a token and check it belongs to ``window``.

        :raises OrderKitError: not a token of this plugin, or of another window
            (a caller bug: restart the window with ``page=None``).
        """
        parts = text.split(":")
        if len(parts) != 8 or parts[0] != PREFIX or not all(p.isdigit() for p in parts[1:]):
            raise OrderKitError(f"taobao: {text!r} is not a page token of this plugin")
        page, last, total, size, restarts, start, end = (int(p) for p in parts[1:])
        token = cls(page, last, total, size, restarts, start, end)
        if (start, end) != (epoch_seconds(window.start), epoch_seconds(window.end)):
            raise OrderKitError(
                f"taobao: page token {text!r} belongs to another window than "
                f"[{window.start.isoformat()}, {window.end.isoformat()}); restart with page=None"
            )
        if size < 1 or page > last:
            raise OrderKitError(f"taobao: page token {text!r} is inconsistent")
        return token
