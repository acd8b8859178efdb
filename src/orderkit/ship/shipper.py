"""Waybills in, tracking numbers out: ``kit.ship`` and the run loop's uploads.

The field's headline complaint is "tracking number not synced": an order that
looks shipped while the channel never heard of the waybill. So an order
becomes ``shipped`` only in the transaction that records the channel's
acceptance; a refusal leaves ``upload_failed`` with the platform's error for a
person to see; a transient failure keeps the shipment ``booked`` and due again
after a backoff. Nothing here pretends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    Finished,
    Recorded,
    ShipmentRow,
    ShipmentRows,
)
from orderkit.specs import ShipResult
from orderkit.status.axes import rank as rank_of

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.store import StoredOrder
    from orderkit.store.orders import ChangeEvent, PendingChange

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
class _Upload:
    """One upload's call to the channel, before its answer is recorded."""

    item: Waybill
    #: where its outcome goes in the caller's list
    slot: int
    #: the order as last written (with the waybill on ``target``)
    known: StoredOrder
    target: Shipment
    #: the channel's answer; None: try again later (``error`` says why)
    result: ShipResult | None
    error: str
    now: datetime

    @property
    def order_id(self) -> str:
        return self.known.order.id or self.item.order_id

    @property
    def shipment_id(self) -> str:
        return self.target.shipment_id


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
        """``ship`` for many waybills (a warehouse's print run): per chunk of
        ``RECORD_CHUNK``, the waybills are recorded in one transaction, each is
        uploaded, and the channel's answers are recorded in one more. A waybill
        ``ship`` would refuse is in ``failed``; the others go on. An order that
        changes after its waybill is recorded is marked as it is when the
        channel's answer comes. A crash before the answers are recorded loses
        nothing: the rows stay claimed as ``booked`` and the run loop uploads
        the same waybills again once the claim runs out."""
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
        """Record ``waybills`` in one transaction, upload each, then record
        the channel's answers in one more; what happened lands in ``batch``.
        ``strict``: an upload that breaks raises (``ship``) instead of landing
        in ``batch.failed``.

        A crash between an upload and its answer being recorded leaves the row
        claimed as ``booked``: the run loop uploads the same waybill again once
        the claim runs out, which the channels accept (same order, same waybill).
        """
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
        db = self._kit.store.db
        now = self._kit.clock.now()
        recorded: list[tuple[Waybill, _Recorded | OrderKitError | None]]
        recorded = db.run(partial(self._record, wanted, actor, known, now))
        # the orders as this call wrote them; an upload reads any other one afresh
        latest: dict[str, StoredOrder] = {}
        for item, done in recorded:
            if isinstance(done, _Recorded) and done.order is not None:
                latest[item.order_id] = done.order
        later: list[Waybill] = []
        results: list[tuple[Waybill, ShipOutcome | Exception]] = []
        uploads: list[_Upload] = []
        for item, done in recorded:
            if done is None:
                later.append(item)
            elif isinstance(done, OrderKitError):
                results.append((item, done))
            elif done.outcome is not None:
                results.append((item, done.outcome))
            else:
                try:
                    stored = latest.get(item.order_id) or self._kit.store.orders.get(item.order_id)
                    latest[item.order_id] = stored
                    uploads.append(self._upload(item, done.shipment_id, stored, len(results)))
                except Exception as exc:
                    if strict:
                        raise
                    # its row stays claimed; the run loop's upload job tries again later
                    results.append((item, exc))
                    continue
                results.append((item, ShipError("not settled")))  # its slot; set below
        if uploads:
            for upload, answered in zip(uploads, self._settle(uploads, actor, strict), strict=True):
                results[upload.slot] = (upload.item, answered)
                if isinstance(answered, ShipOutcome):
                    _log_upload(answered)
        for item, result in results:
            if isinstance(result, ShipOutcome):
                batch.outcomes.append(result)
            else:
                batch.failed.append((item, result))
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
        why not, or None for a second waybill of a shipment (it waits).

        New waybills are worked out in memory first (two parcels of one order
        build on each other) and written together; one whose order moved on
        meanwhile is recorded again on the order as it is now.
        """
        orders = self._kit.store.orders
        latest = {
            **known,
            **orders.get_many([w.order_id for w in wanted if w.order_id not in known], conn),
        }
        rows = self.rows.of_orders(conn, [w.order_id for w in wanted])
        seen: set[tuple[str, str]] = set()
        out: list[tuple[Waybill, _Recorded | OrderKitError | None]] = []
        planned: list[tuple[int, Waybill, PendingChange, Recorded]] = []
        for item in wanted:
            stored = latest.get(item.order_id)
            try:
                if stored is None:
                    raise OrderNotFound(f"no order with id {item.order_id!r}")
                target = self._shipment(stored, item.shipment)
                key = (item.order_id, target.shipment_id)
                if key in seen:
                    out.append((item, None))
                    continue
                seen.add(key)
                row = rows.get(key)
                before = self._recorded_before(conn, item, target, row, now)
                if before is not None:
                    out.append((item, before))
                    continue
                change = self._waybill_change(stored, target, item.courier, item.waybill, actor)
            except OrderKitError as exc:  # nothing of this waybill was written
                out.append((item, exc))
                continue
            latest[item.order_id] = change.written
            booked = _row_of(
                stored, target.shipment_id, item.courier, item.waybill, actor, row is not None
            )
            planned.append((len(out), item, change, booked))
            out.append((item, _Recorded(target.shipment_id, change.written, None)))
        stale = {id(change) for change in orders.write_many(conn, [p[2] for p in planned])}
        self.rows.record_many(conn, [p[3] for p in planned if id(p[2]) not in stale], now)
        for slot, item, change, booked in planned:
            if id(change) not in stale:
                continue
            try:  # it changed since it was read: as if read now
                current = orders.get(item.order_id, conn, lock=True)
                row = self.rows.get(conn, item.order_id, booked.shipment_id)
                out[slot] = (item, self._record_one(conn, current, item, row, actor, now))
            except OrderKitError as exc:
                out[slot] = (item, exc)
        return out

    def _recorded_before(
        self,
        conn: sa.Connection,
        item: Waybill,
        target: Shipment,
        row: ShipmentRow | None,
        now: datetime,
    ) -> _Recorded | None:
        """What to do with a waybill its shipment's row already knows (None:
        it is new)."""
        if row is not None and row.waybill == item.waybill and row.courier == item.courier:
            if row.state == BOOKED and self.rows.claim(
                conn, item.order_id, target.shipment_id, now
            ):
                return _Recorded(target.shipment_id, None, None)  # a due retry: upload it
            return _Recorded(target.shipment_id, None, _outcome(row))
        if row is not None and row.state == UPLOADED:
            raise ShipError(
                f"{item.order_id}/{target.shipment_id}: the channel already accepted waybill "
                f"{row.waybill} ({row.courier}); change it on the platform, not here"
            )
        return None

    def _record_one(
        self,
        conn: sa.Connection,
        stored: StoredOrder,
        item: Waybill,
        row: ShipmentRow | None,
        actor: str,
        now: datetime,
    ) -> _Recorded:
        target = self._shipment(stored, item.shipment)
        before = self._recorded_before(conn, item, target, row, now)
        if before is not None:
            return before
        written = self._set_waybill(
            conn, stored, target, item.courier, item.waybill, actor, now, row_exists=row is not None
        )
        return _Recorded(target.shipment_id, written, None)

    def book(self, order_id: str, shipment_id: str, *, actor: str) -> ShipOutcome:
        """Book the shipment's courier (``book_pickup``), falling back to the
        courier's configured backups; record the waybill and upload it. When no
        courier books it the shipment goes to ``manual_entry`` with an event."""
        stored = self._kit.store.orders.get(order_id)
        booked = self._booking(stored, shipment_id, actor)
        if isinstance(booked, ShipOutcome):
            return booked
        return self._ship_one(booked, actor, stored)

    def book_many(
        self,
        shipments: Sequence[tuple[str, str]],
        *,
        actor: str,
        stop: Callable[[], bool] | None = None,
    ) -> ShipBatch:
        """``book`` for many ``(order id, shipment id)``: a warehouse's print
        run. Each courier is booked (one call per parcel, with its fallbacks);
        then, per chunk of ``RECORD_CHUNK``, the waybills are recorded,
        uploaded and answered together, as ``ship_many`` does. A shipment no
        courier books goes to ``manual_entry`` (its outcome says so); one that
        cannot be booked at all is in ``failed`` with an empty waybill."""
        batch = ShipBatch()
        orders = self._kit.store.orders.get_many(order_id for order_id, _ in shipments)
        for start in range(0, len(shipments), RECORD_CHUNK):
            waybills: list[Waybill] = []
            for order_id, shipment_id in shipments[start : start + RECORD_CHUNK]:
                if stop is not None and stop():
                    break
                try:
                    stored = orders.get(order_id)
                    if stored is None:
                        raise OrderNotFound(f"no order with id {order_id!r}")
                    booked = self._booking(stored, shipment_id, actor)
                except OrderKitError as exc:
                    batch.failed.append((Waybill(order_id, "", "", shipment_id), exc))
                    continue
                if isinstance(booked, ShipOutcome):
                    batch.outcomes.append(booked)
                else:
                    waybills.append(booked)
            known = {w.order_id: orders[w.order_id] for w in waybills}
            self._ship_chunk(waybills, actor, known, batch, strict=False)
            if stop is not None and stop():
                break
        return batch

    def _booking(self, stored: StoredOrder, shipment_id: str, actor: str) -> Waybill | ShipOutcome:
        """The courier's waybill for one shipment (not recorded yet), or the
        outcome when there is nothing to book: booked before, or no courier
        would (then the shipment waits in ``manual_entry``)."""
        from orderkit.decisions import PickupRequest
        from orderkit.errors import CourierError

        order_id = stored.order.id or ""
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
        return Waybill(order_id, booking.courier, booking.waybill, shipment_id)

    def book_due(self, *, actor: str = "system:book", stop: Any = None) -> int:
        """Book every allocated shipment that has a courier and no waybill yet
        (the run loop's ``book`` job when ``run.book_pickups`` is on), 200
        orders at a time through ``book_many``; returns how many got a waybill."""
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
            wanted = [
                (order_id, shipment.shipment_id)
                for order_id, stored in self._kit.store.orders.get_many(ids).items()
                for shipment in stored.order.shipments
                if shipment.courier
                and not shipment.waybill
                # else waiting for a person (manual entry) or its upload
                and (order_id, shipment.shipment_id) not in recorded
            ]
            batch = self.book_many(sorted(wanted), actor=actor, stop=stop)
            booked += sum(1 for outcome in batch.outcomes if outcome.waybill is not None)
            for item, error in batch.failed:  # their rows stay claimed: tried again later
                log.warning(
                    "ship.book_failed",
                    order=item.order_id,
                    shipment=item.shipment,
                    error=str(error),
                )
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
        item = Waybill(order_id, "", "", shipment_id)
        upload = self._upload(item, shipment_id, stored, 0)
        outcome, written = self._kit.store.db.run(partial(self._settle_one, upload, actor))
        _log_upload(outcome)
        return outcome, written

    def _upload(self, item: Waybill, shipment_id: str, stored: StoredOrder, slot: int) -> _Upload:
        """Call the channel for one claimed shipment; nothing is written."""
        target = self._shipment(stored, shipment_id)
        result, error = self._call_channel(stored.order, target)
        return _Upload(item, slot, stored, target, result, error, self._kit.clock.now())

    def _settle(
        self, uploads: Sequence[_Upload], actor: str, strict: bool
    ) -> list[ShipOutcome | Exception]:
        """The channel's answers recorded together; if that transaction fails
        (one order's hook raising, say), each answer on its own, so one bad
        answer does not hold back the others. A failed one keeps its row
        claimed: the run loop uploads it again later."""
        db = self._kit.store.db
        try:
            return list(db.run(partial(self._settle_many, uploads, actor)))
        except Exception as exc:
            if strict or not db.owns_transactions:
                raise  # in the ERP's transaction, part may be written: it must roll back
            log.warning("ship.settle_batch_failed", uploads=len(uploads), error=str(exc))
        answers: list[ShipOutcome | Exception] = []
        for upload in uploads:
            try:
                answers.append(db.run(partial(self._settle_one, upload, actor))[0])
            except Exception as exc:
                answers.append(exc)
        return answers

    def _settle_many(
        self, uploads: Sequence[_Upload], actor: str, conn: sa.Connection
    ) -> list[ShipOutcome]:
        """Record the channel's answers to ``uploads`` in one transaction.

        The usual case -- the channel answered and the row still holds the
        waybill uploaded -- takes a few statements for all of them; anything
        else (a retry due later, another waybill recorded meanwhile) is settled
        one by one, as the run loop does.
        """
        orders = self._kit.store.orders
        rows = self.rows.of_orders(conn, [u.order_id for u in uploads], lock=True)
        unusual = {
            u.order_id
            for u in uploads
            if u.result is None
            or (row := rows.get((u.order_id, u.shipment_id))) is None
            or row.waybill != u.target.waybill
        }
        usual = [u for u in uploads if u.order_id not in unusual]
        self.rows.finish_many(
            conn,
            [
                Finished(
                    u.order_id,
                    u.shipment_id,
                    u.target.waybill or "",
                    UPLOADED if u.result.accepted else UPLOAD_FAILED,
                    error_code=None if u.result.accepted else u.result.error_code,
                    error=None if u.result.accepted else u.result.error_message,
                )
                for u in usual
                if u.result is not None
            ],
            uploads[0].now,
        )
        # the orders, marked in memory first: two parcels of one order build on each other
        latest: dict[str, StoredOrder] = {}
        marks: list[tuple[_Upload, PendingChange, bool]] = []
        for u in usual:
            assert u.result is not None
            current = latest.get(u.order_id, u.known)
            change, gone = self._mark_change(current, u.shipment_id, u.result, actor)
            latest[u.order_id] = change.written
            marks.append((u, change, gone))
        stale = {id(change) for change in orders.write_many(conn, [m[1] for m in marks])}
        outcomes: dict[int, ShipOutcome] = {}
        gone_orders: list[str] = []
        for u, change, gone in marks:
            assert u.result is not None
            if id(change) in stale:  # it changed since it was read: mark it as it is now
                current = orders.get(u.order_id, conn, lock=True)
                self._mark(conn, current, u.shipment_id, actor, u.result)
            elif gone:
                gone_orders.append(u.order_id)
            outcomes[u.slot] = _answered(u.order_id, u.target, u.result)
        # every parcel left: its stock too (even when the platform's echo moved
        # the order to shipped first); releasing twice changes nothing
        self._kit.store.stock.release_many(conn, gone_orders, state="consumed")
        for u in uploads:
            if u.order_id in unusual:
                outcomes[u.slot] = self._settle_one(u, actor, conn)[0]
        return [outcomes[u.slot] for u in uploads]

    def _settle_one(
        self, upload: _Upload, actor: str, conn: sa.Connection
    ) -> tuple[ShipOutcome, StoredOrder | None]:
        """Record the channel's answer to one upload; returns the outcome and
        the order as written (None: not written)."""
        order_id, shipment_id, target = upload.order_id, upload.shipment_id, upload.target
        result, now = upload.result, upload.now
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
                return self._settled(conn, upload.known, target, result, actor)
        row = self.rows.get(conn, order_id, shipment_id)
        if row is None or row.waybill != target.waybill:
            # someone recorded another waybill meanwhile; theirs is due now
            got = _outcome(row) if row else ShipOutcome(order_id, shipment_id, BOOKED)
            return got, None
        if result is None:
            retry_at = now + retry_delay(row.attempts + 1)
            self.rows.finish(
                conn, order_id, shipment_id, state=BOOKED, now=now, retry_at=retry_at,
                error=upload.error,
            )  # fmt: skip
            return ShipOutcome(
                order_id, shipment_id, BOOKED, target.waybill, target.courier,
                error=upload.error, retry_at=retry_at,
            ), upload.known  # fmt: skip
        if result.accepted:
            self.rows.finish(conn, order_id, shipment_id, state=UPLOADED, now=now)
        else:
            self.rows.finish(
                conn, order_id, shipment_id, state=UPLOAD_FAILED, now=now,
                error_code=result.error_code, error=result.error_message,
            )  # fmt: skip
        return self._settled(conn, upload.known, target, result, actor)

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
        try:
            written = self._mark(conn, known, shipment_id, actor, result)
        except ConflictError:  # it changed since it was read: mark it as it is now
            current = self._kit.store.orders.get(order_id, conn)
            written = self._mark(conn, current, shipment_id, actor, result)
        return _answered(order_id, target, result), written

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
        change = self._waybill_change(stored, target, courier, waybill, actor)
        written = self._kit.store.orders.apply(
            conn,
            change,
            attempted={"shipment": target.shipment_id, "courier": courier, "waybill": waybill},
        )
        self.rows.record(
            conn,
            _row_of(stored, target.shipment_id, courier, waybill, actor, row_exists),
            state=BOOKED,
            now=now,
            claim_until=now + CLAIM,  # this call uploads it; the run loop keeps off
        )
        return written

    def _waybill_change(
        self, stored: StoredOrder, target: Shipment, courier: str, waybill: str, actor: str
    ) -> PendingChange:
        """The order with ``waybill`` on ``target``, worked out (not written)."""
        order_id = stored.order.id or ""
        shipments = _with_shipment(
            stored.order,
            target.model_copy(
                update={"courier": courier, "waybill": waybill, "status": ShipmentStatus.BOOKED}
            ),
        )
        booked = {"order_id": order_id, "shipment_id": target.shipment_id, "courier": courier,
                  "waybill": waybill, "actor": actor}  # fmt: skip
        return self._kit.store.orders.prepare(
            stored,
            stored.order.model_copy(update={"shipments": shipments}),
            actor=actor,
            reason=f"waybill {waybill} ({courier}) for shipment {target.shipment_id}",
            kind="waybill",
            attempted={"shipment": target.shipment_id, "courier": courier, "waybill": waybill},
            events=[("shipment.booked", booked, f"{order_id}|{target.shipment_id}|{waybill}")],
        )

    def _mark(
        self,
        conn: sa.Connection,
        current: StoredOrder,
        shipment_id: str,
        actor: str,
        result: ShipResult,
    ) -> StoredOrder:
        change, gone = self._mark_change(current, shipment_id, result, actor)
        written = self._kit.store.orders.apply(conn, change)
        if gone:
            self._kit.store.stock.release(conn, written.order.id or "", state="consumed")
        return written

    def _mark_change(
        self, current: StoredOrder, shipment_id: str, result: ShipResult, actor: str
    ) -> tuple[PendingChange, bool]:
        """The order marked with the channel's answer for one shipment (not
        written), and whether every parcel has now left (its stock is consumed)."""
        order = current.order
        order_id = order.id or ""
        status = ShipmentStatus.SHIPPED if result.accepted else ShipmentStatus.UPLOAD_FAILED
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
        gone = accepted and all(
            s.status in (ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED) for s in shipments
        )
        if gone:
            events.append(("order.shipped", {"order_id": order_id}, order_id))
        change = self._kit.store.orders.prepare(
            current,
            order.model_copy(update={"shipments": shipments, "status": axes}),
            actor=actor,
            reason=reason[:500],
            kind="tracking_uploaded" if accepted else "tracking_refused",
            to_state=lifecycle,
            detail={"shipment": shipment_id, "platform_ref": result.platform_ref,
                    "error_code": result.error_code},
            events=events,
        )  # fmt: skip
        return change, gone

    def _manual_entry(
        self, stored: StoredOrder, target: Shipment, error: str, actor: str
    ) -> ShipOutcome:
        order_id = stored.order.id or ""
        now = self._kit.clock.now()

        def work(conn: sa.Connection) -> None:
            self.rows.record(
                conn,
                _row_of(stored, target.shipment_id, target.courier, None, actor, None),
                state=MANUAL_ENTRY,
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


def _row_of(
    stored: StoredOrder,
    shipment_id: str,
    courier: str | None,
    waybill: str | None,
    actor: str,
    exists: bool | None,
) -> Recorded:
    """The shipment row of ``stored``'s shipment with this waybill."""
    return Recorded(
        order_id=stored.order.id or "",
        shipment_id=shipment_id,
        channel=stored.order.channel,
        shop_id=stored.order.shop_id,
        courier=courier,
        waybill=waybill,
        actor=actor,
        exists=exists,
    )


def _answered(order_id: str, target: Shipment, result: ShipResult) -> ShipOutcome:
    """The outcome of an upload the channel answered."""
    if result.accepted:
        return ShipOutcome(order_id, target.shipment_id, UPLOADED, target.waybill, target.courier)
    return ShipOutcome(
        order_id, target.shipment_id, UPLOAD_FAILED, target.waybill, target.courier,
        error_code=result.error_code, error=result.error_message,
    )  # fmt: skip


def _log_upload(outcome: ShipOutcome) -> None:
    log.info(
        "ship.upload",
        order=outcome.order_id,
        shipment=outcome.shipment_id,
        state=outcome.state,
        error_code=outcome.error_code,
    )
