"""How one window's pages of ``order.searchList`` are walked, and the opaque
page token that carries the walk between ``fetch_orders`` calls.

Orders are asked for by update time, **ascending**, and the pages (numbered
from 0) are read in this order::

    0 (learn the total), last, last-1, ..., 1, 0 again

A window that fits on one page is done after the first read. Otherwise the
orders of that first read are dropped (``keeps_orders``): the closing read of
page 0 returns them again, so mapping and storing them twice would be waste.

Why: paging is by offset, and orders keep changing while a window is read.
A changed order gets a new update time after the window's end and leaves the
result, and everything behind it moves one place forward. Read front to
back, the order that moved onto a page already read would be skipped; read
back to front, the pages still to read only move towards us, so an order can
come twice (ingest is idempotent) but is never skipped. Page 0 is read again
last because what was on page 1 can have moved onto it. If the total grew
meanwhile (late index updates, §2.12), the walk starts over, at most
``MAX_RESTARTS`` times; the engine's window overlap covers what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from orderkit.errors import ChannelResponseError
from orderkit.specs import SyncWindow

from orderkit_douyin.protocol import CHANNEL, epoch_seconds

MAX_RESTARTS: Final = 2
_PREFIX: Final = "dy1"


@dataclass(frozen=True)
class PageToken:
    """Where a window's walk stands. ``final`` marks the closing read of page 0."""

    start: int
    end: int
    page: int
    size: int
    total: int
    restarts: int = 0
    final: bool = False

    @classmethod
    def first(cls, window: SyncWindow, size: int) -> PageToken:
        """Page 0 of a window, total not known yet."""
        return cls(epoch_seconds(window.start), epoch_seconds(window.end), 0, size, 0)

    def encode(self) -> str:
        fields = (self.start, self.end, self.page, self.size, self.total, self.restarts)
        return ":".join((_PREFIX, *map(str, fields), "1" if self.final else "0"))

    @classmethod
    def decode(cls, text: str, window: SyncWindow) -> PageToken:
        """The token of ``window``; a token of another window is refused."""
        parts = text.split(":")
        if len(parts) != 8 or parts[0] != _PREFIX or not all(p.isdigit() for p in parts[1:]):
            raise ChannelResponseError(f"not a Douyin page token: {text!r}", channel=CHANNEL)
        start, end, page, size, total, restarts, final = (int(p) for p in parts[1:])
        token = cls(start, end, page, size, total, restarts, final == 1)
        if (start, end) != (epoch_seconds(window.start), epoch_seconds(window.end)):
            raise ChannelResponseError(
                f"page token {text!r} belongs to another window", channel=CHANNEL
            )
        return token

    def last_page(self, total: int) -> int:
        return max(0, (total - 1) // self.size)

    def following(self, total: int) -> PageToken | None:
        """The next read after this page answered with ``total``; None when done."""
        if self.page == 0 and not self.final:  # the opening read
            if total <= self.size:
                return None
            return replace(self, page=self.last_page(total), total=total)
        if self.page > 1:
            return replace(self, page=self.page - 1)
        if self.page == 1:
            return replace(self, page=0, final=True)
        # the closing read of page 0
        if total > self.total and self.restarts < MAX_RESTARTS:
            return replace(
                self,
                page=self.last_page(total),
                total=total,
                restarts=self.restarts + 1,
                final=False,
            )
        return None

    def keeps_orders(self, total: int) -> bool:
        """False for the opening read of a window longer than a page."""
        return self.page != 0 or self.final or total <= self.size

    def grew(self, total: int) -> bool:
        """True when a closing read saw more orders than the walk started with."""
        return self.final and total > self.total
