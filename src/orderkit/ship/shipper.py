"""Waybills in, tracking numbers out: ``kit.ship`` and the run loop's uploads.

The field's headline complaint is "tracking number not synced": an order that
looks shipped while the channel never heard of the waybill. So an order
becomes ``shipped`` only in the transaction that records the channel's
acceptance; a refusal leaves ``upload_failed`` with the platform's error for a
person to see; a transient failure keeps the shipment ``booked`` and due again
after a backoff. Nothing here pretends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog

from orderkit.errors import (
    ChannelAuthError,
    ChannelRateLimited,
    ChannelResponseError,
    OrderKitError,
)
from orderkit.models import Lifecycle, Order, Shipment, ShipmentLine, ShipmentStatus, StatusAxes
from orderkit.ship.rows import (
    BOOKED,
    CLAIM,
    MANUAL_ENTRY,
    UPLOAD_FAILED,
    UPLOADED,
    ShipmentRow,
    ShipmentRows,
)
from orderkit.specs import ShipResult
from orderkit.status.axes import rank as rank_of

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.store import StoredOrder

log = structlog.get_logger("orderkit.ship")

#: Tries of one upload within a call (transient errors), then the run loop's backoff.
INLINE_ATTEMPTS = 3
#: Lifecycles a waybill may be recorded in (before them nothing is decided; after
#: them the order is over).
SHIPPABLE = {
    Lifecycle.PAID,
    Lifecycle.APPROVED,
    Lifecycle.ALLOCATED,
    Lifecycle.PACKED,
    Lifecycle.PARTIALLY_SHIPPED,
    Lifecycle.SHIPPED,
    Lifecycle.IN_TRANSIT,
}


class ShipError(OrderKitError):
    """A waybill cannot be recorded (unknown shipment, finished order, a
    different waybill already accepted by the channel)."""


@dataclass(frozen=True)
class ShipOutcome:
    order_id: str
    shipment_id: str
    #: uploaded | upload_failed | booked (retry due later) | manual_entry
    state: str
    waybill: str | None = None
    courier: str | None = None
    error_code: str | None = None
    error: str | None = None
    retry_at: datetime | None = None

    @property
    def uploaded(self) -> bool:
        return self.state == UPLOADED


def retry_delay(attempts: int) -> timedelta:
    """Backoff of the run loop's upload retries: 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


