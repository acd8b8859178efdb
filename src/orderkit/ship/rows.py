"""The ``shipments`` table: one row per (order, shipment) once a waybill is
known, saying whether the tracking number reached the channel.

States:

- ``booked``: waybill recorded, upload to the channel due (or being retried);
- ``uploaded``: the channel accepted it (only then is the order ``shipped``);
- ``upload_failed``: the channel refused it; a person must act;
- ``manual_entry``: no courier would book it; a person must enter a waybill.

Claiming a due row is one conditional UPDATE that pushes ``next_attempt_at``
forward, so two workers (or the ERP's ``kit.ship`` and the run loop) never
upload one shipment at the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from orderkit._process import holder_is_dead, process_owner
from orderkit.store.db import aware, utcnow_naive
from orderkit.store.schema import Tables

BOOKED = "booked"
UPLOADED = "uploaded"
UPLOAD_FAILED = "upload_failed"
MANUAL_ENTRY = "manual_entry"

#: How long a claimed upload is kept from other workers.
CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class ShipmentRow:
    order_id: str
    shipment_id: str
    channel: str
    shop_id: str
    courier: str | None
    waybill: str | None
    state: str
    attempts: int
    waybill_at: datetime | None
    uploaded_at: datetime | None
    next_attempt_at: datetime | None
    error_code: str | None
    last_error: str | None


class ShipmentRows:
    def __init__(self, tables: Tables) -> None:
        self._t = tables.shipments

    @property
    def table(self) -> sa.Table:
        return self._t

    # -- prebuilt statements (see ``orderkit.store.orders.Orders``) -------------------

    @cached_property
    def _select_one(self) -> sa.Select[Any]:
        t = self._t
        return sa.select(t).where(
            t.c.order_id == sa.bindparam("b_order"), t.c.shipment_id == sa.bindparam("b_shipment")
        )

    @cached_property
    def _select_of_orders(self) -> sa.Select[Any]:
        t = self._t
        return sa.select(t).where(t.c.order_id.in_(sa.bindparam("b_orders", expanding=True)))

    @cached_property
    def _update_one(self) -> sa.Update:
        # the SET columns come from the parameters' keys
        t = self._t
        return t.update().where(
            t.c.order_id == sa.bindparam("b_order"), t.c.shipment_id == sa.bindparam("b_shipment")
        )

    @cached_property
    def _update_waybill(self) -> sa.Update:
        return self._update_one.where(self._t.c.waybill == sa.bindparam("b_waybill"))

    @cached_property
    def _claim(self) -> sa.Update:
        t = self._t
        at = sa.bindparam("b_at", type_=t.c.next_attempt_at.type)
        return self._update_one.where(
            t.c.state == BOOKED, sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= at)
        )

    @cached_property
    def _finish(self) -> sa.Update:
        return self._update_one.values(attempts=self._t.c.attempts + 1)

    @cached_property
    def _finish_waybill(self) -> sa.Update:
        return self._update_waybill.values(attempts=self._t.c.attempts + 1)

    @cached_property
    def _insert(self) -> sa.Insert:
        return self._t.insert()

    def get(self, conn: sa.Connection, order_id: str, shipment_id: str) -> ShipmentRow | None:
        row = conn.execute(self._select_one, {"b_order": order_id, "b_shipment": shipment_id})
        found = row.first()
        return _row(found) if found is not None else None

    @cached_property
    def _lock_of_orders(self) -> sa.Select[Any]:
        t = self._t
        return self._select_of_orders.order_by(t.c.order_id, t.c.shipment_id).with_for_update()

    def of_orders(
        self, conn: sa.Connection, order_ids: Sequence[str], *, lock: bool = False
    ) -> dict[tuple[str, str], ShipmentRow]:
        """The rows of some orders, by (order id, shipment id). ``lock``: keep
        them from other writers until the transaction ends (SQLite has no row
        locks: ``finish_many``'s guarded UPDATE catches a writer in between)."""
        ids = sorted(set(order_ids))
        if not ids:
            return {}
        locking = lock and conn.dialect.name != "sqlite"
        query = self._lock_of_orders if locking else self._select_of_orders
        found = conn.execute(query, {"b_orders": ids})
        return {(r.order_id, r.shipment_id): _row(r) for r in found}

    def record(
        self,
        conn: sa.Connection,
        recorded: Recorded,
        *,
        state: str,
        now: datetime,
        claim_until: datetime | None,
        error: str | None = None,
    ) -> None:
        """Insert or overwrite the row (a new waybill starts a fresh upload);
        ``recorded.exists``: whether the caller just read the row in this
        transaction (None: not known)."""
        values = self._values(recorded, state, now, claim_until, error)
        updated = 0
        if recorded.exists is not False:
            key = {"b_order": recorded.order_id, "b_shipment": recorded.shipment_id}
            updated = conn.execute(self._update_one, {**key, **values}).rowcount
        if not updated:
            row = {"order_id": recorded.order_id, "shipment_id": recorded.shipment_id}
            conn.execute(self._insert, {**row, **values})

    def record_many(self, conn: sa.Connection, recorded: Sequence[Recorded], now: datetime) -> None:
        """``record`` of many waybills whose rows the caller just read in this
        transaction (``Recorded.exists``), claimed for this process's upload:
        one statement for the new rows, one for the replaced ones."""
        updates: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        claim_until = now + CLAIM
        for r in recorded:
            values = self._values(r, BOOKED, now, claim_until, None)
            if r.exists:
                updates.append({"b_order": r.order_id, "b_shipment": r.shipment_id, **values})
            else:
                inserts.append({"order_id": r.order_id, "shipment_id": r.shipment_id, **values})
        if updates:
            conn.execute(self._update_one, updates)
        if inserts:
            conn.execute(self._insert, inserts)

    @staticmethod
    def _values(
        r: Recorded, state: str, now: datetime, claim_until: datetime | None, error: str | None
    ) -> dict[str, Any]:
        return {
            "channel": r.channel,
            "shop_id": r.shop_id,
            "courier": r.courier,
            "waybill": r.waybill,
            "state": state,
            "actor": r.actor,
            "waybill_at": utcnow_naive(now) if r.waybill else None,
            "uploaded_at": None,
            "attempts": 0,
            "next_attempt_at": utcnow_naive(claim_until) if claim_until else None,
            "claimed_by": process_owner() if claim_until else None,
            "error_code": None,
            "last_error": error,
            "updated_at": utcnow_naive(now),
        }

    def claim(self, conn: sa.Connection, order_id: str, shipment_id: str, now: datetime) -> bool:
        """Take a due ``booked`` row for one upload attempt."""
        at = utcnow_naive(now)
        return bool(
            conn.execute(
                self._claim,
                {
                    "b_order": order_id,
                    "b_shipment": shipment_id,
                    "b_at": at,
                    "next_attempt_at": utcnow_naive(now + CLAIM),
                    "claimed_by": process_owner(),
                    "updated_at": at,
                },
            ).rowcount
        )

    def reclaim_dead(self, conn: sa.Connection, now: datetime) -> int:
        """Make uploads claimed by a killed process of this host due again now."""
        t = self._t
        at = utcnow_naive(now)
        rows = conn.execute(
            sa.select(t.c.order_id, t.c.shipment_id, t.c.claimed_by).where(
                t.c.state == BOOKED, t.c.next_attempt_at > at, t.c.claimed_by.is_not(None)
            )
        ).all()
        freed = 0
        for row in rows:
            if holder_is_dead(row.claimed_by):
                freed += conn.execute(
                    t.update()
                    .where(
                        t.c.order_id == row.order_id,
                        t.c.shipment_id == row.shipment_id,
                        t.c.claimed_by == row.claimed_by,
                    )
                    .values(next_attempt_at=at, claimed_by=None)
                ).rowcount
        return freed

    def due(self, conn: sa.Connection, now: datetime, limit: int) -> list[tuple[str, str]]:
        t = self._t
        at = utcnow_naive(now)
        rows = conn.execute(
            sa.select(t.c.order_id, t.c.shipment_id)
            .where(
                t.c.state == BOOKED,
                sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= at),
            )
            .order_by(t.c.next_attempt_at, t.c.order_id, t.c.shipment_id)
            .limit(limit)
        ).all()
        return [(r.order_id, r.shipment_id) for r in rows]

    def finish(
        self,
        conn: sa.Connection,
        order_id: str,
        shipment_id: str,
        *,
        state: str,
        now: datetime,
        retry_at: datetime | None = None,
        error_code: str | None = None,
        error: str | None = None,
        waybill: str | None = None,
    ) -> bool:
        """Record how an upload went; with ``waybill``, only if the row still
        holds that waybill. True if the row was written."""
        at = utcnow_naive(now)
        values = {
            "b_order": order_id,
            "b_shipment": shipment_id,
            "state": state,
            "uploaded_at": at if state == UPLOADED else None,
            "next_attempt_at": utcnow_naive(retry_at) if retry_at else None,
            "error_code": error_code,
            "claimed_by": None,
            "last_error": (error or "")[:2000] or None,
            "updated_at": at,
        }
        if waybill is None:
            return bool(conn.execute(self._finish, values).rowcount)
        return bool(conn.execute(self._finish_waybill, {**values, "b_waybill": waybill}).rowcount)

    def finish_many(self, conn: sa.Connection, finished: Sequence[Finished], now: datetime) -> None:
        """``finish`` of uploads whose rows the caller locked and found holding
        their waybill: one statement.

        :raises RuntimeError: a row did not hold its waybill after all (SQLite:
            another writer came in between); the caller's transaction must
            not go on.
        """
        at = utcnow_naive(now)
        params = [
            {
                "b_order": f.order_id,
                "b_shipment": f.shipment_id,
                "b_waybill": f.waybill,
                "state": f.state,
                "uploaded_at": at if f.state == UPLOADED else None,
                "next_attempt_at": None,
                "error_code": f.error_code,
                "claimed_by": None,
                "last_error": (f.error or "")[:2000] or None,
                "updated_at": at,
            }
            for f in finished
        ]
        if params:
            written = conn.execute(self._finish_waybill, params).rowcount
            if written != len(params):
                raise RuntimeError(f"{len(params) - written} locked shipment rows did not update")


@dataclass(frozen=True)
class Recorded:
    """A shipment's waybill (or the lack of one) for ``ShipmentRows.record``."""

    order_id: str
    shipment_id: str
    channel: str
    shop_id: str
    courier: str | None
    waybill: str | None
    actor: str
    #: the row was there when the caller read it (it is overwritten); None: not known
    exists: bool | None = None


@dataclass(frozen=True)
class Finished:
    """An upload's outcome for ``ShipmentRows.finish_many``."""

    order_id: str
    shipment_id: str
    waybill: str
    state: str
    error_code: str | None = None
    error: str | None = None


def _row(r: sa.Row[tuple[object, ...]]) -> ShipmentRow:
    m = r._mapping
    return ShipmentRow(
        order_id=m["order_id"],
        shipment_id=m["shipment_id"],
        channel=m["channel"],
        shop_id=m["shop_id"],
        courier=m["courier"],
        waybill=m["waybill"],
        state=m["state"],
        attempts=int(m["attempts"] or 0),
        waybill_at=aware(m["waybill_at"]),
        uploaded_at=aware(m["uploaded_at"]),
        next_attempt_at=aware(m["next_attempt_at"]),
        error_code=m["error_code"],
        last_error=m["last_error"],
    )
