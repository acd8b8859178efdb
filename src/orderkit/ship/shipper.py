"""Waybills in, tracking numbers out: ``kit.ship`` and the run loop's uploads.

The field's headline complaint is "tracking number not synced": an order that
looks shipped while the channel never heard of the waybill. So an order
becomes ``shipped`` only in the transaction that records the channel's
acceptance; a refusal leaves ``upload_failed`` with the platform's error for a
person to see; a transient failure keeps the shipment ``booked`` and due again
after a backoff. Nothing here pretends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog

from orderkit.errors import (
    ChannelAuthError,
    ChannelRateLimited,
    ChannelResponseError,
    ConflictError,
    OrderKitError,
    OrderNotFound,
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
    from orderkit.store.orders import ChangeEvent

log = structlog.get_logger("orderkit.ship")

#: Tries of one upload within a call (transient errors), then the run loop's backoff.
INLINE_ATTEMPTS = 3
#: ``ship_many`` records this many waybills per transaction before uploading them
#: (well within ``CLAIM``, which keeps the run loop off them meanwhile).
RECORD_CHUNK = 50
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


@dataclass(frozen=True)
class Waybill:
    """A waybill the ERP's warehouse printed, for ``Shipper.ship_many``;
    ``shipment`` may be left out when the order has one."""

    order_id: str
    courier: str
    waybill: str
    shipment: str | None = None


@dataclass
class ShipBatch:
    """What ``ship_many`` did: the outcome of each waybill that went through,
    and the waybills refused (or whose upload broke) with why."""

    outcomes: list[ShipOutcome] = field(default_factory=list)
    failed: list[tuple[Waybill, Exception]] = field(default_factory=list)


@dataclass(frozen=True)
class _Recorded:
    """What recording a waybill did: the shipment, the order as written (None
    when nothing was written) and the outcome already recorded (None: this
    call uploads it now)."""

    shipment_id: str
    order: StoredOrder | None
    outcome: ShipOutcome | None


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
        return self._ship_one(Waybill(order_id, courier, waybill, shipment), actor, None)

    def ship_many(self, waybills: Sequence[Waybill], *, actor: str) -> ShipBatch:
        """``ship`` for many waybills (a warehouse's print run): they are
        recorded in one transaction per ``RECORD_CHUNK``, then each is uploaded
        and the channel's answer recorded in a transaction of its own, as
        ``ship`` does. A waybill ``ship`` would refuse is in ``failed``; the
        others go on. An order that changes after its waybill is recorded is
        marked as it is when the channel's answer comes."""
        batch = ShipBatch()
        for start in range(0, len(waybills), RECORD_CHUNK):
            self._ship_chunk(waybills[start : start + RECORD_CHUNK], actor, {}, batch, strict=False)
        return batch

    def _ship_one(self, wanted: Waybill, actor: str, known: StoredOrder | None) -> ShipOutcome:
        """``ship``; ``known`` is the order as the caller read it (read again
        if it changed since)."""
        batch = ShipBatch()
        known_orders = {wanted.order_id: known} if known else {}
        self._ship_chunk([wanted], actor, known_orders, batch, strict=True)
        if batch.failed:
            raise batch.failed[0][1]
        return batch.outcomes[0]

    def _ship_chunk(
        self,
        waybills: Sequence[Waybill],
        actor: str,
        known: dict[str, StoredOrder],
        batch: ShipBatch,
        *,
        strict: bool,
    ) -> None:
        """Record ``waybills`` in one transaction, then upload each; what
        happened lands in ``batch``. ``strict``: an upload that breaks raises
        (``ship``) instead of landing in ``batch.failed``."""
        wanted: list[Waybill] = []
        for given in waybills:
            cleaned = Waybill(
                given.order_id, given.courier.strip(), given.waybill.strip(), given.shipment
            )
            if not cleaned.waybill or not cleaned.courier:
                batch.failed.append(
                    (given, ShipError("ship: courier and waybill are both required"))
                )
            else:
                wanted.append(cleaned)
        if not wanted:
            return
        now = self._kit.clock.now()
        recorded: list[tuple[Waybill, _Recorded | OrderKitError | None]]
        recorded = self._kit.store.db.run(partial(self._record, wanted, actor, known, now))
        # the orders as this call wrote them; an upload reads any other one afresh
        latest: dict[str, StoredOrder] = {}
        for item, done in recorded:
            if isinstance(done, _Recorded) and done.order is not None:
                latest[item.order_id] = done.order
        later: list[Waybill] = []
        for item, done in recorded:
            if done is None:
                later.append(item)
            elif isinstance(done, OrderKitError):
                batch.failed.append((item, done))
            elif done.outcome is not None:
                batch.outcomes.append(done.outcome)
            else:
                try:
                    outcome, written = self._upload_one(
                        item.order_id, done.shipment_id, actor, latest.pop(item.order_id, None)
                    )
                except Exception as exc:
                    if strict:
                        raise
                    # its row stays claimed; the run loop's upload job tries again later
                    batch.failed.append((item, exc))
                    continue
                if written is not None:
                    latest[item.order_id] = written
                batch.outcomes.append(outcome)
        for item in later:  # a second waybill for one shipment: after the first
            self._ship_chunk([item], actor, {}, batch, strict=strict)

    def _record(
        self,
        wanted: Sequence[Waybill],
        actor: str,
        known: dict[str, StoredOrder],
        now: datetime,
        conn: sa.Connection,
    ) -> list[tuple[Waybill, _Recorded | OrderKitError | None]]:
        """Record the waybills in one transaction. Per waybill: what was done,
        why not, or None for a second waybill of a shipment (it waits)."""
        orders = self._kit.store.orders
        latest = {
            **known,
            **orders.get_many([w.order_id for w in wanted if w.order_id not in known], conn),
        }
        rows = self.rows.of_orders(conn, [w.order_id for w in wanted])
        seen: set[tuple[str, str]] = set()
        out: list[tuple[Waybill, _Recorded | OrderKitError | None]] = []
        for item in wanted:
            stored = latest.get(item.order_id)
            try:
                if stored is None:
                    raise OrderNotFound(f"no order with id {item.order_id!r}")
                key = (item.order_id, self._shipment(stored, item.shipment).shipment_id)
                if key in seen:
                    out.append((item, None))
                    continue
                seen.add(key)
                try:
                    done = self._record_one(conn, stored, item, rows.get(key), actor, now)
                except ConflictError:
                    if item.order_id not in known:
                        raise
                    # it changed since the caller read it: as if read now
                    stored = orders.get(item.order_id, conn)
                    row = self.rows.get(conn, *key)
                    done = self._record_one(conn, stored, item, row, actor, now)
            except OrderKitError as exc:  # nothing of this waybill was written
                out.append((item, exc))
                continue
            if done.order is not None:
                latest[item.order_id] = done.order
            out.append((item, done))
        return out

    def _record_one(
        self,
        conn: sa.Connection,
        stored: StoredOrder,
        item: Waybill,
        row: ShipmentRow | None,
        actor: str,
        now: datetime,
    ) -> _Recorded:
        order_id, courier, waybill = item.order_id, item.courier, item.waybill
        target = self._shipment(stored, item.shipment)
        if row is not None and row.waybill == waybill and row.courier == courier:
            if row.state == BOOKED and self.rows.claim(conn, order_id, target.shipment_id, now):
                return _Recorded(target.shipment_id, None, None)  # a due retry: upload it
            return _Recorded(target.shipment_id, None, _outcome(row))
        if row is not None and row.state == UPLOADED:
            raise ShipError(
                f"{order_id}/{target.shipment_id}: the channel already accepted waybill "
                f"{row.waybill} ({row.courier}); change it on the platform, not here"
            )
        written = self._set_waybill(
            conn, stored, target, courier, waybill, actor, now, row_exists=row is not None
        )
        return _Recorded(target.shipment_id, written, None)

    def book(self, order_id: str, shipment_id: str, *, actor: str) -> ShipOutcome:
        """Book the shipment's courier (``book_pickup``), falling back to the
        courier's configured backups; record the waybill and upload it. When no
        courier books it the shipment goes to ``manual_entry`` with an event."""
        return self._book(order_id, shipment_id, actor, None)

    def _book(
        self, order_id: str, shipment_id: str, actor: str, known: StoredOrder | None
    ) -> ShipOutcome:
        from orderkit.decisions import PickupRequest
        from orderkit.errors import CourierError

        stored = known if known is not None else self._kit.store.orders.get(order_id)
        target = self._shipment(stored, shipment_id)
        with self._kit.store.db.transaction() as conn:
            row = self.rows.get(conn, order_id, shipment_id)
        if row is not None and row.waybill:
            return _outcome(row)  # booked before (maybe by a person)
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
        return self._ship_one(
            Waybill(order_id, booking.courier, booking.waybill, shipment_id), actor, stored
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
                latest: StoredOrder | None = stored
                for shipment in stored.order.shipments:
                    if shipment.waybill or not shipment.courier:
                        continue
                    if (order_id, shipment.shipment_id) in recorded:
                        continue  # waiting for a person (manual entry) or its upload
                    outcome = self._book(order_id, shipment.shipment_id, actor, latest)
                    latest = None  # booking wrote the order: the next parcel reads it again
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
            if claimed is not None:
                self._upload_one(order_id, shipment_id, "system:ship", claimed)
                tried += 1
        return tried

    def _claim(self, order_id: str, shipment_id: str, conn: sa.Connection) -> StoredOrder | None:
        """Claim a due upload; the order to upload, or None if someone else has it."""
        if not self.rows.claim(conn, order_id, shipment_id, self._kit.clock.now()):
            return None
        return self._kit.store.orders.get(order_id, conn)

    def outcome(self, order_id: str, shipment_id: str) -> ShipOutcome:
        with self._kit.store.db.transaction() as conn:
            row = self.rows.get(conn, order_id, shipment_id)
        if row is None:
            raise ShipError(f"{order_id}/{shipment_id}: no waybill recorded")
        return _outcome(row)

    def _upload_one(
        self, order_id: str, shipment_id: str, actor: str, stored: StoredOrder | None
    ) -> tuple[ShipOutcome, StoredOrder | None]:
        """One claimed upload: call the channel (retrying transient errors a few
        times), then record what it said. ``stored``: the order as last written,
        if known; returns the outcome and the order as this wrote it (None: not
        written, or not known)."""
        if stored is None:
            stored = self._kit.store.orders.get(order_id)
        known = stored
        target = self._shipment(stored, shipment_id)
        result, error = self._call_channel(stored.order, target)
        now = self._kit.clock.now()

        def settle(conn: sa.Connection) -> tuple[ShipOutcome, StoredOrder | None]:
            if result is not None and target.waybill is not None:
                # the usual answer in one statement: finish the row if it still
                # holds this waybill, then mark the order
                accepted = result.accepted
                if self.rows.finish(
                    conn,
                    order_id,
                    shipment_id,
                    state=UPLOADED if accepted else UPLOAD_FAILED,
                    now=now,
                    error_code=None if accepted else result.error_code,
                    error=None if accepted else result.error_message,
                    waybill=target.waybill,
                ):
                    return self._settled(conn, known, target, result, actor)
            row = self.rows.get(conn, order_id, shipment_id)
            if row is None or row.waybill != target.waybill:
                # someone recorded another waybill meanwhile; theirs is due now
                got = _outcome(row) if row else ShipOutcome(order_id, shipment_id, BOOKED)
                return got, None
            if result is None:
                retry_at = now + retry_delay(row.attempts + 1)
                self.rows.finish(
                    conn, order_id, shipment_id, state=BOOKED, now=now, retry_at=retry_at,
                    error=error,
                )  # fmt: skip
                return ShipOutcome(
                    order_id, shipment_id, BOOKED, target.waybill, target.courier,
                    error=error, retry_at=retry_at,
                ), known  # fmt: skip
            if result.accepted:
                self.rows.finish(conn, order_id, shipment_id, state=UPLOADED, now=now)
            else:
                self.rows.finish(
                    conn, order_id, shipment_id, state=UPLOAD_FAILED, now=now,
                    error_code=result.error_code, error=result.error_message,
                )  # fmt: skip
            return self._settled(conn, known, target, result, actor)

        outcome, written = self._kit.store.db.run(settle)
        log.info(
            "ship.upload",
            order=order_id,
            shipment=shipment_id,
            state=outcome.state,
            error_code=outcome.error_code,
        )
        return outcome, written

    def _settled(
        self,
        conn: sa.Connection,
        known: StoredOrder,
        target: Shipment,
        result: ShipResult,
        actor: str,
    ) -> tuple[ShipOutcome, StoredOrder]:
        """Mark the order after the channel answered (its row is finished);
        returns the outcome and the order as written."""
        order_id, shipment_id = known.order.id or "", target.shipment_id
        status = ShipmentStatus.SHIPPED if result.accepted else ShipmentStatus.UPLOAD_FAILED
        try:
            written = self._mark(conn, known, shipment_id, status, actor, result)
        except ConflictError:  # it changed since it was read: mark it as it is now
            current = self._kit.store.orders.get(order_id, conn)
            written = self._mark(conn, current, shipment_id, status, actor, result)
        if result.accepted:
            uploaded = ShipOutcome(order_id, shipment_id, UPLOADED, target.waybill, target.courier)
            return uploaded, written
        return ShipOutcome(
            order_id, shipment_id, UPLOAD_FAILED, target.waybill, target.courier,
            error_code=result.error_code, error=result.error_message,
        ), written  # fmt: skip

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
        *,
        row_exists: bool | None = None,
    ) -> StoredOrder:
        order_id = stored.order.id or ""
        shipments = _with_shipment(
            stored.order,
            target.model_copy(
                update={"courier": courier, "waybill": waybill, "status": ShipmentStatus.BOOKED}
            ),
        )
        booked = {"order_id": order_id, "shipment_id": target.shipment_id, "courier": courier,
                  "waybill": waybill, "actor": actor}  # fmt: skip
        written = self._kit.store.orders.change_in(
            conn,
            order_id,
            lambda order: order.model_copy(update={"shipments": shipments}),
            actor=actor,
            reason=f"waybill {waybill} ({courier}) for shipment {target.shipment_id}",
            expected_version=stored.version,
            kind="waybill",
            attempted={"shipment": target.shipment_id, "courier": courier, "waybill": waybill},
            current=stored,
            events=[("shipment.booked", booked, f"{order_id}|{target.shipment_id}|{waybill}")],
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
            exists=row_exists,
        )
        return written

    def _mark(
        self,
        conn: sa.Connection,
        current: StoredOrder,
        shipment_id: str,
        status: ShipmentStatus,
        actor: str,
        result: ShipResult,
    ) -> StoredOrder:
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
        events: list[ChangeEvent] = [(topic, payload, f"{order_id}|{shipment_id}|{target.waybill}")]
        # every parcel left: its stock too (even when the platform's echo moved
        # the order to shipped first); releasing twice changes nothing
        gone = accepted and all(
            s.status in (ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED) for s in shipments
        )
        if gone:
            events.append(("order.shipped", {"order_id": order_id}, order_id))
        written = self._kit.store.orders.change_in(
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
            current=current,
            events=events,
        )  # fmt: skip
        if gone:
            self._kit.store.stock.release(conn, order_id, state="consumed")
        return written

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
