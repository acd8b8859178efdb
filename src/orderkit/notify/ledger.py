"""The ``deliveries`` table: one row per (event, consumer) once the consumer has
tried the event, plus one bookkeeping row per consumer.

The bookkeeping row (``event_id = "*"``, never an event id: those are ``e`` +
hex) holds the consumer's *watermark* in ``next_attempt_at``: every event
created before it is finished for the consumer (delivered, given up, not
wanted, or older than the consumer). Queries look only at events from the
watermark on, so neither delivered nor unwanted events are examined again
and a drain costs the same after a year as on day one. ``delivered_at`` of
that row records when the consumer started.

Every query is one statement per consumer (an anti-join against the outbox),
never one per event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from orderkit.notify.base import Notification
from orderkit.notify.topics import sql_filter
from orderkit.specs import Event
from orderkit.store.db import Database, aware
from orderkit.store.dialect import insert_ignore, upsert
from orderkit.store.schema import Tables

WATERMARK_ROW = "*"
#: The watermark stays this far behind now: an event is stamped when it is
#: written but seen only when its transaction commits, possibly later.
SETTLE = timedelta(minutes=10)


@dataclass(frozen=True)
class Due:
    """An event due for a consumer, with the attempts made so far."""

    notification: Notification
    attempts: int


@dataclass(frozen=True)
class Tally:
    """Counts of one consumer's delivery rows (the watermark row excluded)."""

    delivered: int = 0
    failing: int = 0
    gave_up: int = 0
    last_delivered_at: datetime | None = None
    last_error: str | None = None


