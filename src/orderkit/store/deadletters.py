"""Dead letters: payloads that could not be ingested, kept with their error
until fixed and replayed. Nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from orderkit.clock import Clock
from orderkit.models import Order
from orderkit.store.db import Database, aware, utcnow_naive
from orderkit.store.dialect import upsert
from orderkit.store.ids import content_hash
from orderkit.store.ingest import IngestResult, Rejection
from orderkit.store.schema import Tables


@dataclass(frozen=True)
class DeadLetter:
    id: int
    channel: str
    shop_id: str
    external_id: str | None
    error: str
    payload: Any
    first_seen_at: datetime
    last_seen_at: datetime
    seen_count: int
    resolved_at: datetime | None
    resolution: str | None


def _payload_text(raw: Any) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        return raw
    if isinstance(raw, Order):
        return raw.model_dump_json()
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)


class DeadLetters:
    def __init__(self, db: Database, tables: Tables, clock: Clock) -> None:
        self._db = db
        self._t = tables
        self._clock = clock

    def record(
        self, conn: sa.Connection, rejected: Sequence[Rejection], raws: Sequence[Any]
    ) -> None:
        """Store rejected payloads; the same payload again only bumps its count."""
        d = self._t.dead_letters
        now = utcnow_naive(self._clock.now())
        rows = []
        for rejection, raw in zip(rejected, raws, strict=True):
            text = _payload_text(raw)
            rows.append(
                {
                    "channel": rejection.channel,
                    "shop_id": rejection.shop_id,
                    "external_id": rejection.external_id,
                    "payload_hash": content_hash(text.encode()),
                    "payload": text,
                    "error": rejection.error,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "seen_count": 1,
                }
            )
        # one payload per statement: two equal payloads in one batch must count twice
        for row in rows:
            upsert(
                conn,
                d,
                [row],
                conflict=("channel", "shop_id", "payload_hash"),
                update={
                    "last_seen_at": lambda new: new.last_seen_at,
                    "seen_count": d.c.seen_count + 1,
                    "error": lambda new: new.error,
                    "resolved_at": None,
                    "resolution": None,
                },
            )

    def entries(self, *, include_resolved: bool = False, limit: int = 100) -> list[DeadLetter]:
        d = self._t.dead_letters
        query = sa.select(d).order_by(d.c.id).limit(limit)
        if not include_resolved:
            query = query.where(d.c.resolved_at.is_(None))
        with self._db.transaction() as conn:
            return [self._to_letter(row) for row in conn.execute(query)]

    def get(self, letter_id: int) -> DeadLetter | None:
        d = self._t.dead_letters
        with self._db.transaction() as conn:
            row = conn.execute(sa.select(d).where(d.c.id == letter_id)).first()
        return self._to_letter(row) if row else None

    def fix(self, letter_id: int, payload: Any) -> None:
        """Replace a dead letter's payload with a corrected one (then replay it)."""
        d = self._t.dead_letters
        text = _payload_text(payload)
        with self._db.transaction() as conn:
            conn.execute(
                d.update()
                .where(d.c.id == letter_id)
                .values(payload=text, payload_hash=content_hash(text.encode()))
            )

    def replay(
        self, ingest: Callable[[list[Any]], IngestResult], ids: Sequence[int] | None = None
    ) -> IngestResult:
        """Run unresolved dead letters (all, or ``ids``) through ``ingest`` (which
        must not dead-letter again); those that go through are marked resolved,
        the rest get their new error."""
        d = self._t.dead_letters
        query = sa.select(d.c.id, d.c.payload).where(d.c.resolved_at.is_(None)).order_by(d.c.id)
        if ids:
            query = query.where(d.c.id.in_(list(ids)))
        with self._db.transaction() as conn:
            letters = conn.execute(query).all()
        total = IngestResult()
        for letter in letters:
            result = ingest([letter.payload])
            total.created += result.created
            total.updated += result.updated
            total.unchanged += result.unchanged
            total.created_ids += result.created_ids
            total.updated_ids += result.updated_ids
            if result.rejected:
                total.rejected.extend(result.rejected)
                with self._db.transaction() as conn:
                    conn.execute(
                        d.update()
                        .where(d.c.id == letter.id)
                        .values(
                            error=result.rejected[0].error,
                            last_seen_at=utcnow_naive(self._clock.now()),
                        )
                    )
                continue
            with self._db.transaction() as conn:
                conn.execute(
                    d.update()
                    .where(d.c.id == letter.id)
                    .values(resolved_at=utcnow_naive(self._clock.now()), resolution="replayed")
                )
        return total

    @staticmethod
    def _to_letter(row: Any) -> DeadLetter:
        try:
            payload: Any = json.loads(row.payload)
        except ValueError:
            payload = row.payload
        return DeadLetter(
            id=row.id,
            channel=row.channel,
            shop_id=row.shop_id,
            external_id=row.external_id,
            error=row.error,
            payload=payload,
            first_seen_at=aware(row.first_seen_at) or row.first_seen_at,
            last_seen_at=aware(row.last_seen_at) or row.last_seen_at,
            seen_count=row.seen_count,
            resolved_at=aware(row.resolved_at),
            resolution=row.resolution,
        )
