"""What the dispatcher hands a consumer and what it gets back.

A consumer is a configured notifier (webhook, WeCom robot) or an ``on_event``
hookimpl; each keeps its own delivery state under its ``name``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from orderkit.logs import Redactor
from orderkit.specs import Event

#: Longest error text kept per delivery: enough to act on, never a whole page.
MAX_ERROR = 300


@dataclass(frozen=True)
class Notification:
    """One event on its way to one consumer."""

    event: Event
    #: ``SHOP/EXTERNAL_ID`` of the event's order (what ``orderkit explain`` takes),
    #: None when the event has no stored order.
    order_ref: str | None = None


@dataclass(frozen=True)
class SendResult:
    """How one send went. ``retry_after`` marks a throttled send: tried again after
    that many seconds without counting as a failed attempt."""

    ok: bool
    error: str | None = None
    retry_after: float | None = None

    @classmethod
    def delivered(cls) -> SendResult:
        return cls(ok=True)

    @classmethod
    def failed(cls, error: str) -> SendResult:
        return cls(ok=False, error=error)

    @classmethod
    def throttled(cls, error: str, retry_after: float) -> SendResult:
        return cls(ok=False, error=error, retry_after=max(1.0, retry_after))


class Notifier(Protocol):
    """Sends one notification; never raises for a failed delivery (returns it)."""

    def send(self, notification: Notification) -> SendResult: ...

    def close(self) -> None: ...


@dataclass
class Consumer:
    """A named consumer of the outbox: which topics it wants and how it sends."""

    name: str
    patterns: tuple[str, ...]
    max_attempts: int
    notifier: Notifier
    enabled: bool = True


def short_error(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` on one line, secrets and phone numbers masked, at most ``MAX_ERROR``
    characters: what is stored in ``last_error`` and shown by health."""
    redactor = Redactor(s for s in secrets if s)
    line = " ".join(redactor.scrub(text).split())
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"
