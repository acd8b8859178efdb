"""Idempotent, batched ingest of canonical orders.

Rules (per order, by the binding (channel, shop, external id)):

- a payload older than the stored platform-modified time writes nothing;
- an identical payload (same content hash) writes nothing;
- a newer payload, or one with an equal modified time and a different hash,
  is applied; a platform status ranking below the current lifecycle is not
  applied and one timeline event (keyed by order and modified time) says so;
- a payload that fails validation goes to dead letters; the batch goes on.

The order row, its timeline events and its outbox events commit together,
one transaction per chunk. The duplicate check is one primary-key lookup per
chunk (order ids are derived from the binding). Concurrent writers are
detected after writing (a version guard on updates, a content check after
inserts); a chunk that lost a race is rolled back and decided again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_json

from orderkit.clock import Clock
from orderkit.errors import InvalidOrder, StoreError
from orderkit.models import HoldReason, Lifecycle, Order, StatusAxes
from orderkit.status import UNMAPPED_STATUS_HOLD, apply_platform_lifecycle, rank
from orderkit.status.mapping import StatusResult
from orderkit.store.db import Database, utcnow_naive
from orderkit.store.dialect import among, insert_ignore
from orderkit.store.ids import content_hash, event_id, order_id
from orderkit.store.merge import ADDRESS_CHANGED_HOLD, merge_platform_update, receiver_changed
from orderkit.store.orders import is_held
from orderkit.store.schema import Tables
from orderkit.validation import validate_order

#: Excluded from the content hash: orderkit's own additions, not the platform's.
_HASH_EXCLUDE = {"id", "status", "hold_reasons", "traces"}

MapStatus = Callable[[Order], StatusResult]
Persist = Callable[[sa.Connection, list[tuple[Order, bool]]], None]


@dataclass
class Rejection:
    """One input item that could not be ingested, and where it went."""

    index: int
    channel: str
    shop_id: str
    external_id: str | None
    error: str
    field: str | None = None


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


@dataclass
class _Item:
    index: int
    order: Order
    oid: str
    digest: str
    #: the order as JSON without orderkit's fields (hashed; reused for the snapshot)
    text: str


@dataclass
class _Plan:
    """What one chunk will write."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    persisted: list[tuple[Order, bool]] = field(default_factory=list)
    #: orders whose stock reservations go back (cancelled, closed, refunded)
    releases: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0
    #: (channel, raw status fields) -> what map_status said for a new order
    new_statuses: dict[tuple[Any, ...], StatusResult] = field(default_factory=dict)


class _LostRace(Exception):
    """Another writer changed a row of this chunk first: decide again."""


def _json(value: Any) -> str:
    # pydantic-core's encoder: the same JSON as json.dumps, several times faster
    # on the small event payloads every ingested order writes
    return to_json(value, fallback=str).decode()


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def platform_json(order: Order) -> str:
    """What the platform said, as JSON (orderkit's additions excluded)."""
    return order.model_dump_json(exclude=_HASH_EXCLUDE)


def platform_digest(order: Order) -> str:
    """Content hash of what the platform said (orderkit's additions excluded)."""
    return content_hash(platform_json(order).encode())


def snapshot_json(
    text: str, oid: str, axes: StatusAxes, holds: list[HoldReason], traces: list[Any]
) -> str:
    """The stored snapshot from the already-serialised platform JSON plus
    orderkit's fields: one serialisation per new order instead of two."""
    return (
        f'{text[:-1]},"id":{json.dumps(oid)},"status":{axes.model_dump_json()},'
        f'"hold_reasons":[{",".join(h.model_dump_json() for h in holds)}],'
        f'"traces":[{",".join(t.model_dump_json() for t in traces)}]}}'
    )