class Shipper:
    def __init__(self, kit: OrderKit) -> None:
        self._kit = kit
        self.rows = ShipmentRows(kit.store.tables)

    # -- the ERP's warehouse printed a waybill ------------------------------------

    def ship(
        self,
        order_id: str,
        *,
        shipment: str | None,
        courier: str,
        waybill: str,
        actor: str,
    ) -> ShipOutcome:
        """Record a waybill for a shipment and upload it to the channel now.

        Idempotent: the same waybill again returns the recorded outcome (or
        retries a due upload); a different waybill replaces one the channel
        has not accepted yet and is refused once it has.
        """
        waybill = waybill.strip()
        courier = courier.strip()
        if not waybill or not courier:
            raise ShipError("ship: courier and waybill are both required")
        now = self._kit.clock.now()

        def record(conn: sa.Connection) -> tuple[str, bool]:
            stored = self._kit.store.orders.get(order_id, conn)
            target = self._shipment(stored, shipment)
            row = self.rows.get(conn, order_id, target.shipment_id)
            if row is not None and row.waybill == waybill and row.courier == courier:
                return target.shipment_id, row.state == BOOKED and self.rows.claim(
                    conn, order_id, target.shipment_id, now
                )
            if row is not None and row.state == UPLOADED:
                raise ShipError(
                    f"{order_id}/{target.shipment_id}: the channel already accepted waybill "
                    f"{row.waybill} ({row.courier}); change it on the platform, not here"
                )
            self._set_waybill(conn, stored, target, courier, waybill, actor, now)
            return target.shipment_id, True

        shipment_id, claimed = self._kit.store.db.run(record)
        if not claimed:
            return self.outcome(order_id, shipment_id)
        return self._upload(order_id, shipment_id, actor=actor)

    def book(self, order_id: str, shipment_id: str, *, actor: str) -> ShipOutcome:
        """Book the shipment's courier (``book_pickup``), falling back to the
        courier's configured backups; record the waybill and upload it. When no
        courier books it the shipment goes to ``manual_entry`` with an event."""
        from orderkit.decisions import PickupRequest
        from orderkit.errors import CourierError

        stored = self._kit.store.orders.get(order_id)
        target = self._shipment(stored, shipment_id)
        with self._kit.store.db.transaction() as conn:
            row = self.rows.get(conn, order_id, shipment_id)
        if row is not None and row.waybill:
            return self.outcome(order_id, shipment_id)  # booked before (maybe by a person)
        if not target.courier:
            return self._manual_entry(stored, target, "no courier chosen for it", actor)
        request = PickupRequest(
            order=stored.order,
            shipment=target,
            courier=target.courier,
            idempotency_key=f"{order_id}-{shipment_id}",
            sender=self._sender(target.warehouse),
        )
        try:
            # retries and the courier's configured fallbacks happen in there
            booking = self._kit.couriers.book(request)
        except CourierError as exc:
            log.warning(
                "ship.booking_failed", order=order_id, courier=target.courier, error=str(exc)
            )
            return self._manual_entry(stored, target, str(exc), actor)
        return self.ship(
            order_id,
            shipment=shipment_id,
            courier=booking.courier,
            waybill=booking.waybill,
            actor=actor,
        )

    def book_due(self, *, actor: str = "system:book", stop: Any = None) -> int:
        """Book every allocated shipment that has a courier and no waybill yet
        (the run loop's ``book`` job when ``run.book_pickups`` is on); returns
        how many got a waybill."""
        o, t = self._kit.store.tables.orders, self.rows.table
        after = ""
        booked = 0
        while stop is None or not stop():
            with self._kit.store.db.transaction() as conn:
                ids = list(
                    conn.execute(
                        sa.select(o.c.id)
                        .where(o.c.lifecycle == Lifecycle.ALLOCATED.value, o.c.id > after)
                        .order_by(o.c.id)
                        .limit(200)
                    ).scalars()
                )
                recorded = {
                    (r.order_id, r.shipment_id)
                    for r in conn.execute(
                        sa.select(t.c.order_id, t.c.shipment_id).where(t.c.order_id.in_(ids))
                    )
                }
            if not ids:
                break
            after = ids[-1]
            for order_id in ids:
                if stop is not None and stop():
                    break
                stored = self._kit.store.orders.get(order_id)
                for shipment in stored.order.shipments:
                    if shipment.waybill or not shipment.courier:
                        continue
                    if (order_id, shipment.shipment_id) in recorded:
                        continue  # waiting for a person (manual entry) or its upload
                    outcome = self.book(order_id, shipment.shipment_id, actor=actor)
                    booked += int(outcome.waybill is not None)
        return booked

    # -- uploads ----------------------------------------------------------------------

    def upload_due(self, *, limit: int = 200, stop: Any = None) -> int:
        """Upload every due ``booked`` shipment (the run loop's job); returns how
        many were tried."""
        self._kit.store.db.run(lambda conn: self.rows.reclaim_dead(conn, self._kit.clock.now()))
        with self._kit.store.db.transaction() as conn:
            due = self.rows.due(conn, self._kit.clock.now(), limit)
        tried = 0
        for order_id, shipment_id in due:
            if stop is not None and stop():
                break
            claimed = self._kit.store.db.run(partial(self._claim, order_id, shipment_id))
            if claimed:
                self._upload(order_id, shipment_id, actor="system:ship")
                tried += 1
        return tried

    def _claim(self, order_id: str, shipment_id: str, conn: sa.Connection) -> bool:
        return self.rows.claim(conn, order_id, shipment_id, self._kit.clock.now())

    def outcome(self, order_id: str, shipment_id: str) -> ShipOutcome:
        with self._kit.store.db.transaction() as conn:
            row = self.rows.get(conn, order_id, shipment_id)
        if row is None:
            raise ShipError(f"{order_id}/{shipment_id}: no waybill recorded")
        return _outcome(row)

    def _upload(self, order_id: str, shipment_id: str, *, actor: str) -> ShipOutcome:
        """One claimed upload: call the channel (retrying transient errors a few
        times), then record what it said."""
        stored = self._kit.store.orders.get(order_id)
        target = self._shipment(stored, shipment_id)
        result, error = self._call_channel(stored.order, target)
        now = self._kit.clock.now()

        def settle(conn: sa.Connection) -> ShipOutcome:
            row = self.rows.get(conn, order_id, shipment_id)
            if row is None or row.waybill != target.waybill:
                # someone recorded another waybill meanwhile; theirs is due now
                return _outcome(row) if row else ShipOutcome(order_id, shipment_id, BOOKED)
            current = self._kit.store.orders.get(order_id, conn)
            if result is None:
                retry_at = now + retry_delay(row.attempts + 1)
                self.rows.finish(
                    conn, order_id, shipment_id, state=BOOKED, now=now, retry_at=retry_at,
                    error=error,
                )  # fmt: skip
                return ShipOutcome(
                    order_id, shipment_id, BOOKED, target.waybill, target.courier,
                    error=error, retry_at=retry_at,
                )  # fmt: skip
            if result.accepted:
                self.rows.finish(conn, order_id, shipment_id, state=UPLOADED, now=now)
                self._mark(conn, current, shipment_id, ShipmentStatus.SHIPPED, actor, result)
                return ShipOutcome(order_id, shipment_id, UPLOADED, target.waybill, target.courier)
            self.rows.finish(
                conn, order_id, shipment_id, state=UPLOAD_FAILED, now=now,
                error_code=result.error_code, error=result.error_message,
            )  # fmt: skip
            self._mark(conn, current, shipment_id, ShipmentStatus.UPLOAD_FAILED, actor, result)
            return ShipOutcome(
                order_id, shipment_id, UPLOAD_FAILED, target.waybill, target.courier,
                error_code=result.error_code, error=result.error_message,
            )  # fmt: skip

        outcome: ShipOutcome = self._kit.store.db.run(settle)
        log.info(
            "ship.upload",
            order=order_id,
            shipment=shipment_id,
            state=outcome.state,
            error_code=outcome.error_code,
        )
        return outcome

    def _call_channel(self, order: Order, shipment: Shipment) -> tuple[ShipResult | None, str]:
        """The channel's answer, or (None, why) when it should be tried again later."""
        if not self._kit.host.can_ship(order.channel):
            # e.g. the ERP's own shop: there is no platform to tell
            return ShipResult(accepted=True, platform_ref="recorded-only"), ""
        context = self._kit.sync_engine.runtime.context(order.shop_id)
        error = ""
        for attempt in range(1, INLINE_ATTEMPTS + 1):
            try:
                return self._kit.host.ship_order(context, order, shipment), ""
            except ChannelRateLimited as exc:
                error = f"throttled: {exc}"
                if attempt < INLINE_ATTEMPTS:
                    self._kit.sleeper.sleep(exc.retry_after)
            except ChannelAuthError as exc:
                return None, f"session refused: {exc}"  # a token problem; health shows it
            except ChannelResponseError as exc:
                if not exc.transient:
                    # a hard error envelope is the platform refusing: show it
                    return ShipResult(
                        accepted=False, error_code=exc.code, error_message=str(exc)
                    ), ""
                error = str(exc)
                if attempt < INLINE_ATTEMPTS:
                    self._kit.sleeper.sleep(float(2 ** (attempt - 1)))
        return None, error

    # -- writes -----------------------------------------------------------------------

    def _set_waybill(
        self,
        conn: sa.Connection,
        stored: StoredOrder,
        target: Shipment,
        courier: str,
        waybill: str,
        actor: str,
        now: datetime,
    ) -> None:
        order_id = stored.order.id or ""
        shipments = _with_shipment(
            stored.order,
            target.model_copy(
                update={"courier": courier, "waybill": waybill, "status": ShipmentStatus.BOOKED}
            ),
        )
        self._kit.store.orders.change_in(
            conn,
            order_id,
            lambda order: order.model_copy(update={"shipments": shipments}),
            actor=actor,
            reason=f"waybill {waybill} ({courier}) for shipment {target.shipment_id}",
            expected_version=stored.version,
            kind="waybill",
            attempted={"shipment": target.shipment_id, "courier": courier, "waybill": waybill},
        )
        self.rows.record(
            conn,
            order_id=order_id,
            shipment_id=target.shipment_id,
            channel=stored.order.channel,
            shop_id=stored.order.shop_id,
            courier=courier,
            waybill=waybill,
            state=BOOKED,
            actor=actor,
            now=now,
            claim_until=now + CLAIM,  # this call uploads it; the run loop keeps off
        )
        self._kit.store.outbox_add(
            conn,
            "shipment.booked",
            order_id,
            {"order_id": order_id, "shipment_id": target.shipment_id, "courier": courier,
             "waybill": waybill, "actor": actor},
            key=f"{order_id}|{target.shipment_id}|{waybill}",
        )  # fmt: skip

    def _mark(
        self,
        conn: sa.Connection,
        current: StoredOrder,
        shipment_id: str,
        status: ShipmentStatus,
        actor: str,
        result: ShipResult,
    ) -> None:
        order = current.order
        order_id = order.id or ""
        target = next(s for s in order.shipments if s.shipment_id == shipment_id)
        shipments = _with_shipment(order, target.model_copy(update={"status": status}))
        lifecycle = current.lifecycle
        if status is ShipmentStatus.SHIPPED:
            done = all(
                s.status in (ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED) for s in shipments
            )
            wanted = Lifecycle.SHIPPED if done else Lifecycle.PARTIALLY_SHIPPED
            if _before(lifecycle, wanted):
                lifecycle = wanted
        axes = (order.status or StatusAxes(lifecycle=current.lifecycle)).model_copy(
            update={"lifecycle": lifecycle}
        )
        accepted = status is ShipmentStatus.SHIPPED
        reason = (
            f"channel accepted waybill {target.waybill} ({target.courier})"
            if accepted
            else f"channel refused waybill {target.waybill}: {result.error_code} "
            f"{result.error_message or ''}".strip()
        )
        self._kit.store.orders.change_in(
            conn,
            order_id,
            lambda o: o.model_copy(update={"shipments": shipments, "status": axes}),
            actor=actor,
            reason=reason[:500],
            expected_version=current.version,
            kind="tracking_uploaded" if accepted else "tracking_refused",
            to_state=lifecycle,
            detail={"shipment": shipment_id, "platform_ref": result.platform_ref,
                    "error_code": result.error_code},
        )  # fmt: skip
        topic = "shipment.uploaded" if accepted else "shipment.upload_failed"
        payload = {
            "order_id": order_id,
            "shipment_id": shipment_id,
            "courier": target.courier,
            "waybill": target.waybill,
            "lifecycle": lifecycle.value,
            "error_code": result.error_code,
            "error": result.error_message,
        }
        self._kit.store.outbox_add(
            conn, topic, order_id, payload, key=f"{order_id}|{shipment_id}|{target.waybill}"
        )
        if accepted and all(
            s.status in (ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED) for s in shipments
        ):
            # every parcel left: its stock too (even when the platform's echo moved
            # the order to shipped first); releasing twice changes nothing
            self._kit.store.stock.release(conn, order_id, state="consumed")
            self._kit.store.outbox_add(
                conn, "order.shipped", order_id, {"order_id": order_id}, key=order_id
            )

    def _manual_entry(
        self, stored: StoredOrder, target: Shipment, error: str, actor: str
    ) -> ShipOutcome:
        order_id = stored.order.id or ""
        now = self._kit.clock.now()

        def work(conn: sa.Connection) -> None:
            self.rows.record(
                conn,
                order_id=order_id,
                shipment_id=target.shipment_id,
                channel=stored.order.channel,
                shop_id=stored.order.shop_id,
                courier=target.courier,
                waybill=None,
                state=MANUAL_ENTRY,
                actor=actor,
                now=now,
                claim_until=None,
                error=error,
            )
            self._kit.store.orders.add_event(
                conn,
                order_id,
                actor=actor,
                kind="booking_failed",
                reason=f"no courier booked shipment {target.shipment_id}: {error}"[:500],
                from_state=stored.lifecycle.value,
                to_state=stored.lifecycle.value,
                detail={"shipment": target.shipment_id},
            )
            self._kit.store.outbox_add(
                conn,
                "shipment.manual_entry",
                order_id,
                {"order_id": order_id, "shipment_id": target.shipment_id, "error": error},
                key=f"{order_id}|{target.shipment_id}|manual",
            )

        self._kit.store.db.run(work)
        return ShipOutcome(
            order_id, target.shipment_id, MANUAL_ENTRY, courier=target.courier, error=error
        )

    # -- helpers ----------------------------------------------------------------------

    def _shipment(self, stored: StoredOrder, shipment_id: str | None) -> Shipment:
        order = stored.order
        if stored.lifecycle not in SHIPPABLE:
            raise ShipError(f"{order.id}: is {stored.lifecycle.value}; nothing to ship")
        if shipment_id is None:
            if len(order.shipments) > 1:
                ids = ", ".join(s.shipment_id for s in order.shipments)
                raise ShipError(f"{order.id}: has shipments {ids}; say which one")
            if order.shipments:
                return order.shipments[0]
            shipment_id = "p1"
        for candidate in order.shipments:
            if candidate.shipment_id == shipment_id:
                return candidate
        if order.shipments:
            ids = ", ".join(s.shipment_id for s in order.shipments)
            raise ShipError(f"{order.id}: no shipment {shipment_id!r} (it has {ids})")
        # not allocated by orderkit (e.g. the ERP ships it itself): one parcel, every line
        return Shipment(
            shipment_id=shipment_id,
            lines=[
                ShipmentLine(line_id=line.line_id, quantity=line.quantity) for line in order.lines
            ],
        )

    def _sender(self, warehouse: str | None) -> dict[str, Any]:
        for entry in self._kit.config.warehouses:
            if entry.code == warehouse:
                return {k: v for k, v in entry.sender().items() if v}
        return {"warehouse": warehouse}


def _with_shipment(order: Order, shipment: Shipment) -> list[Shipment]:
    found = False
    shipments = []
    for existing in order.shipments:
        if existing.shipment_id == shipment.shipment_id:
            shipments.append(shipment)
            found = True
        else:
            shipments.append(existing)
    return shipments if found else [*shipments, shipment]


def _before(current: Lifecycle, wanted: Lifecycle) -> bool:
    ranks = rank_of(current), rank_of(wanted)
    return ranks[0] is not None and ranks[1] is not None and ranks[0] < ranks[1]


def _outcome(row: ShipmentRow) -> ShipOutcome:
    return ShipOutcome(
        row.order_id,
        row.shipment_id,
        row.state,
        row.waybill,
        row.courier,
        error_code=row.error_code,
        error=row.last_error,
        retry_at=row.next_attempt_at if row.state == BOOKED else None,
    )
