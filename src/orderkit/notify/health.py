"""``notifier_health``: how each consumer of the outbox is doing, for
``orderkit health``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from orderkit.notify.consumers import build_consumers
from orderkit.notify.dispatcher import NEW_CONSUMER_LOOKBACK
from orderkit.notify.ledger import Ledger, Tally
from orderkit.store.db import utcnow_naive

if TYPE_CHECKING:
    from orderkit.kit import OrderKit


@dataclass(frozen=True)
class NotifierHealth:
    """One consumer (notifier id or ``hook:<plugin>``)."""

    name: str
    #: events delivered, ever
    delivered: int
    #: wanted events neither delivered nor given up (includes ``failing``)
    pending: int
    #: events being retried: attempted, neither delivered nor given up
    failing: int
    #: events abandoned after ``max_attempts`` (``Dispatcher.retry_given_up`` resets them)
    gave_up: int
    #: the latest error of an event not delivered (None when nothing is failing)
    last_error: str | None
    last_delivered_at: datetime | None
    #: False for a paused notifier (``enabled: false``): its events wait
    enabled: bool = True

    @property
    def ok(self) -> bool:
        """Nothing failing and nothing given up."""
        return self.failing == 0 and self.gave_up == 0


def notifier_health(
    kit: OrderKit, *, lookback: timedelta = NEW_CONSUMER_LOOKBACK
) -> list[NotifierHealth]:
    """Every consumer of ``kit``, in dispatch order; a few statements per consumer."""
    consumers = build_consumers(kit)
    ledger = Ledger(kit.store.db, kit.store.tables)
    tallies = ledger.tallies([c.name for c in consumers])
    now = kit.clock.now()
    report = []
    for consumer in consumers:
        tally = tallies.get(consumer.name, Tally())
        # A consumer never drained would start ``lookback`` before now.
        watermark = ledger.watermark(consumer.name) or utcnow_naive(now - lookback)
        report.append(
            NotifierHealth(
                name=consumer.name,
                delivered=tally.delivered,
                pending=ledger.pending(consumer.name, consumer.patterns, watermark),
                failing=tally.failing,
                gave_up=tally.gave_up,
                last_error=tally.last_error if tally.failing or tally.gave_up else None,
                last_delivered_at=tally.last_delivered_at,
                enabled=consumer.enabled,
            )
        )
    return report