class Ingestor:
    def __init__(
        self,
        db: Database,
        tables: Tables,
        *,
        map_status: MapStatus,
        clock: Clock,
        persist: Persist | None = None,
        release: Callable[[sa.Connection, str], int] | None = None,
        actor: str = "system:ingest",
        chunk_size: int = 500,
        dead_letter: Callable[[sa.Connection, list[Rejection], list[Any]], None],
    ) -> None:
        self._db = db
        self._t = tables
        self._map_status = map_status
        self._clock = clock
        self._persist = persist
        self._release = release
        self._actor = actor
        self._chunk_size = chunk_size
        self._dead_letter = dead_letter

    # -- entry point ---------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Order | dict[str, Any] | str | bytes],
        *,
        dead_letter: bool = True,
        keep_ids: bool = True,
    ) -> IngestResult:
        """Ingest ``items`` (any iterable, consumed in chunks). With
        ``dead_letter=False`` rejected items are only reported (replay uses it);
        with ``keep_ids=False`` only counts are kept, so memory stays flat
        however long the stream."""
        result = IngestResult()
        offset = 0
        for chunk in chunked(items, self._chunk_size):
            self._ingest_chunk(chunk, offset, result, dead_letter)
            if not keep_ids:
                result.created_ids.clear()
                result.updated_ids.clear()
            offset += len(chunk)
        return result

    def _ingest_chunk(
        self, chunk: list[Any], offset: int, result: IngestResult, dead_letter: bool
    ) -> None:
        items, rejected, raws = self._prepare(chunk, offset)
        latest = self._newest_per_order(items)

        def work(conn: sa.Connection) -> _Plan:
            plan = self._plan(conn, latest)
            self._write(conn, plan)
            if rejected and dead_letter:
                self._dead_letter(conn, rejected, raws)
            if self._persist and plan.persisted:
                self._persist(conn, plan.persisted)
            return plan

        for attempt in range(10):
            try:
                plan = self._db.run(work)
                break
            except _LostRace:
                if not self._db.owns_transactions:
                    raise StoreError(
                        "another writer changed orders of this batch; roll back your "
                        "transaction and ingest the batch again"
                    ) from None
                if attempt == 9:
                    raise
        result.created += len(plan.inserts)
        result.updated += len(plan.updates)
        result.unchanged += plan.unchanged + (len(items) - len(latest))
        result.created_ids.extend(row["id"] for row in plan.inserts)
        result.updated_ids.extend(row["id"] for row in plan.updates)
        result.rejected.extend(rejected)

    # -- preparation (no database) -------------------------------------------

    def _prepare(
        self, chunk: list[Any], offset: int
    ) -> tuple[list[_Item], list[Rejection], list[Any]]:
        items: list[_Item] = []
        rejected: list[Rejection] = []
        raws: list[Any] = []
        for position, raw in enumerate(chunk, start=offset):
            try:
                order = raw if isinstance(raw, Order) else validate_order(raw)
            except InvalidOrder as exc:
                rejected.append(_rejection(position, raw, exc))
                raws.append(raw)
                continue
            oid = order_id(order.channel, order.shop_id, order.external_id)
            text = platform_json(order)
            items.append(_Item(position, order, oid, content_hash(text.encode()), text))
        return items, rejected, raws

    @staticmethod
    def _newest_per_order(items: list[_Item]) -> dict[str, _Item]:
        """One item per order: the newest; on equal times the later one."""
        latest: dict[str, _Item] = {}
        for item in items:
            seen = latest.get(item.oid)
            if seen is None or item.order.modified_at >= seen.order.modified_at:
                latest[item.oid] = item
        return latest

    # -- deciding (reads only) -----------------------------------------------

    def _plan(self, conn: sa.Connection, latest: dict[str, _Item]) -> _Plan:
        o = self._t.orders
        plan = _Plan()
        if not latest:
            return plan
        rows = conn.execute(
            sa.select(o.c.id, o.c.platform_modified_at, o.c.content_hash, o.c.version).where(
                among(o.c.id, list(latest), conn.dialect.name)
            )
        ).all()
        stored = {row.id: row for row in rows}
        now = utcnow_naive(self._clock.now())
        to_update: list[_Item] = []
        for oid, item in latest.items():
            row = stored.get(oid)
            if row is None:
                self._plan_insert(plan, item, now)
                continue
            modified = utcnow_naive(item.order.modified_at)
            if modified < row.platform_modified_at or item.digest == row.content_hash:
                plan.unchanged += 1
                continue
            to_update.append(item)
        if to_update:
            snapshots = {
                row.id: row.snapshot
                for row in conn.execute(
                    sa.select(o.c.id, o.c.snapshot).where(o.c.id.in_([i.oid for i in to_update]))
                )
            }
            for item in to_update:
                previous = Order.model_validate_json(snapshots[item.oid])
                self._plan_update(plan, item, previous, stored[item.oid].version, now)
        return plan

    def _status(self, order: Order) -> StatusResult:
        return self._map_status(order)

    def _new_status(self, plan: _Plan, order: Order) -> StatusResult:
        """``map_status`` of a new order, asked once per distinct raw status in
        a chunk: the hook is given only the channel, the raw fields and the
        current axes (none for a new order), and 500 orders carry a few dozen
        distinct raw statuses."""
        if order.status is not None:  # the channel set axes of its own
            return self._map_status(order)
        key = (order.channel, *order.platform_status.items())
        status = plan.new_statuses.get(key)
        if status is None:
            status = plan.new_statuses[key] = self._map_status(order)
        return status

    def _plan_insert(self, plan: _Plan, item: _Item, now: datetime) -> None:
        status = self._new_status(plan, item.order)
        holds = list(item.order.hold_reasons)
        if status.axes is None:
            # no lifecycle the platform's words map to: keep the order, held
            axes = StatusAxes(lifecycle=Lifecycle.PENDING_PAYMENT)
            lifecycle_known = False
        else:
            axes, lifecycle_known = status.axes, True
        if status.is_unmapped:
            holds.append(_unmapped_hold(status))
        order = item.order.model_copy(
            update={"id": item.oid, "status": axes, "hold_reasons": holds}
        )
        plan.inserts.append(
            self._row(
                order,
                item,
                version=1,
                now=now,
                first_seen=now,
                platform_lifecycle=axes.lifecycle.value if lifecycle_known else None,
                snapshot=snapshot_json(item.text, item.oid, axes, holds, item.order.traces),
            )
        )
        plan.digests[item.oid] = item.digest
        self._event(
            plan,
            item.oid,
            "created",
            None,
            axes.lifecycle.value,
            "first seen from the platform",
            f"{item.oid}:created",
            now,
            {"platform_status": order.platform_status},
        )
        if status.is_unmapped:
            self._unmapped_event(plan, item, status, now)
        self._outbox(plan, "order.created", order, None, f"{item.oid}", now)
        plan.persisted.append((order, True))

    def _plan_update(
        self, plan: _Plan, item: _Item, previous: Order, version: int, now: datetime
    ) -> None:
        incoming = item.order
        current = previous.status or StatusAxes(lifecycle=Lifecycle.PENDING_PAYMENT)
        status = self._status(incoming)
        merged = merge_platform_update(previous, incoming)
        holds = [h for h in merged.hold_reasons if h.code != UNMAPPED_STATUS_HOLD]
        lifecycle = current.lifecycle
        intercept = False
        platform_lifecycle: str | None = None
        refund, presale = current.refund, current.presale
        modified_key = incoming.modified_at.isoformat()
        if status.axes is not None:
            refund, presale = status.axes.refund, status.axes.presale
            platform_lifecycle = status.axes.lifecycle.value
            decision = apply_platform_lifecycle(current.lifecycle, status.axes.lifecycle)
            lifecycle = decision.result
            if decision.outcome == "regression":
                self._event(
                    plan,
                    item.oid,
                    "status_not_applied",
                    current.lifecycle.value,
                    status.axes.lifecycle.value,
                    decision.reason,
                    f"{item.oid}:regression:{modified_key}",
                    now,
                    {"platform_status": incoming.platform_status},
                )
            intercept = decision.interception
            if intercept:
                self._event(
                    plan,
                    item.oid,
                    "interception",
                    current.lifecycle.value,
                    lifecycle.value,
                    decision.reason,
                    f"{item.oid}:intercept:{modified_key}",
                    now,
                    {},
                )
        if status.is_unmapped:
            holds.append(_unmapped_hold(status))
            self._unmapped_event(plan, item, status, now)
        if receiver_changed(previous.receiver, incoming.receiver):
            paid = (rank(current.lifecycle) or 0) >= (rank(Lifecycle.PAID) or 1)
            self._event(
                plan,
                item.oid,
                "address_changed",
                None,
                None,
                "the platform sent a different receiver",
                f"{item.oid}:address:v{version + 1}",
                now,
                {"before": previous.receiver.raw, "after": incoming.receiver.raw},
            )
            if paid and all(h.code != ADDRESS_CHANGED_HOLD for h in holds):
                holds.append(
                    HoldReason(code=ADDRESS_CHANGED_HOLD, detail="receiver changed after payment")
                )
        axes = StatusAxes(lifecycle=lifecycle, refund=refund, presale=presale)
        if lifecycle in (Lifecycle.CANCELLED, Lifecycle.CLOSED) or refund.value == "refunded":
            plan.releases.append(item.oid)
        order = merged.model_copy(update={"status": axes, "hold_reasons": holds})
        row = self._row(
            order,
            item,
            version=version + 1,
            now=now,
            first_seen=None,
            platform_lifecycle=platform_lifecycle,
        )
        row["expected_version"] = version
        plan.updates.append(row)
        plan.digests[item.oid] = item.digest
        self._event(
            plan,
            item.oid,
            "platform_update",
            current.lifecycle.value,
            lifecycle.value,
            "newer payload from the platform",
            f"{item.oid}:update:v{version + 1}",
            now,
            {"platform_status": incoming.platform_status, "version": version + 1},
        )
        # keyed by the platform's revision (modified time + content), not by our
        # version: the same platform change has the same event id however our own
        # writes interleaved with it (a crash, a second runner)
        revision = f"{item.oid}|{modified_key}|{item.digest}"
        self._outbox(plan, "order.updated", order, current.lifecycle.value, revision, now)
        if intercept:  # the warehouse may be picking it: tell someone to stop it
            self._outbox(plan, "order.intercept", order, current.lifecycle.value, revision, now)
        plan.persisted.append((order, False))

    # -- row and event builders ----------------------------------------------

    def _row(
        self,
        order: Order,
        item: _Item,
        *,
        version: int,
        now: datetime,
        first_seen: datetime | None,
        platform_lifecycle: str | None,
        snapshot: str | None = None,
    ) -> dict[str, Any]:
        assert order.status is not None
        row: dict[str, Any] = {
            "id": item.oid,
            "channel": order.channel,
            "shop_id": order.shop_id,
            "external_id": order.external_id,
            "lifecycle": order.status.lifecycle.value,
            "platform_lifecycle": platform_lifecycle,
            "refund": order.status.refund.value,
            "presale": order.status.presale.value,
            "on_hold": is_held(order),
            "platform_created_at": utcnow_naive(order.created_at),
            "platform_paid_at": utcnow_naive(order.paid_at) if order.paid_at else None,
            "platform_modified_at": utcnow_naive(order.modified_at),
            "content_hash": item.digest,
            "version": version,
            "snapshot": snapshot if snapshot is not None else order.model_dump_json(),
            "updated_at": now,
            "buyer_id": order.buyer.buyer_id,
        }
        if first_seen is not None:
            row["first_seen_at"] = first_seen
        return row

    def _event(
        self,
        plan: _Plan,
        oid: str,
        kind: str,
        from_state: str | None,
        to_state: str | None,
        reason: str,
        dedup: str,
        now: datetime,
        detail: dict[str, Any],
    ) -> None:
        plan.events.append(
            {
                "order_id": oid,
                "at": now,
                "actor": self._actor,
                "kind": kind,
                "from_state": from_state,
                "to_state": to_state,
                "reason": reason[:512],
                "detail": _json(detail),
                "dedup_key": dedup,
            }
        )

    def _unmapped_event(
        self, plan: _Plan, item: _Item, status: StatusResult, now: datetime
    ) -> None:
        self._event(
            plan,
            item.oid,
            "unmapped_status",
            None,
            None,
            f"no status-table row for {status.unmapped}; order held",
            f"{item.oid}:unmapped:{item.digest}",
            now,
            {"unmapped": status.unmapped},
        )

    def _outbox(
        self,
        plan: _Plan,
        topic: str,
        order: Order,
        previous: str | None,
        key: str,
        now: datetime,
    ) -> None:
        assert order.status is not None and order.id is not None
        payload = {
            "order_id": order.id,
            "channel": order.channel,
            "shop_id": order.shop_id,
            "external_id": order.external_id,
            "lifecycle": order.status.lifecycle.value,
            "previous_lifecycle": previous,
            "refund": order.status.refund.value,
        }
        plan.outbox.append(
            {
                "id": event_id(topic, key),
                "topic": topic,
                "order_id": order.id,
                "payload": _json(payload),
                "created_at": now,
                "attempts": 0,
            }
        )

    # -- writing --------------------------------------------------------------

    def _write(self, conn: sa.Connection, plan: _Plan) -> None:
        o = self._t.orders
        # one lock order for every writer, so racing chunks deadlock less often
        plan.inserts.sort(key=lambda row: row["id"])
        plan.updates.sort(key=lambda row: row["id"])
        inserted = insert_ignore(conn, o, plan.inserts, key="id")
        if plan.updates:
            stmt = (
                o.update()
                .where(o.c.id == sa.bindparam("b_id"))
                .where(o.c.version == sa.bindparam("b_expected"))
                .values(
                    {
                        c: sa.bindparam(c)
                        for c in plan.updates[0]
                        if c not in ("id", "expected_version")
                    }
                )
            )
            params = [
                {
                    **{k: v for k, v in row.items() if k not in ("id", "expected_version")},
                    "b_id": row["id"],
                    "b_expected": row["expected_version"],
                }
                for row in plan.updates
            ]
            result = conn.execute(stmt, params)
            sane = conn.dialect.supports_sane_multi_rowcount
            if not (sane and result.rowcount == len(params)):
                self._verify(conn, [row["id"] for row in plan.updates], plan.digests)
        if conn.dialect.name != "sqlite" and inserted != len(plan.inserts):
            # SQLite serialises writers (a racing one fails and retries); the
            # others may have skipped an insert another process made first
            # (PostgreSQL counts what a batch inserted: all of it, no race).
            self._verify(conn, [row["id"] for row in plan.inserts], plan.digests)
        if self._release is not None:
            for oid in plan.releases:
                self._release(conn, oid)
        insert_ignore(conn, self._t.timeline, plan.events, key="dedup_key")
        insert_ignore(conn, self._t.outbox, plan.outbox, key="id")

    def _verify(self, conn: sa.Connection, ids: Sequence[str], digests: dict[str, str]) -> None:
        o = self._t.orders
        written = {
            row.id: row.content_hash
            for row in conn.execute(sa.select(o.c.id, o.c.content_hash).where(o.c.id.in_(ids)))
        }
        if any(written.get(oid) != digests[oid] for oid in ids):
            raise _LostRace()


def _unmapped_hold(status: StatusResult) -> HoldReason:
    hold = status.hold_reason()
    if hold is not None:
        return hold
    return HoldReason(code=UNMAPPED_STATUS_HOLD, detail=str(status.unmapped))


def _rejection(position: int, raw: Any, exc: InvalidOrder) -> Rejection:
    data: dict[str, Any] = {}
    if isinstance(raw, dict):
        data = raw
    elif isinstance(raw, str | bytes):
        try:
            parsed = json.loads(raw)
            data = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            data = {}
    return Rejection(
        index=position,
        channel=str(data.get("channel") or "unknown"),
        shop_id=str(data.get("shop_id") or "unknown"),
        external_id=str(data["external_id"]) if data.get("external_id") is not None else None,
        error=str(exc),
        field=exc.field,
    )
