"""Stock balances (refreshed from the ERP) and reservations.

A reservation is one conditional ``UPDATE`` of the balance row
(``reserved + q <= available``), so concurrent allocators can never reserve
more than there is. Reservations are idempotent per (order, line, warehouse).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from orderkit.clock import Clock
from orderkit.store.db import Database, utcnow_naive
from orderkit.store.dialect import insert_ignore, upsert
from orderkit.store.schema import Tables


@dataclass(frozen=True)
class StockLevel:
    """What the ERP says is on hand."""

    sku: str
    warehouse: str
    available: int


@dataclass(frozen=True)
class Balance:
    sku: str
    warehouse: str
    available: int
    reserved: int

    @property
    def free(self) -> int:
        return self.available - self.reserved


class Stock:
    def __init__(self, db: Database, tables: Tables, clock: Clock) -> None:
        self._db = db
        self._t = tables
        self._clock = clock

    def refresh(self, levels: Iterable[StockLevel], *, full: bool = False) -> int:
        """Set on-hand quantities from the ERP; reservations are kept."""
        with self._db.transaction() as conn:
            return self.refresh_in(conn, levels, full=full)

    def refresh_in(
        self, conn: sa.Connection, levels: Iterable[StockLevel], *, full: bool = False
    ) -> int:
        """``refresh`` inside the caller's transaction. With ``full`` the levels
        are everything the ERP has: balances it did not mention drop to 0."""
        b = self._t.stock_balances
        now = utcnow_naive(self._clock.now())
        rows = [
            {
                "sku": s.sku,
                "warehouse": s.warehouse,
                "available": s.available,
                "reserved": 0,
                "refreshed_at": now,
            }
            for s in levels
        ]
        upsert(
            conn,
            b,
            rows,
            conflict=("sku", "warehouse"),
            update={
                "available": lambda new: new.available,
                "refreshed_at": lambda new: new.refreshed_at,
            },
        )
        if full:
            conn.execute(
                b.update().where(b.c.refreshed_at < now).values(available=0, refreshed_at=now)
            )
        return len(rows)

    def balances(self, skus: Iterable[str] | None = None) -> dict[tuple[str, str], Balance]:
        b = self._t.stock_balances
        query = sa.select(b)
        if skus is not None:
            query = query.where(b.c.sku.in_(list(skus)))
        with self._db.transaction() as conn:
            return {
                (r.sku, r.warehouse): Balance(r.sku, r.warehouse, r.available, r.reserved)
                for r in conn.execute(query)
            }

    def reserve_all(
        self, conn: sa.Connection, order_id: str, lines: Sequence[tuple[str, str, str, int]]
    ) -> bool:
        """Reserve ``(line_id, sku, warehouse, quantity)`` lines all or nothing:
        if one is short, the lines this call claimed are given back, so the
        caller's transaction (which orderkit may not own) is left as it was."""
        claimed: list[tuple[str, str, str, int]] = []
        for line_id, sku, warehouse, quantity in lines:
            outcome = self._reserve(
                conn,
                order_id=order_id,
                line_id=line_id,
                sku=sku,
                warehouse=warehouse,
                quantity=quantity,
            )
            if outcome == "short":
                for undo in claimed:
                    self._unreserve(conn, order_id, *undo)
                return False
            if outcome == "claimed":
                claimed.append((line_id, sku, warehouse, quantity))
        return True

    def reserve(
        self,
        conn: sa.Connection,
        *,
        order_id: str,
        line_id: str,
        sku: str,
        warehouse: str,
        quantity: int,
    ) -> bool:
        """Reserve one line within the caller's transaction. True if reserved
        (now or before, for this order line and warehouse); False if short."""
        outcome = self._reserve(
            conn,
            order_id=order_id,
            line_id=line_id,
            sku=sku,
            warehouse=warehouse,
            quantity=quantity,
        )
        return outcome != "short"

    def _unreserve(
        self,
        conn: sa.Connection,
        order_id: str,
        line_id: str,
        sku: str,
        warehouse: str,
        quantity: int,
    ) -> None:
        r, b = self._t.reservations, self._t.stock_balances
        now = utcnow_naive(self._clock.now())
        conn.execute(
            r.update()
            .where(r.c.order_id == order_id, r.c.line_id == line_id, r.c.warehouse == warehouse)
            .values(state="released", updated_at=now)
        )
        conn.execute(
            b.update()
            .where(b.c.sku == sku, b.c.warehouse == warehouse)
            .values(reserved=b.c.reserved - quantity)
        )

    def _reserve(
        self,
        conn: sa.Connection,
        *,
        order_id: str,
        line_id: str,
        sku: str,
        warehouse: str,
        quantity: int,
    ) -> str:
        """ "claimed" (taken now), "already" (held before) or "short"."""
        r, b = self._t.reservations, self._t.stock_balances
        now = utcnow_naive(self._clock.now())
        key = (r.c.order_id == order_id, r.c.line_id == line_id, r.c.warehouse == warehouse)
        insert_ignore(
            conn,
            r,
            [
                {
                    "order_id": order_id,
                    "line_id": line_id,
                    "sku": sku,
                    "warehouse": warehouse,
                    "quantity": quantity,
                    "state": "new",
                    "created_at": now,
                    "updated_at": now,
                }
            ],
            key="order_id",
        )
        # Claiming the row is the lock: a racing worker for the same line waits
        # here, then finds it reserved and takes no stock a second time.
        claimed = conn.execute(
            r.update()
            .where(*key, r.c.state.in_(("new", "released")))
            .values(state="reserved", quantity=quantity, sku=sku, updated_at=now)
        ).rowcount
        if claimed != 1:
            return "already"  # reserved (or consumed) for this line before
        taken = conn.execute(
            b.update()
            .where(
                b.c.sku == sku, b.c.warehouse == warehouse, b.c.reserved + quantity <= b.c.available
            )
            .values(reserved=b.c.reserved + quantity)
        ).rowcount
        if taken != 1:
            conn.execute(r.update().where(*key).values(state="released", updated_at=now))
            return "short"
        return "claimed"

    def release(self, conn: sa.Connection, order_id: str, *, state: str = "released") -> int:
        """Give back every reservation of an order (cancel, refund, re-allocation).
        ``state="consumed"`` marks them shipped instead (stock left the shelf)."""
        r, b = self._t.reservations, self._t.stock_balances
        held = conn.execute(
            sa.select(r.c.id, r.c.sku, r.c.warehouse, r.c.quantity)
            .where(r.c.order_id == order_id, r.c.state == "reserved")
            .order_by(r.c.sku, r.c.warehouse)
        ).all()
        now = utcnow_naive(self._clock.now())
        released = 0
        for row in held:
            moved = conn.execute(
                r.update()
                .where(r.c.id == row.id, r.c.state == "reserved")
                .values(state=state, updated_at=now)
            ).rowcount
            if moved == 1:
                # shipped goods left the shelf: take them off ``available`` too, so
                # they are not offered again before the ERP's next stock refresh
                gone = row.quantity if state == "consumed" else 0
                conn.execute(
                    b.update()
                    .where(b.c.sku == row.sku, b.c.warehouse == row.warehouse)
                    .values(reserved=b.c.reserved - row.quantity, available=b.c.available - gone)
                )
                released += 1
        return released
