"""Reading orders and changing them under a version guard.

Every change names its actor (``system``, a plugin name or a user id), the
time and the reason, and lands on the timeline. A writer holding a stale
version gets ``ConflictError`` carrying the attempted change, never a silent
overwrite (the lost-tracking-number race).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from orderkit.clock import Clock
from orderkit.errors import ConflictError, OrderKitError, OrderNotFound
from orderkit.models import Lifecycle, Order, StatusAxes
from orderkit.status import allowed_transitions, can_transition
from orderkit.store.db import Database, aware, utcnow_naive
from orderkit.store.dialect import UNNEST_FROM, insert_ignore, update_unnest
from orderkit.store.ids import event_id
from orderkit.store.schema import Tables

#: An outbox event that goes with a change: (topic, payload, key); its id is
#: stable per (topic, key), like ``Store.outbox_add``'s.
ChangeEvent = tuple[str, dict[str, Any], str]


def is_held(order: Order) -> bool:
    """A blocking hold reason nobody has released."""
    return any(h.severity == "block" and h.released_by is None for h in order.hold_reasons)


class TransitionError(OrderKitError):
    """The lifecycle transition is not in the transition table."""


@dataclass(frozen=True)
class StoredOrder:
    order: Order
    version: int
    lifecycle: Lifecycle
    platform_lifecycle: Lifecycle | None
    updated_at: datetime
    #: when a timed hold ends by itself (None: no timer)
    hold_until: datetime | None = None


@dataclass(frozen=True)
class TimelineEvent:
    id: int
    order_id: str
    at: datetime
    actor: str
    kind: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class PendingChange:
    """A guarded change worked out by ``Orders.prepare``, not yet written."""

    #: the guarded UPDATE's parameters (``b_id``, ``b_expected`` and the new values)
    values: dict[str, Any]
    #: the timeline row
    event: dict[str, Any]
    events: tuple[ChangeEvent, ...]
    #: the order as it will be once written
    written: StoredOrder

    @property
    def order_id(self) -> str:
        return str(self.values["b_id"])

    @property
    def expected_version(self) -> int:
        return int(self.values["b_expected"])


class Orders:
    def __init__(
        self,
        db: Database,
        tables: Tables,
        clock: Clock,
        persist: Callable[[sa.Connection, list[tuple[Order, bool]]], None] | None = None,
    ) -> None:
        self._db = db
        self._t = tables
        self._clock = clock
        self._persist = persist

    # -- prebuilt statements: built once, so each use skips SQLAlchemy's statement
    # construction and cache-key work (a large share of a short transaction) ------

    @cached_property
    def _select(self) -> sa.Select[Any]:
        o = self._t.orders
        return sa.select(
            o.c.id,
            o.c.snapshot,
            o.c.version,
            o.c.lifecycle,
            o.c.platform_lifecycle,
            o.c.updated_at,
            o.c.hold_until,
        )

    @cached_property
    def _select_one(self) -> sa.Select[Any]:
        return self._select.where(self._t.orders.c.id == sa.bindparam("b_id"))

    @cached_property
    def _lock_one(self) -> sa.Select[Any]:
        return self._select_one.with_for_update()

    @cached_property
    def _select_many(self) -> sa.Select[Any]:
        return self._select.where(self._t.orders.c.id.in_(sa.bindparam("b_ids", expanding=True)))

    @cached_property
    def _select_version(self) -> sa.Select[Any]:
        o = self._t.orders
        return sa.select(o.c.version).where(o.c.id == sa.bindparam("b_id"))

    @cached_property
    def _update_guarded(self) -> sa.Update:
        # the SET columns come from the parameters' keys
        o = self._t.orders
        return o.update().where(
            o.c.id == sa.bindparam("b_id"), o.c.version == sa.bindparam("b_expected")
        )

    @cached_property
    def _select_by_ref(self) -> sa.Select[Any]:
        o = self._t.orders
        return sa.select(o.c.id).where(
            o.c.shop_id == sa.bindparam("b_shop"), o.c.external_id == sa.bindparam("b_external")
        )

    @cached_property
    def _select_id(self) -> sa.Select[Any]:
        o = self._t.orders
        return sa.select(o.c.id).where(o.c.id == sa.bindparam("b_id"))

    @cached_property
    def _insert_event(self) -> sa.Insert:
        return self._t.timeline.insert()

    # -- reading ---------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """An internal id, or ``SHOP/EXTERNAL_ID`` -> the internal id."""
        shop, sep, external = ref.partition("/")
        query, params = (
            (self._select_by_ref, {"b_shop": shop, "b_external": external})
            if sep
            else (self._select_id, {"b_id": ref})
        )
        with self._db.transaction() as conn:
            found = conn.execute(query, params).scalars().all()
        if len(found) != 1:
            why = "no order" if not found else "more than one order (give the internal id)"
            raise OrderNotFound(f"{why} matches {ref!r}")
        return str(found[0])

    def resolve_many(self, shop_id: str, external_ids: list[str]) -> list[str]:
        """Internal ids of a shop's orders by external id (unknown ones are skipped)."""
        o = self._t.orders
        with self._db.transaction() as conn:
            return list(
                conn.execute(
                    sa.select(o.c.id).where(
                        o.c.shop_id == shop_id, o.c.external_id.in_(external_ids)
                    )
                ).scalars()
            )

    def get(
        self, order_id: str, conn: sa.Connection | None = None, *, lock: bool = False
    ) -> StoredOrder:
        """One order. ``lock``: a locking read in ``conn`` (PostgreSQL, MySQL),
        which also sees a change committed after the transaction's first read
        where a plain read would not (MySQL's repeatable read)."""
        params = {"b_id": order_id}
        if conn is None:
            with self._db.transaction() as own:
                row = own.execute(self._select_one, params).first()
        else:
            locking = lock and conn.dialect.name != "sqlite"
            row = conn.execute(self._lock_one if locking else self._select_one, params).first()
        if row is None:
            raise OrderNotFound(f"no order with id {order_id!r}")
        return _stored(row)

    def get_many(
        self, order_ids: Iterable[str], conn: sa.Connection | None = None
    ) -> dict[str, StoredOrder]:
        """Orders by id, read in one query; unknown ids are left out."""
        ids = list(dict.fromkeys(order_ids))
        if not ids:
            return {}
        params = {"b_ids": ids}
        if conn is None:
            with self._db.transaction() as own:
                rows = own.execute(self._select_many, params).all()
        else:
            rows = conn.execute(self._select_many, params).all()
        return {row.id: _stored(row) for row in rows}

    def timeline(self, order_id: str) -> list[TimelineEvent]:
        t = self._t.timeline
        with self._db.transaction() as conn:
            rows = conn.execute(sa.select(t).where(t.c.order_id == order_id).order_by(t.c.id)).all()
        return [
            TimelineEvent(
                id=r.id,
                order_id=r.order_id,
                at=aware(r.at) or r.at,
                actor=r.actor,
                kind=r.kind,
                from_state=r.from_state,
                to_state=r.to_state,
                reason=r.reason,
                detail=json.loads(r.detail) if r.detail else {},
            )
            for r in rows
        ]

    def add_event(
        self,
        conn: sa.Connection,
        order_id: str,
        *,
        actor: str,
        kind: str,
        reason: str | None,
        from_state: str | None = None,
        to_state: str | None = None,
        detail: dict[str, Any] | None = None,
        dedup_key: str | None = None,
    ) -> None:
        at = utcnow_naive(self._clock.now())
        row = _event_row(order_id, at, actor, kind, reason, from_state, to_state, detail)
        conn.execute(self._insert_event, {**row, "dedup_key": dedup_key})

    def add_outbox(
        self, conn: sa.Connection, order_id: str | None, events: Sequence[ChangeEvent]
    ) -> None:
        """Outbox events in the caller's transaction, in one statement; the same
        rows ``Store.outbox_add`` writes (an event id already there is skipped)."""
        self._insert_outbox(conn, self._outbox_rows(order_id, events))

    def _insert_outbox(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        if len(rows) >= UNNEST_FROM:
            insert_ignore(conn, self._t.outbox, rows, key="id")  # PostgreSQL: one statement
        else:
            insert_ignore_prebuilt(conn, self._t.outbox, rows, key="id")

    def _outbox_rows(
        self, order_id: str | None, events: Sequence[ChangeEvent]
    ) -> list[dict[str, Any]]:
        now = utcnow_naive(self._clock.now())
        return [
            {
                "id": event_id(topic, key),
                "topic": topic,
                "order_id": order_id,
                "payload": json.dumps(payload, ensure_ascii=False, default=str),
                "created_at": now,
                "attempts": 0,
            }
            for topic, payload, key in events
        ]

    # -- guarded changes ---------------------------------------------------------

    def change(
        self,
        order_id: str,
        mutate: Callable[[Order], Order],
        *,
        actor: str,
        reason: str,
        expected_version: int,
        kind: str = "edited",
        attempted: dict[str, Any] | None = None,
        to_state: Lifecycle | None = None,
    ) -> StoredOrder:
        """Apply ``mutate`` to the order if it is still at ``expected_version``.

        :raises ConflictError: the order moved on; when orderkit owns the
            transaction the rejected attempt is recorded on the timeline first.
        """
        attempt = dict(attempted or {})

        def work(conn: sa.Connection) -> StoredOrder:
            return self.change_in(
                conn,
                order_id,
                mutate,
                actor=actor,
                reason=reason,
                expected_version=expected_version,
                kind=kind,
                attempted=attempt,
                to_state=to_state,
            )

        try:
            return self._db.run(work)
        except ConflictError as conflict:
            if self._db.owns_transactions:
                # our transaction rolled back; keep the attempt visible in a new one
                with self._db.transaction() as conn:
                    self.add_event(
                        conn,
                        order_id,
                        actor=actor,
                        kind="change_rejected",
                        reason=f"stale version {expected_version} "
                        f"(current {conflict.actual_version}): {reason}",
                        detail={
                            "attempted": attempt,
                            "expected_version": expected_version,
                            "actual_version": conflict.actual_version,
                        },
                    )
            raise

    def change_in(
        self,
        conn: sa.Connection,
        order_id: str,
        mutate: Callable[[Order], Order],
        *,
        actor: str,
        reason: str,
        expected_version: int,
        kind: str = "edited",
        attempted: dict[str, Any] | None = None,
        to_state: Lifecycle | None = None,
        hold_until: datetime | None = None,
        detail: dict[str, Any] | None = None,
        current: StoredOrder | None = None,
        decided: bool = False,
        events: Sequence[ChangeEvent] = (),
    ) -> StoredOrder:
        """``change`` inside the caller's transaction (no rejected-attempt
        event: the caller decides what a conflict means).

        :param current: the order as the caller read it at ``expected_version``
            (saves reading it again; the guarded UPDATE still refuses a stale one).
        :param decided: also record the new version as decided by ``kit.process``.
        :param events: outbox events written with the change.
        """
        attempt = dict(attempted or {})
        if current is None or current.version != expected_version:
            current = self.get(order_id, conn)
        if current.version != expected_version:
            raise self._conflict(order_id, expected_version, current.version, attempt)
        pending = self.prepare(
            current,
            mutate(current.order),
            actor=actor,
            reason=reason,
            kind=kind,
            attempted=attempt,
            to_state=to_state,
            hold_until=hold_until,
            detail=detail,
            decided=decided,
            events=events,
        )
        return self.apply(conn, pending, attempted=attempt)

    def apply(
        self, conn: sa.Connection, change: PendingChange, *, attempted: dict[str, Any] | None = None
    ) -> StoredOrder:
        """Write one prepared change under its version guard.

        :raises ConflictError: the order moved on since ``change`` was prepared.
        """
        moved = conn.execute(self._update_guarded, change.values).rowcount
        if moved != 1:
            oid = change.order_id
            actual = conn.execute(self._select_version, {"b_id": oid}).scalar()
            raise self._conflict(oid, change.expected_version, int(actual or -1), attempted or {})
        self._write_after(conn, [change])
        return change.written

    # -- batched changes ----------------------------------------------------------

    def prepare(
        self,
        current: StoredOrder,
        changed: Order,
        *,
        actor: str,
        reason: str,
        kind: str = "edited",
        attempted: dict[str, Any] | None = None,
        to_state: Lifecycle | None = None,
        hold_until: datetime | None = None,
        detail: dict[str, Any] | None = None,
        decided: bool = False,
        events: Sequence[ChangeEvent] = (),
    ) -> PendingChange:
        """A change of ``current`` into ``changed``, worked out but not written
        (pure). Its ``written`` is the order as it will be once written, so a
        second change of the same order can be prepared on top of it."""
        order_id = current.order.id or ""
        expected = current.version
        lifecycle = changed.status.lifecycle if changed.status else current.lifecycle
        now = utcnow_naive(self._clock.now())
        until = utcnow_naive(hold_until) if hold_until else None
        values: dict[str, Any] = {
            "b_id": order_id,
            "b_expected": expected,
            "snapshot": changed.model_dump_json(),
            "version": expected + 1,
            "lifecycle": lifecycle.value,
            "updated_at": now,
            "on_hold": is_held(changed),
            "hold_until": until,
            "refund": changed.status.refund.value if changed.status else "none",
        }
        if decided:
            values["decided_version"] = expected + 1
        event = _event_row(
            order_id,
            now,
            actor,
            kind,
            reason,
            current.lifecycle.value,
            (to_state or lifecycle).value,
            {**(attempted or {}), **(detail or {}), "version": expected + 1},
        )
        event["dedup_key"] = None
        written = StoredOrder(
            changed,
            expected + 1,
            lifecycle,
            current.platform_lifecycle,
            aware(now) or now,
            aware(until),
        )
        return PendingChange(values, event, tuple(events), written)

    def write_many(
        self, conn: sa.Connection, pending: Sequence[PendingChange]
    ) -> list[PendingChange]:
        """Write prepared changes in a few statements, in the caller's
        transaction: the orders' rows are locked and their versions checked
        first, so each change either applies or is handed back untouched.

        A change whose order moved on since it was prepared (and any change
        prepared on top of it) is not written: it is returned, for the caller
        to redo one by one. Everything else is written as ``change_in`` would.
        """
        if not pending:
            return []
        versions = self._lock_versions(conn, {p.order_id for p in pending})
        fresh: list[PendingChange] = []
        stale: list[PendingChange] = []
        for change in pending:
            oid = change.order_id
            if versions.get(oid) == change.expected_version:
                versions[oid] = change.expected_version + 1
                fresh.append(change)
            else:
                versions[oid] = None  # later changes of this order were built on it
                stale.append(change)
        for run in _rounds(fresh):
            params = [change.values for change in run]
            moved = self._update_many(conn, params)
            if moved != len(params):  # SQLite only: an order moved after its check
                raise ConflictError(
                    f"{len(params) - moved} of {len(params)} locked orders did not update",
                    order_id=run[0].order_id,
                    expected_version=run[0].expected_version,
                    actual_version=-1,
                )
        self._write_after(conn, fresh)
        return stale

    def _update_many(self, conn: sa.Connection, params: list[dict[str, Any]]) -> int:
        """The guarded UPDATE for rows with one set of keys, each order once;
        returns how many rows it updated."""
        if conn.dialect.name == "postgresql" and len(params) >= UNNEST_FROM:
            # one statement instead of one per row in a pipeline
            return update_unnest(
                conn, self._t.orders, params, match={"b_id": "id", "b_expected": "version"}
            )
        return int(conn.execute(self._update_guarded, params).rowcount)

    def _lock_versions(self, conn: sa.Connection, order_ids: set[str]) -> dict[str, int | None]:
        """Current versions, the rows locked until the transaction ends (in id
        order, so two writers lock in the same order). SQLite has no row locks
        and this read may come before its write transaction begins: a writer in
        between is caught by the guarded UPDATE, and the batch is redone."""
        o = self._t.orders
        query = sa.select(o.c.id, o.c.version).where(o.c.id.in_(sorted(order_ids)))
        if conn.dialect.name != "sqlite":
            query = query.order_by(o.c.id).with_for_update()
        return {row.id: int(row.version) for row in conn.execute(query)}

    def _write_after(self, conn: sa.Connection, written: Sequence[PendingChange]) -> None:
        """Timeline rows, outbox events and the ``persist_order`` hook of
        changes whose order rows were just updated."""
        if not written:
            return
        conn.execute(self._insert_event, [change.event for change in written])
        outbox = [row for c in written for row in self._outbox_rows(c.order_id, c.events)]
        self._insert_outbox(conn, outbox)
        if self._persist is not None:
            self._persist(conn, [(change.written.order, False) for change in written])

    def transition(
        self,
        order_id: str,
        to: Lifecycle | str,
        *,
        actor: str,
        reason: str,
        expected_version: int,
    ) -> StoredOrder:
        """Move the lifecycle along an edge of the transition table."""
        target = Lifecycle(to)

        def mutate(order: Order) -> Order:
            current = order.status.lifecycle if order.status else Lifecycle.PENDING_PAYMENT
            if not can_transition(current, target):
                allowed = ", ".join(sorted(s.value for s in allowed_transitions(current))) or "none"
                raise TransitionError(
                    f"order {order_id}: {current.value} -> {target.value} is not allowed "
                    f"(allowed from {current.value}: {allowed})"
                )
            axes = (order.status or StatusAxes(lifecycle=current)).model_copy(
                update={"lifecycle": target}
            )
            return order.model_copy(update={"status": axes})

        return self.change(
            order_id,
            mutate,
            actor=actor,
            reason=reason,
            expected_version=expected_version,
            kind="transition",
            attempted={"lifecycle": target.value},
            to_state=target,
        )

    @staticmethod
    def _conflict(
        order_id: str, expected: int, actual: int, attempt: dict[str, Any]
    ) -> ConflictError:
        return ConflictError(
            "the order changed since you read it",
            order_id=order_id,
            expected_version=expected,
            actual_version=actual,
            attempted=attempt,
        )


def _event_row(
    order_id: str,
    at: datetime,
    actor: str,
    kind: str,
    reason: str | None,
    from_state: str | None,
    to_state: str | None,
    detail: dict[str, Any] | None,
) -> dict[str, Any]:
    """A timeline row (without its ``dedup_key``)."""
    return {
        "order_id": order_id,
        "at": at,
        "actor": actor,
        "kind": kind,
        "from_state": from_state,
        "to_state": to_state,
        "reason": (reason or "")[:512] or None,
        "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
    }


def _rounds(changes: Sequence[PendingChange]) -> list[list[PendingChange]]:
    """``changes`` as statements to run in order: each holds an order once (its
    n-th change goes in the n-th round, after the change it builds on) and one
    set of keys (one statement's parameters)."""
    seen: dict[str, int] = {}
    rounds: dict[tuple[int, tuple[str, ...]], list[PendingChange]] = {}
    for change in changes:
        n = seen.get(change.order_id, 0)
        seen[change.order_id] = n + 1
        rounds.setdefault((n, tuple(change.values)), []).append(change)
    return [rounds[key] for key in sorted(rounds, key=lambda k: k[0])]


def _stored(row: sa.Row[Any]) -> StoredOrder:
    return StoredOrder(
        order=Order.model_validate_json(row.snapshot),
        version=row.version,
        lifecycle=Lifecycle(row.lifecycle),
        platform_lifecycle=Lifecycle(row.platform_lifecycle) if row.platform_lifecycle else None,
        updated_at=aware(row.updated_at) or row.updated_at,
        hold_until=aware(row.hold_until),
    )


def insert_ignore_prebuilt(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *, key: str
) -> None:
    """``dialect.insert_ignore`` with its statement built once per table and
    dialect (hot paths insert a row or two per call)."""
    if rows:
        conn.execute(insert_ignore_statement(table, conn.dialect.name, key), list(rows))


@lru_cache(maxsize=256)
def insert_ignore_statement(table: sa.Table, dialect: str, key: str, counted: bool = False) -> Any:
    """The statement ``dialect.insert_ignore`` runs, built once per table and
    dialect. ``counted``: its rowcount says whether the row went in (on SQLite
    and PostgreSQL; MySQL counts a skipped row as found)."""
    if counted:
        stmt = insert_ignore_statement(table, dialect, key)
        return stmt.execution_options(preserve_rowcount=True)
    # let ``insert_ignore`` build the statement (one place knows the dialects'
    # spellings) and keep it instead of running it
    built: list[Any] = []
    capture = SimpleNamespace(
        dialect=SimpleNamespace(name=dialect), execute=lambda stmt, rows: built.append(stmt)
    )
    insert_ignore(capture, table, [{}], key=key)  # type: ignore[arg-type]
    return built[0]
