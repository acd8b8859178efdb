"""The outbox: events committed with the change that caused them, delivered
at least once; consumers de-duplicate on the stable event id."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from orderkit.clock import Clock
from orderkit.store.db import Database, aware, utcnow_naive
from orderkit.store.schema import Tables


@dataclass(frozen=True)
class OutboxEvent:
    id: str
    topic: str
    order_id: str | None
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


class Outbox:
    def __init__(self, db: Database, tables: Tables, clock: Clock) -> None:
        self._db = db
        self._t = tables
        self._clock = clock

    def poll(self, limit: int = 100) -> list[OutboxEvent]:
        """Unacknowledged events, oldest first. Each poll counts an attempt;
        an event stays until acknowledged, so a crash means redelivery."""
        box = self._t.outbox
        with self._db.transaction() as conn:
            rows = conn.execute(
                sa.select(box)
                .where(box.c.acknowledged_at.is_(None))
                .order_by(box.c.created_at, box.c.id)
                .limit(limit)
            ).all()
            if rows:
                conn.execute(
                    box.update()
                    .where(box.c.id.in_([r.id for r in rows]))
                    .values(attempts=box.c.attempts + 1)
                )
        return [
            OutboxEvent(
                id=r.id,
                topic=r.topic,
                order_id=r.order_id,
                payload=json.loads(r.payload),
                created_at=aware(r.created_at) or r.created_at,
                attempts=r.attempts + 1,
            )
            for r in rows
        ]

    def ack(self, ids: Sequence[str]) -> int:
        """Mark events delivered; acknowledging twice is harmless. Returns how many
        were newly acknowledged."""
        if not ids:
            return 0
        box = self._t.outbox
        with self._db.transaction() as conn:
            result = conn.execute(
                box.update()
                .where(box.c.id.in_(list(ids)), box.c.acknowledged_at.is_(None))
                .values(acknowledged_at=utcnow_naive(self._clock.now()))
            )
        return int(result.rowcount or 0)

    def fail(self, event_id: str, error: str) -> None:
        """Record why delivering an event failed (it stays pending)."""
        box = self._t.outbox
        with self._db.transaction() as conn:
            conn.execute(box.update().where(box.c.id == event_id).values(last_error=error[:2000]))

    def pending_count(self) -> int:
        box = self._t.outbox
        with self._db.transaction() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(box)
                    .where(box.c.acknowledged_at.is_(None))
                ).scalar_one()
            )
