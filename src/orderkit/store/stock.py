"""Stock balances (refreshed from the ERP) and reservations.

A reservation is one conditional ``UPDATE`` of the balance row
(``reserved + q <= available``), so concurrent allocators can never reserve
more than there is. Reservations are idempotent per (order, line, warehouse).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from orderkit.clock import Clock
from orderkit.store.db import Database, utcnow_naive
from orderkit.store.dialect import upsert
from orderkit.store.orders import insert_ignore_prebuilt, insert_ignore_statement
from orderkit.store.schema import Tables

#: One reservation line: (line_id, sku, warehouse, quantity).
Line = tuple[str, str, str, int]


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

    # -- prebuilt statements (see ``Orders``) ----------------------------------------

    @cached_property
    def _balances_of(self) -> sa.Select[Any]:
        b = self._t.stock_balances
        return sa.select(b).where(b.c.sku.in_(sa.bindparam("b_skus", expanding=True)))

    @cached_property
    def _claim_line(self) -> sa.Update:
        r = self._t.reservations
        return r.update().where(
            r.c.order_id == sa.bindparam("b_order"),
            r.c.line_id == sa.bindparam("b_line"),
            r.c.warehouse == sa.bindparam("b_warehouse"),
            r.c.state.in_(("new", "released")),
        )

    @cached_property
    def _set_line(self) -> sa.Update:
        r = self._t.reservations
        return r.update().where(
            r.c.order_id == sa.bindparam("b_order"),
            r.c.line_id == sa.bindparam("b_line"),
            r.c.warehouse == sa.bindparam("b_warehouse"),
        )

    @cached_property
    def _take(self) -> sa.Update:
        b = self._t.stock_balances
        q = sa.bindparam("b_quantity", type_=sa.Integer)
        return (
            b.update()
            .where(
                b.c.sku == sa.bindparam("b_sku"),
                b.c.warehouse == sa.bindparam("b_warehouse"),
                b.c.reserved + q <= b.c.available,
            )
            .values(reserved=b.c.reserved + q)
        )

    @cached_property
    def _give_back(self) -> sa.Update:
        b = self._t.stock_balances
        q = sa.bindparam("b_quantity", type_=sa.Integer)
        gone = sa.bindparam("b_gone", type_=sa.Integer)
        return (
            b.update()
            .where(b.c.sku == sa.bindparam("b_sku"), b.c.warehouse == sa.bindparam("b_warehouse"))
            .values(reserved=b.c.reserved - q, available=b.c.available - gone)
        )

    @cached_property
    def _held(self) -> sa.Select[Any]:
        r = self._t.reservations
        return (
            sa.select(r.c.id, r.c.sku, r.c.warehouse, r.c.quantity)
            .where(r.c.order_id.in_(sa.bindparam("b_orders", expanding=True)))
            .where(r.c.state == "reserved")
            .order_by(r.c.sku, r.c.warehouse)
        )

    @cached_property
    def _move_all_held(self) -> sa.Update:
        r = self._t.reservations
        return (
            r.update()
            .where(r.c.order_id.in_(sa.bindparam("b_orders", expanding=True)))
            .where(r.c.state == "reserved")
            .returning(r.c.id, r.c.sku, r.c.warehouse, r.c.quantity)
        )

    @cached_property
    def _move_held(self) -> sa.Update:
        r = self._t.reservations
        return r.update().where(r.c.id == sa.bindparam("b_id"), r.c.state == "reserved")

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
        with self._db.transaction() as conn:
            return self.balances_in(conn, skus)

    def balances_in(
        self, conn: sa.Connection, skus: Iterable[str] | None = None
    ) -> dict[tuple[str, str], Balance]:
        """``balances`` inside the caller's transaction."""
        if skus is None:
            rows = conn.execute(sa.select(self._t.stock_balances))
        else:
            wanted = sorted(set(skus))
            if not wanted:
                return {}
            rows = conn.execute(self._balances_of, {"b_skus": wanted})
        return {
            (r.sku, r.warehouse): Balance(r.sku, r.warehouse, r.available, r.reserved) for r in rows
        }

    def reserve_all(self, conn: sa.Connection, order_id: str, lines: Sequence[Line]) -> bool:
        """Reserve ``(line_id, sku, warehouse, quantity)`` lines all or nothing:
        if one is short, the lines this call claimed are given back, so the
        caller's transaction (which orderkit may not own) is left as it was."""
        return self.reserve_lines(conn, order_id, lines) is not None

    def reserve_lines(
        self, conn: sa.Connection, order_id: str, lines: Sequence[Line]
    ) -> list[Line] | None:
        """``reserve_all``, saying which lines took stock now (the others were
        reserved before); None if one is short (nothing is kept)."""
        claimed: list[Line] = []
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
                return None
            if outcome == "claimed":
                claimed.append((line_id, sku, warehouse, quantity))
        return claimed

    def lock_free(
        self, conn: sa.Connection, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        """Free units of ``(sku, warehouse)`` balances, kept from other writers
        until the transaction ends (rows locked in key order). SQLite has no
        row locks: a writer in between is caught by ``reserve_new``'s guarded
        UPDATE, and the caller's batch is redone. A balance that does not
        exist is left out (nothing is free)."""
        wanted = set(keys)
        if not wanted:
            return {}
        b = self._t.stock_balances
        query = (
            sa.select(b.c.sku, b.c.warehouse, b.c.available, b.c.reserved)
            .where(b.c.sku.in_(sorted({sku for sku, _ in wanted})))
            .order_by(b.c.sku, b.c.warehouse)
        )
        if conn.dialect.name != "sqlite":
            query = query.with_for_update()
        return {
            (r.sku, r.warehouse): r.available - r.reserved
            for r in conn.execute(query)
            if (r.sku, r.warehouse) in wanted
        }

    def line_states(
        self, conn: sa.Connection, order_ids: Sequence[str]
    ) -> dict[tuple[str, str, str], str]:
        """(order id, line id, warehouse) -> state of the orders' reservation rows."""
        if not order_ids:
            return {}
        r = self._t.reservations
        rows = conn.execute(
            sa.select(r.c.order_id, r.c.line_id, r.c.warehouse, r.c.state).where(
                r.c.order_id.in_(sorted(set(order_ids)))
            )
        )
        return {(row.order_id, row.line_id, row.warehouse): row.state for row in rows}

    def reserve_new(self, conn: sa.Connection, lines: Sequence[tuple[str, Line]]) -> None:
        """Reserve ``(order id, line)`` pairs that have no reservation row yet,
        against balances the caller locked and found sufficient: one statement
        for the rows, one for the balances.

        :raises RuntimeError: a balance was short after all (SQLite: another
            writer came in between); the caller's transaction must not go on.
        """
        if not lines:
            return
        now = utcnow_naive(self._clock.now())
        conn.execute(
            self._t.reservations.insert(),
            [
                {
                    "order_id": order_id,
                    "line_id": line_id,
                    "sku": sku,
                    "warehouse": warehouse,
                    "quantity": quantity,
                    "state": "reserved",
                    "created_at": now,
                    "updated_at": now,
                }
                for order_id, (line_id, sku, warehouse, quantity) in lines
            ],
        )
        totals: dict[tuple[str, str], int] = {}
        for _, (_, sku, warehouse, quantity) in lines:
            totals[sku, warehouse] = totals.get((sku, warehouse), 0) + quantity
        params = [
            {"b_sku": sku, "b_warehouse": warehouse, "b_quantity": quantity}
            for (sku, warehouse), quantity in sorted(totals.items())
        ]
        taken = conn.execute(self._take, params).rowcount
        if taken != len(params):
            raise RuntimeError(f"{len(params) - taken} locked stock balances were short")

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
        now = utcnow_naive(self._clock.now())
        key = {"b_order": order_id, "b_line": line_id, "b_warehouse": warehouse}
        conn.execute(self._set_line, {**key, "state": "released", "updated_at": now})
        conn.execute(
            self._give_back,
            {"b_sku": sku, "b_warehouse": warehouse, "b_quantity": quantity, "b_gone": 0},
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
        now = utcnow_naive(self._clock.now())
        key = {"b_order": order_id, "b_line": line_id, "b_warehouse": warehouse}
        row = {
            "order_id": order_id,
            "line_id": line_id,
            "sku": sku,
            "warehouse": warehouse,
            "quantity": quantity,
            "created_at": now,
            "updated_at": now,
        }
        # Claiming the row is the lock: a racing worker for the same line waits
        # here, then finds it reserved and takes no stock a second time.
        if conn.dialect.name in ("sqlite", "postgresql"):
            # a first reservation inserts the row claimed; their insert-or-skip
            # counts 1 only when it inserted (MySQL's answer cannot tell)
            first = insert_ignore_statement(
                self._t.reservations, conn.dialect.name, "order_id", counted=True
            )
            claimed = conn.execute(first, {**row, "state": "reserved"}).rowcount
        else:
            insert_ignore_prebuilt(
                conn, self._t.reservations, [{**row, "state": "new"}], key="order_id"
            )
            claimed = 0
        if claimed != 1:  # the row was there: claim it if nobody holds it
            claimed = conn.execute(
                self._claim_line,
                {**key, "state": "reserved", "quantity": quantity, "sku": sku, "updated_at": now},
            ).rowcount
        if claimed != 1:
            return "already"  # reserved (or consumed) for this line before
        taken = conn.execute(
            self._take, {"b_sku": sku, "b_warehouse": warehouse, "b_quantity": quantity}
        ).rowcount
        if taken != 1:
            conn.execute(self._set_line, {**key, "state": "released", "updated_at": now})
            return "short"
        return "claimed"

    def release(self, conn: sa.Connection, order_id: str, *, state: str = "released") -> int:
        """Give back every reservation of an order (cancel, refund, re-allocation).
        ``state="consumed"`` marks them shipped instead (stock left the shelf)."""
        return self.release_many(conn, [order_id], state=state)

    def release_many(
        self, conn: sa.Connection, order_ids: Sequence[str], *, state: str = "released"
    ) -> int:
        """``release`` for many orders in a few statements; returns how many
        reservations moved."""
        if not order_ids:
            return 0
        now = utcnow_naive(self._clock.now())
        orders = sorted(set(order_ids))
        moved: Sequence[Any]
        if conn.dialect.update_returning:
            # one statement moves them all and says which it moved
            moved = conn.execute(
                self._move_all_held, {"b_orders": orders, "state": state, "updated_at": now}
            ).all()
        else:
            held = conn.execute(self._held, {"b_orders": orders}).all()
            moved = [
                row
                for row in held
                if conn.execute(
                    self._move_held, {"b_id": row.id, "state": state, "updated_at": now}
                ).rowcount
                == 1
            ]
        if moved:
            # shipped goods left the shelf: take them off ``available`` too, so
            # they are not offered again before the ERP's next stock refresh.
            # One row per balance, in key order (two writers lock alike).
            totals: dict[tuple[str, str], int] = {}
            for row in moved:
                key = (row.sku, row.warehouse)
                totals[key] = totals.get(key, 0) + row.quantity
            conn.execute(
                self._give_back,
                [
                    {
                        "b_sku": sku,
                        "b_warehouse": warehouse,
                        "b_quantity": quantity,
                        "b_gone": quantity if state == "consumed" else 0,
                    }
                    for (sku, warehouse), quantity in sorted(totals.items())
                ],
            )
        return len(moved)