class Ledger:
    """Reads and writes delivery state; times are naive UTC, as stored."""

    def __init__(self, db: Database, tables: Tables) -> None:
        self._db = db
        self._t = tables

    # -- the watermark ---------------------------------------------------------------

    def watermark(self, name: str) -> datetime | None:
        d = self._t.deliveries
        with self._db.transaction() as conn:
            value: datetime | None = conn.execute(
                sa.select(d.c.next_attempt_at).where(
                    d.c.notifier == name, d.c.event_id == WATERMARK_ROW
                )
            ).scalar_one_or_none()
        return value

    def start(self, name: str, now: datetime, since: datetime) -> datetime:
        """The consumer's watermark, set to ``since`` on its first drain."""

        def work(conn: sa.Connection) -> datetime:
            d = self._t.deliveries
            row = {
                "event_id": WATERMARK_ROW,
                "notifier": name,
                "attempts": 0,
                "next_attempt_at": since,
                "delivered_at": now,
                "updated_at": now,
            }
            insert_ignore(conn, d, [row], key="event_id")
            value: datetime = conn.execute(
                sa.select(d.c.next_attempt_at).where(
                    d.c.notifier == name, d.c.event_id == WATERMARK_ROW
                )
            ).scalar_one()
            return value

        return self._db.run(work)

    def advance(
        self, name: str, patterns: Sequence[str], watermark: datetime, now: datetime
    ) -> datetime:
        """Move the watermark up to the oldest unfinished event (at most ``now - SETTLE``)."""
        o, d = self._t.outbox, self._t.deliveries
        with self._db.transaction() as conn:
            oldest = conn.execute(
                sa.select(sa.func.min(o.c.created_at))
                .select_from(self._join(name))
                .where(*self._unfinished(patterns, watermark))
            ).scalar_one_or_none()
            target = now - SETTLE if oldest is None else min(oldest, now - SETTLE)
            if target <= watermark:
                return watermark
            conn.execute(
                d.update()
                .where(
                    d.c.notifier == name,
                    d.c.event_id == WATERMARK_ROW,
                    d.c.next_attempt_at < target,
                )
                .values(next_attempt_at=target, updated_at=now)
            )
        return target

    # -- events ------------------------------------------------------------------

    def due(
        self,
        name: str,
        patterns: Sequence[str],
        watermark: datetime,
        now: datetime,
        limit: int,
    ) -> list[Due]:
        """Events the consumer wants and has not finished, due now, oldest first."""
        o, d, orders = self._t.outbox, self._t.deliveries, self._t.orders
        stmt = (
            sa.select(
                o.c.id,
                o.c.topic,
                o.c.order_id,
                o.c.payload,
                o.c.created_at,
                d.c.attempts,
                orders.c.shop_id,
                orders.c.external_id,
            )
            .select_from(self._join(name).outerjoin(orders, orders.c.id == o.c.order_id))
            .where(
                *self._unfinished(patterns, watermark),
                sa.or_(d.c.next_attempt_at.is_(None), d.c.next_attempt_at <= now),
            )
            .order_by(o.c.created_at, o.c.id)
            .limit(limit)
        )
        with self._db.transaction() as conn:
            rows = conn.execute(stmt).all()
        found = []
        for r in rows:
            attempts = int(r.attempts or 0)
            event = Event(
                id=r.id,
                topic=r.topic,
                order_id=r.order_id,
                payload=json.loads(r.payload),
                created_at=aware(r.created_at) or r.created_at,
                attempt=attempts + 1,
            )
            ref = f"{r.shop_id}/{r.external_id}" if r.external_id is not None else None
            found.append(Due(Notification(event, ref), attempts))
        return found

    def pending(self, name: str, patterns: Sequence[str], watermark: datetime) -> int:
        """Events the consumer wants and has neither delivered nor given up."""
        with self._db.transaction() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(self._join(name))
                    .where(*self._unfinished(patterns, watermark))
                ).scalar_one()
            )

    def _join(self, name: str) -> sa.Join:
        o, d = self._t.outbox, self._t.deliveries
        return o.outerjoin(d, sa.and_(d.c.event_id == o.c.id, d.c.notifier == name))

    def _unfinished(
        self, patterns: Sequence[str], watermark: datetime
    ) -> tuple[sa.ColumnElement[bool], ...]:
        o, d = self._t.outbox, self._t.deliveries
        return (
            o.c.created_at >= watermark,
            sql_filter(o.c.topic, patterns),
            d.c.delivered_at.is_(None),
            d.c.gave_up_at.is_(None),
        )

    # -- outcomes ------------------------------------------------------------------

    def record(
        self,
        name: str,
        event_id: str,
        *,
        now: datetime,
        attempts: int,
        delivered: bool = False,
        next_attempt_at: datetime | None = None,
        gave_up: bool = False,
        error: str | None = None,
    ) -> None:
        """Write one send's outcome in its own transaction (right after the send)."""
        d = self._t.deliveries
        values: dict[str, object] = {"attempts": attempts, "updated_at": now}
        if delivered:
            values.update(delivered_at=now, next_attempt_at=None)
        else:
            values.update(
                next_attempt_at=next_attempt_at,
                gave_up_at=now if gave_up else None,
                last_error=error,
            )
        row = {"event_id": event_id, "notifier": name, **values}
        self._db.run(
            lambda conn: upsert(conn, d, [row], conflict=("event_id", "notifier"), update=values)
        )

    def retry_given_up(self, name: str, now: datetime) -> int:
        """Give the consumer's given-up events a fresh set of attempts, due now."""
        o, d = self._t.outbox, self._t.deliveries
        given_up = sa.and_(d.c.notifier == name, d.c.gave_up_at.is_not(None))

        def work(conn: sa.Connection) -> int:
            oldest = conn.execute(
                sa.select(sa.func.min(o.c.created_at))
                .select_from(o.join(d, d.c.event_id == o.c.id))
                .where(given_up)
            ).scalar_one_or_none()
            if oldest is None:
                return 0
            # The watermark passed them when they were given up: take it back.
            conn.execute(
                d.update()
                .where(
                    d.c.notifier == name,
                    d.c.event_id == WATERMARK_ROW,
                    d.c.next_attempt_at > oldest,
                )
                .values(next_attempt_at=oldest, updated_at=now)
            )
            result = conn.execute(
                d.update()
                .where(given_up)
                .values(attempts=0, gave_up_at=None, next_attempt_at=now, updated_at=now)
            )
            return int(result.rowcount or 0)

        return self._db.run(work)

    # -- health ----------------------------------------------------------------------

    def tallies(self, names: Sequence[str]) -> dict[str, Tally]:
        """Per consumer: delivered, failing (retrying), gave up, last delivery and
        the latest error of an event not delivered; two grouped statements."""
        if not names:
            return {}
        d = self._t.deliveries
        own = sa.and_(d.c.notifier.in_(list(names)), d.c.event_id != WATERMARK_ROW)
        undelivered = d.c.delivered_at.is_(None)
        retrying = sa.and_(undelivered, d.c.gave_up_at.is_(None), d.c.attempts > 0)
        counts = (
            sa.select(
                d.c.notifier,
                sa.func.count(d.c.delivered_at).label("delivered"),
                sa.func.sum(sa.case((retrying, 1), else_=0)).label("failing"),
                sa.func.count(d.c.gave_up_at).label("gave_up"),
                sa.func.max(d.c.delivered_at).label("last_delivered_at"),
            )
            .where(own)
            .group_by(d.c.notifier)
        )
        newest = (
            sa.select(d.c.notifier, sa.func.max(d.c.updated_at).label("at"))
            .where(own, undelivered, d.c.last_error.is_not(None))
            .group_by(d.c.notifier)
            .subquery()
        )
        latest = (
            sa.select(d.c.notifier, d.c.last_error)
            .join(newest, sa.and_(newest.c.notifier == d.c.notifier, newest.c.at == d.c.updated_at))
            .where(own, undelivered, d.c.last_error.is_not(None))
            .order_by(d.c.notifier, d.c.event_id)
        )
        with self._db.transaction() as conn:
            rows = conn.execute(counts).all()
            errors: dict[str, str] = {}
            for notifier, error in conn.execute(latest):
                errors.setdefault(notifier, error)
        return {
            r.notifier: Tally(
                delivered=int(r.delivered or 0),
                failing=int(r.failing or 0),
                gave_up=int(r.gave_up or 0),
                last_delivered_at=aware(r.last_delivered_at),
                last_error=errors.get(r.notifier),
            )
            for r in rows
        }
