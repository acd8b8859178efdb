"""``Dispatcher``: delivers outbox events to every consumer, each on its own.

For each consumer a drain reads the events it wants and has not finished
(one query), sends them oldest first, and records each outcome in its own
transaction right after the send. Success is recorded as delivered and the
event is never sent to that consumer again; a crash between a send and its
record sends it once more (at least once: receivers drop repeats by event id).
A failure is retried with backoff (``backoff.retry_delay``) until the
consumer's ``max_attempts``, then given up and shown by ``notifier_health``.

The dispatcher never acknowledges outbox rows: ``kit.outbox.poll/ack`` is the
ERP's own queue, and the two do not interfere.

Run one drain at a time (``orderkit run`` leases its jobs); two concurrent
drains may send an event twice, which the event id covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import httpx
import structlog

from orderkit.notify.backoff import retry_delay
from orderkit.notify.base import Consumer, Notification, SendResult, short_error
from orderkit.notify.consumers import HOOK_MAX_ATTEMPTS, build_consumers
from orderkit.notify.ledger import Due, Ledger
from orderkit.store.db import utcnow_naive

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

log = structlog.get_logger("orderkit.notify")

#: A new consumer receives the events of its last hour before its first drain:
#: enough for what the run that started it just produced, not months of
#: history flooding a freshly added chat robot.
NEW_CONSUMER_LOOKBACK = timedelta(hours=1)
#: After this many failures in a row a consumer is left until the next drain:
#: a receiver that is down must not hold the drain for limit x timeout.
MAX_FAILURES_IN_A_ROW = 3


@dataclass
class ConsumerDrain:
    """What one drain did for one consumer."""

    delivered: int = 0
    #: failed (or throttled) this time, tried again later
    retried: int = 0
    gave_up: int = 0
    #: "throttled" or "failing" when it stopped early; the rest waits for the next drain
    stopped: str | None = None


@dataclass
class DrainReport:
    """What one drain did, per consumer (``hook:<plugin>`` or a notifier id)."""

    consumers: dict[str, ConsumerDrain] = field(default_factory=dict)

    @property
    def delivered(self) -> int:
        return sum(c.delivered for c in self.consumers.values())

    @property
    def retried(self) -> int:
        return sum(c.retried for c in self.consumers.values())

    @property
    def gave_up(self) -> int:
        return sum(c.gave_up for c in self.consumers.values())

    @property
    def total(self) -> int:
        """Sends made (a job's "how many things it did")."""
        return self.delivered + self.retried + self.gave_up


class Dispatcher:
    """Delivers ``kit``'s outbox to its notifiers and ``on_event`` impls.

    :param transport: an ``httpx`` transport for every notifier (tests pass a
        ``MockTransport``); None uses the network.
    :param hook_max_attempts: attempts per event for ``on_event`` impls.
    :param lookback: how far before its first drain a new consumer's events start.
    """

    def __init__(
        self,
        kit: OrderKit,
        *,
        transport: httpx.BaseTransport | None = None,
        hook_max_attempts: int = HOOK_MAX_ATTEMPTS,
        lookback: timedelta = NEW_CONSUMER_LOOKBACK,
    ) -> None:
        self._kit = kit
        self._lookback = lookback
        self._ledger = Ledger(kit.store.db, kit.store.tables)
        self.consumers: list[Consumer] = build_consumers(
            kit, transport=transport, hook_max_attempts=hook_max_attempts
        )
        # Throttled consumers (HTTP 429, WeCom 45009) wait here until then.
        self._paused_until: dict[str, datetime] = {}

    def drain(self, limit: int = 500) -> DrainReport:
        """Send what is due to every enabled consumer, at most ``limit`` events each."""
        report = DrainReport()
        for consumer in self.consumers:
            if consumer.enabled:
                report.consumers[consumer.name] = self._drain(consumer, limit)
        return report

    def retry_given_up(self, name: str) -> int:
        """Try a consumer's given-up events again from scratch (after fixing the
        receiver); returns how many. Health stops counting them as given up."""
        return self._ledger.retry_given_up(name, utcnow_naive(self._kit.clock.now()))

    def close(self) -> None:
        """Close the notifiers' HTTP connections."""
        for consumer in self.consumers:
            consumer.notifier.close()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- one consumer ----------------------------------------------------------------

    def _drain(self, consumer: Consumer, limit: int) -> ConsumerDrain:
        done = ConsumerDrain()
        now = self._kit.clock.now()
        paused = self._paused_until.get(consumer.name)
        if paused is not None and now < paused:
            done.stopped = "throttled"
            return done
        watermark = self._ledger.start(
            consumer.name, utcnow_naive(now), since=utcnow_naive(now - self._lookback)
        )
        due = self._ledger.due(
            consumer.name, consumer.patterns, watermark, utcnow_naive(now), limit
        )
        failures_in_a_row = 0
        for item in due:
            result = self._send(consumer, item.notification)
            if result.ok:
                self._delivered(consumer, item)
                done.delivered += 1
                failures_in_a_row = 0
                continue
            if result.retry_after is not None:
                self._throttled(consumer, item, result)
                done.retried += 1
                done.stopped = "throttled"
                break
            if self._failed(consumer, item, result):
                done.gave_up += 1
            else:
                done.retried += 1
            failures_in_a_row += 1
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                done.stopped = "failing"
                break
        self._ledger.advance(
            consumer.name, consumer.patterns, watermark, utcnow_naive(self._kit.clock.now())
        )
        return done

    def _send(self, consumer: Consumer, notification: Notification) -> SendResult:
        try:
            return consumer.notifier.send(notification)
        except Exception as exc:  # a notifier bug must not stop the other consumers
            return SendResult.failed(short_error(f"{type(exc).__name__}: {exc}"))

    def _delivered(self, consumer: Consumer, item: Due) -> None:
        self._ledger.record(
            consumer.name,
            item.notification.event.id,
            now=utcnow_naive(self._kit.clock.now()),
            attempts=item.attempts + 1,
            delivered=True,
        )

    def _throttled(self, consumer: Consumer, item: Due, result: SendResult) -> None:
        # Not the event's fault: no attempt is counted, the consumer just waits.
        now = self._kit.clock.now()
        until = now + timedelta(seconds=result.retry_after or 0)
        self._paused_until[consumer.name] = until
        self._ledger.record(
            consumer.name,
            item.notification.event.id,
            now=utcnow_naive(now),
            attempts=item.attempts,
            next_attempt_at=utcnow_naive(until),
            error=result.error,
        )
        log.info("notify.throttled", consumer=consumer.name, until=until.isoformat())

    def _failed(self, consumer: Consumer, item: Due, result: SendResult) -> bool:
        """Record a failed attempt; True when that was the last one."""
        event = item.notification.event
        now = self._kit.clock.now()
        attempts = item.attempts + 1
        gave_up = attempts >= consumer.max_attempts
        retry_at = None
        if not gave_up:
            delay = retry_delay(attempts, f"{consumer.name}|{event.id}")
            retry_at = utcnow_naive(now + timedelta(seconds=delay))
        error = result.error or "failed"
        self._ledger.record(
            consumer.name,
            event.id,
            now=utcnow_naive(now),
            attempts=attempts,
            next_attempt_at=retry_at,
            gave_up=gave_up,
            error=error,
        )
        (log.error if gave_up else log.warning)(
            "notify.gave_up" if gave_up else "notify.failed",
            consumer=consumer.name,
            event_id=event.id,
            topic=event.topic,
            attempt=attempts,
            error=error,
        )
        return gave_up
