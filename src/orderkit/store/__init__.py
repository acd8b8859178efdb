"""orderkit's state in the ERP's own database (SQLAlchemy 2, Alembic).

``Store`` is the facade the kit uses; the pieces are one module each:
``schema`` (tables), ``migrate`` (Alembic), ``ingest``, ``orders`` (guarded
changes, timeline), ``outbox``, ``deadletters``, ``stock``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from orderkit.clock import Clock, Sleeper, SystemClock
from orderkit.models import Order
from orderkit.store import migrate
from orderkit.store.db import Database, create_engine
from orderkit.store.deadletters import DeadLetter, DeadLetters
from orderkit.store.ingest import Ingestor, IngestResult, MapStatus, Persist, Rejection
from orderkit.store.orders import Orders, StoredOrder, TimelineEvent, TransitionError
from orderkit.store.outbox import Outbox, OutboxEvent
from orderkit.store.schema import Tables, build_tables
from orderkit.store.stock import Balance, Stock, StockLevel

__all__ = [
    "Balance",
    "DeadLetter",
    "IngestResult",
    "OutboxEvent",
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
        self._ingestor = Ingestor(
            self.db,
            self.tables,
            map_status=map_status,
            clock=self.clock,
            persist=persist,
            release=self.stock.release,
            chunk_size=chunk_size,
            dead_letter=self.dead_letters.record,
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
        self, items: Iterable[Order | dict[str, Any] | str | bytes], *, dead_letter: bool = True
    ) -> IngestResult:
        return self._ingestor.ingest(items, dead_letter=dead_letter)

    def replay_dead_letters(self, ids: Iterable[int] | None = None) -> IngestResult:
        def replay_ingest(payloads: list[Any]) -> IngestResult:
            return self.ingest(payloads, dead_letter=False)  # never a second letter

        return self.dead_letters.replay(replay_ingest, list(ids) if ids else None)
