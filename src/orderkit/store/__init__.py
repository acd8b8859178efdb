"""orderkit's state in the ERP's own database (SQLAlchemy 2, Alembic).

``Store`` is the facade the kit uses; the pieces are one module each:
``schema`` (tables), ``migrate`` (Alembic), ``ingest``, ``orders`` (guarded
changes, timeline), ``outbox``, ``deadletters``, ``stock``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from orderkit.clock import Clock, Sleeper, SystemClock
from orderkit.models import Order
from orderkit.store import migrate
from orderkit.store.db import Database, aware, create_engine, utcnow_naive
from orderkit.store.deadletters import DeadLetter, DeadLetters
from orderkit.store.dialect import insert_ignore, upsert
from orderkit.store.ids import event_id
from orderkit.store.ingest import Ingestor, IngestResult, MapStatus, Persist, Rejection
from orderkit.store.orders import Orders, StoredOrder, TimelineEvent, TransitionError
from orderkit.store.outbox import Outbox, OutboxEvent
from orderkit.store.quotas import QuotaLimit, Quotas
from orderkit.store.schema import Tables, build_tables
from orderkit.store.stock import Balance, Stock, StockLevel

__all__ = [
    "Balance",
    "DeadLetter",
    "IngestResult",
    "OutboxEvent",
    "QuotaLimit",
    "Rejection",
    "Stock",
    "StockLevel",
    "Store",
    "StoredOrder",
    "Tables",
    "TimelineEvent",
    "TransitionError",
    "build_tables",
    "create_engine",
]

Bind = sa.Engine | sa.Connection | Session


class Store:
    """orderkit's tables in one database, reached through ``bind``."""

    def __init__(
        self,
        bind: Bind,
        *,
        prefix: str = "ok_",
        map_status: MapStatus,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
        persist: Persist | None = None,
        chunk_size: int = 500,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.db = Database(bind, sleeper=sleeper)
        self.tables = build_tables(prefix)
        self.prefix = prefix
        self.orders = Orders(self.db, self.tables, self.clock, persist)
        self.outbox = Outbox(self.db, self.tables, self.clock)
        self.dead_letters = DeadLetters(self.db, self.tables, self.clock)
        self.stock = Stock(self.db, self.tables, self.clock)
        self.quotas = Quotas(self.db, self.tables, self.clock)
        self._ingestor = Ingestor(
            self.db,
            self.tables,
            map_status=map_status,
            clock=self.clock,
            persist=persist,
            release=self._release_order,
            chunk_size=chunk_size,
            dead_letter=self.dead_letters.record,
        )

    def _release_order(self, conn: sa.Connection, order_id: str) -> int:
        """Cancel or refund: the order's stock and gift quota go back."""
        return self.stock.release(conn, order_id) + self.quotas.release(conn, order_id)

    def outbox_add(
        self,
        conn: sa.Connection,
        topic: str,
        order_id: str | None,
        payload: dict[str, Any],
        *,
        key: str,
    ) -> None:
        """An outbox event in the caller's transaction; its id is stable per ``key``."""
        insert_ignore(
            conn,
            self.tables.outbox,
            [
                {
                    "id": event_id(topic, key),
                    "topic": topic,
                    "order_id": order_id,
                    "payload": json.dumps(payload, ensure_ascii=False, default=str),
                    "created_at": utcnow_naive(self.clock.now()),
                    "attempts": 0,
                }
            ],
            key="id",
        )

    # -- schema ----------------------------------------------------------------

    def upgrade(self) -> None:
        """Create or upgrade orderkit's tables (the ERP's are never touched)."""
        with self.db.transaction() as conn:
            migrate.upgrade(conn, self.prefix)

    def current_revision(self) -> str | None:
        with self.db.transaction() as conn:
            return migrate.current(conn, self.prefix)

    # -- operations ---------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Order | dict[str, Any] | str | bytes],
        *,
        dead_letter: bool = True,
        keep_ids: bool = True,
    ) -> IngestResult:
        return self._ingestor.ingest(items, dead_letter=dead_letter, keep_ids=keep_ids)

    def record_problems(self, channel: str, shop_id: str, problems: Iterable[Any]) -> int:
        """Dead-letter a page's unmappable items (``FetchProblem``s) with their error."""
        rejections, raws = [], []
        for index, problem in enumerate(problems):
            error = f"{problem.field}: {problem.error}" if problem.field else problem.error
            rejections.append(
                Rejection(
                    index=index,
                    channel=channel,
                    shop_id=shop_id,
                    external_id=problem.external_id,
                    error=error,
                    field=problem.field,
                )
            )
            raws.append(problem.raw)
        if rejections:
            self.db.run(lambda conn: self.dead_letters.record(conn, rejections, raws))
        return len(rejections)

    def save_credentials(
        self, shop_id: str, data: dict[str, Any], expires_at: datetime | None = None
    ) -> None:
        """Keep what a platform token refresh returned (never logged)."""
        table = self.tables.credentials
        now = utcnow_naive(self.clock.now())
        row = {
            "shop_id": shop_id,
            "data": json.dumps(data),
            "refreshed_at": now,
            "expires_at": utcnow_naive(expires_at) if expires_at else None,
        }
        with self.db.transaction() as conn:
            upsert(
                conn,
                table,
                [row],
                conflict=("shop_id",),
                update={
                    "data": lambda new: new.data,
                    "refreshed_at": lambda new: new.refreshed_at,
                    "expires_at": lambda new: new.expires_at,
                },
            )

    def credentials(self, shop_id: str) -> tuple[dict[str, Any], datetime | None]:
        """The stored credential values of a shop and when they expire."""
        table = self.tables.credentials
        with self.db.transaction() as conn:
            row = conn.execute(
                sa.select(table.c.data, table.c.expires_at).where(table.c.shop_id == shop_id)
            ).first()
        if row is None:
            return {}, None
        return json.loads(row.data), aware(row.expires_at)

    def replay_dead_letters(self, ids: Iterable[int] | None = None) -> IngestResult:
        def replay_ingest(payloads: list[Any]) -> IngestResult:
            return self.ingest(payloads, dead_letter=False)  # never a second letter

        return self.dead_letters.replay(replay_ingest, list(ids) if ids else None)
