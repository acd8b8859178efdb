"""Process one order: address -> holds -> gifts -> allocation -> courier.

The decision is pure (``orderkit.rules``); then, in one transaction, the gift
quota and the stock are claimed and the order, its traces and its events are
written under a version guard. If another worker got there first (quota or
stock gone, order changed) the order is decided again with a fresh context.
Processing an order twice adds no second gift and reserves nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog

from orderkit.errors import ConflictError
from orderkit.models import HoldReason, HoldSeverity, Lifecycle, Order, StatusAxes
from orderkit.process.address_step import clean_receiver
from orderkit.process.context import Facts, china_day
from orderkit.rules import Decisions, RuleSet, explain_text
from orderkit.store.quotas import QuotaLimit

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.store import StoredOrder
    from orderkit.store.orders import PendingChange
    from orderkit.store.stock import Line

log = structlog.get_logger("orderkit.process")

#: Lifecycles an order is (re)decided in; later ones are past the decisions.
PROCESSABLE = {Lifecycle.PAID, Lifecycle.APPROVED, Lifecycle.ON_HOLD}
ATTEMPTS = 4
#: Reservation states that hold (or held) stock for their line.
_HELD = frozenset({"reserved", "consumed"})
#: Decided orders written per transaction by ``process_many``.
WRITE_CHUNK = 100


@dataclass
class ProcessOutcome:
    order_id: str
    status: str  # allocated | approved | held | skipped
    lifecycle: str
    detail: str = ""
    holds: list[str] = field(default_factory=list)
    gifts: dict[str, str] = field(default_factory=dict)  # gift line id -> rule id
    shipments: list[dict[str, Any]] = field(default_factory=list)
    transfer_alert: str | None = None


@dataclass
class ProcessBatch:
    """What ``process_many`` did: an outcome per processed order, and the
    orders that failed with why (one bad order never stops the others)."""

    outcomes: list[ProcessOutcome] = field(default_factory=list)
    failed: dict[str, Exception] = field(default_factory=dict)


class _Retry(Exception):
    """Another worker took the quota or stock we decided on: decide again."""


@dataclass(frozen=True)
class _Decided:
    """What a decision wants written, worked out before any write."""

    change: PendingChange
    outcome: ProcessOutcome
    #: (line_id, sku, warehouse, quantity) to reserve; none when held
    wanted: list[Line] = field(default_factory=list)
    #: limited gift rule id -> units to claim
    quota_claims: dict[str, int] = field(default_factory=dict)
    #: gift rules whose lines were removed (their quota goes back); None: none removed
    quota_released: set[str] | None = None


@dataclass(frozen=True)
class _Plan:
    """A prefetched order decided in a batch, waiting to be written with others."""

    stored: StoredOrder
    outcome: ProcessOutcome
    #: None: skipped (only its decided version is recorded)
    decided: _Decided | None = None

    @property
    def order_id(self) -> str:
        return self.stored.order.id or ""

    @property
    def wanted(self) -> list[Line]:
        return self.decided.wanted if self.decided is not None else []


def _fits(
    plan: _Plan, free: dict[tuple[str, str], int], held: dict[tuple[str, str, str], str]
) -> list[Line] | None:
    """The lines of ``plan`` that take stock now (the others were reserved
    before), taken off ``free``; None if one is short or needs a row claimed
    again (the one-at-a-time path does that), leaving ``free`` as it was."""
    new: list[Line] = []
    for line in plan.wanted:
        line_id, sku, warehouse, quantity = line
        state = held.get((plan.order_id, line_id, warehouse))
        if state in _HELD:
            continue
        if state is not None or free.get((sku, warehouse), 0) < quantity:
            for _, s, w, n in new:
                free[s, w] += n
            return None
        free[sku, warehouse] -= quantity
        new.append(line)
    return new


@dataclass
class _Prefetched:
    """A batch's orders and facts, read before its first decision."""

    orders: dict[str, StoredOrder]
    facts: Facts
    #: (order id, line id, warehouse) of the batch's lines holding stock already
    held: set[tuple[str, str, str]] = field(default_factory=set)


class Processor:
    def __init__(self, kit: OrderKit, rules: RuleSet | None = None) -> None:
        self._kit = kit
        self.rules = rules or RuleSet.from_config(kit.config)

    def process(self, order_id: str, *, actor: str = "system:process") -> ProcessOutcome:
        return self._process(order_id, actor, None)

    def process_many(
        self,
        order_ids: Sequence[str],
        *,
        actor: str = "system:process",
        stop: Callable[[], bool] | None = None,
    ) -> ProcessBatch:
        """``process`` each order, in order, until ``stop()`` says so.

        The orders and the facts their decisions read (stock, buyers, quota)
        are read for the whole batch first, in one transaction. Each order is
        then decided, and up to ``WRITE_CHUNK`` decisions are written together
        in one transaction: stock rows locked and checked, orders under their
        version guards. An order that does not fit any more (stock gone, order
        changed, a gift quota to claim) is processed alone with fresh reads,
        as ``process`` does, so the outcome is the same as one at a time.
        """
        order_ids = list(dict.fromkeys(order_ids))  # an order listed twice is processed once
        outcomes: dict[str, ProcessOutcome] = {}
        failed: dict[str, Exception] = {}
        prefetched = self._prefetch(order_ids)
        plans: list[_Plan] = []
        for order_id in order_ids:
            if stop is not None and stop():
                break
            try:
                plan = self._plan(order_id, actor, prefetched) if prefetched else None
                if plan is None:
                    outcomes[order_id] = self._process(order_id, actor, prefetched)
                    continue
            except Exception as exc:  # recorded for the caller; the batch goes on
                failed[order_id] = exc
                continue
            plans.append(plan)
            if len(plans) >= WRITE_CHUNK:
                self._write_plans(plans, actor, outcomes, failed)
                plans = []
        self._write_plans(plans, actor, outcomes, failed)
        batch = ProcessBatch(failed=failed)
        batch.outcomes = [outcomes[oid] for oid in order_ids if oid in outcomes]
        return batch

    def _prefetch(self, order_ids: Sequence[str]) -> _Prefetched | None:
        kit = self._kit
        try:
            with kit.store.db.transaction() as conn:
                orders = kit.store.orders.get_many(order_ids, conn)
                facts = Facts.read_in(
                    kit, self.rules, [stored.order for stored in orders.values()], conn
                )
                states = kit.store.stock.line_states(conn, list(orders))
        except Exception as exc:  # each order then reads for itself (and reports)
            log.warning("process.prefetch_failed", error=str(exc))
            return None
        held = {key for key, state in states.items() if state in _HELD}
        return _Prefetched(orders, facts, held)

    def _process(self, order_id: str, actor: str, prefetched: _Prefetched | None) -> ProcessOutcome:
        last: Exception | None = None
        for attempt in range(ATTEMPTS):
            # a retry reads everything again: another worker changed something
            ahead = prefetched if attempt == 0 else None
            stored = ahead.orders.pop(order_id, None) if ahead else None
            if stored is None:
                ahead = None
                stored = self._kit.store.orders.get(order_id)
            if stored.lifecycle is Lifecycle.ON_HOLD and self._hold_over(stored):
                # the hold's time is up: it releases itself, on the record
                stored = self.release(
                    order_id, actor="system:hold-timer", reason="hold time is over"
                )
            skip = self._skip_reason(stored)
            if skip is not None:
                self._kit.store.db.run(partial(self._mark_decided, order_id, stored.version))
                return ProcessOutcome(order_id, "skipped", stored.lifecycle.value, skip)
            order = clean_receiver(self._kit, stored.order)
            facts = ahead.facts if ahead else Facts.read(self._kit, self.rules, [order])
            decisions = self.rules.decide(order, facts.context(order))
            try:
                outcome, took = self._kit.store.db.run(
                    partial(
                        self._apply, stored=stored, order=order, decisions=decisions, actor=actor
                    )
                )
            except (_Retry, ConflictError) as exc:
                last = exc
                log.info("process.retry", order=order_id, why=type(exc).__name__)
                continue
            if prefetched is not None:
                prefetched.facts.took(took, quota=_touches_quota(decisions))
            return outcome
        if isinstance(last, _Retry):
            # stock or quota kept running out under us: hold it visibly, lose nothing
            return self._hold_short(order_id, str(last), actor)
        raise ConflictError(
            "gave up after competing workers",
            order_id=order_id,
            expected_version=-1,
            actual_version=-1,
            attempted={"error": str(last)},
        )

    def _hold_short(self, order_id: str, why: str, actor: str) -> ProcessOutcome:
        stored = self._kit.store.orders.get(order_id)
        hold = HoldReason(code="stock_short", detail=why)

        def mutate(order: Order) -> Order:
            axes = (order.status or StatusAxes(lifecycle=stored.lifecycle)).model_copy(
                update={"lifecycle": Lifecycle.ON_HOLD}
            )
            return order.model_copy(
                update={"status": axes, "hold_reasons": [*order.hold_reasons, hold]}
            )

        held = self._kit.store.orders.change(
            order_id,
            mutate,
            actor=actor,
            reason=why,
            expected_version=stored.version,
            kind="processed:held",
            to_state=Lifecycle.ON_HOLD,
        )
        self._kit.store.db.run(partial(self._mark_decided, order_id, held.version))
        return ProcessOutcome(order_id, "held", Lifecycle.ON_HOLD.value, why, holds=["stock_short"])

    def _mark_decided(self, order_id: str, version: int, conn: sa.Connection) -> None:
        """Remember the version decided, so ``orderkit run`` picks the order up
        again only when it changes (or its hold time is over)."""
        o = self._kit.store.tables.orders
        conn.execute(
            o.update()
            .where(o.c.id == order_id, o.c.version == version)
            .values(decided_version=version)
        )

    def _skip_reason(self, stored: StoredOrder) -> str | None:
        order = stored.order
        if stored.lifecycle not in PROCESSABLE:
            return f"{stored.lifecycle.value}: past the decisions"
        if order.status and order.status.presale.value == "deposit_paid":
            return "presale: waiting for the balance"
        if stored.lifecycle is Lifecycle.ON_HOLD:
            until = stored.hold_until
            return f"on hold until {until}" if until else "on hold: waiting for a person"
        return None

    def _hold_over(self, stored: StoredOrder) -> bool:
        until = stored.hold_until
        return until is not None and until <= self._kit.clock.now()

    # -- side effects, in one transaction ---------------------------------------

    def _apply(
        self,
        conn: sa.Connection,
        *,
        stored: StoredOrder,
        order: Order,
        decisions: Decisions,
        actor: str,
    ) -> tuple[ProcessOutcome, list[Line]]:
        """Claim, reserve and write one order; returns the outcome and the
        lines that took stock now."""
        oid = stored.order.id or ""
        decided = self._decided(stored, order, decisions, actor)
        # claim gift quota and stock for what was decided; short -> decide again
        limits = self.rules.gift_quotas()
        for rule_id, units in decided.quota_claims.items():
            limit = limits[rule_id]
            if not self._kit.store.quotas.claim(
                conn,
                order_id=oid,
                rule_id=rule_id,
                units=units,
                day=china_day(self._kit),
                limit=QuotaLimit(limit.total, limit.per_day),
            ):
                raise _Retry(f"gift quota of {rule_id} ran out")
        if decided.quota_released is not None:
            self._kit.store.quotas.release(conn, oid, decided.quota_released)
        wanted = decided.wanted
        took = self._kit.store.stock.reserve_lines(conn, oid, wanted) if wanted else []
        if took is None:
            raise _Retry("stock was taken by another order")
        self._kit.store.orders.apply(conn, decided.change)
        return decided.outcome, took

    def _decided(
        self, stored: StoredOrder, order: Order, decisions: Decisions, actor: str
    ) -> _Decided:
        """What a decision wants written, worked out in memory (pure)."""
        released = {h.code for h in order.hold_reasons if h.released_by}
        fresh = [h for h in decisions.holds.reasons if h.code not in released]
        kept = [
            h for h in order.hold_reasons if h.released_by or h.code not in {r.code for r in fresh}
        ]
        holds = _merge_holds(kept, fresh)
        blocking = [h for h in holds if h.severity.value == "block" and h.released_by is None]
        traces = [t.model_dump(mode="json") for t in decisions.traces]
        if blocking:
            until = decisions.holds.release_at(self._kit.clock.now())
            change, outcome = self._change(
                stored,
                order.model_copy(update={"hold_reasons": holds}),
                Lifecycle.ON_HOLD,
                actor,
                traces,
                decisions,
                "held",
                hold_until=until,
                codes=[h.code for h in blocking],
            )
            return _Decided(change, outcome)
        claims: dict[str, int] = {}
        quota_released: set[str] | None = None
        gifts = decisions.gifts
        if gifts is not None:
            limits = self.rules.gift_quotas()
            claims = {rule: units for rule, units in gifts.quota_claims.items() if rule in limits}
            if gifts.removed_line_ids:
                gone = {line.line_id for line in order.lines} & set(gifts.removed_line_ids)
                quota_released = {lid.split(":")[1] for lid in gone if lid.count(":") >= 2}
        decided = decisions.order
        lines = {line.line_id: line for line in decided.lines}
        wanted = [
            (sl.line_id, lines[sl.line_id].sku or "", s.warehouse, sl.quantity)
            for s in decided.shipments
            if s.warehouse
            for sl in s.lines
        ]
        no_sku = sorted({line_id for line_id, sku, _, _ in wanted if not sku})
        wanted = [item for item in wanted if item[1]]
        if no_sku and all(h.code != "line_without_sku" for h in holds):
            # nothing to reserve against: say so instead of pretending it is reserved
            holds = [
                *holds,
                HoldReason(
                    code="line_without_sku",
                    severity=HoldSeverity.WARN,
                    detail=f"no merchant SKU on line(s) {', '.join(no_sku)}",
                ),
            ]
        target = (
            Lifecycle.ALLOCATED
            if decided.shipments
            and not (decisions.allocation and decisions.allocation.transfer_alert)
            else Lifecycle.APPROVED
        )
        change, outcome = self._change(
            stored,
            decided.model_copy(update={"hold_reasons": holds}),
            target,
            actor,
            traces,
            decisions,
            "allocated" if target is Lifecycle.ALLOCATED else "approved",
        )
        return _Decided(change, outcome, wanted, claims, quota_released)

    def _change(
        self,
        stored: StoredOrder,
        order: Order,
        target: Lifecycle,
        actor: str,
        traces: list[dict[str, Any]],
        decisions: Decisions,
        status: str,
        *,
        hold_until: datetime | None = None,
        codes: list[str] | None = None,
    ) -> tuple[PendingChange, ProcessOutcome]:
        oid = stored.order.id or ""
        current = stored.lifecycle
        axes = (order.status or StatusAxes(lifecycle=current)).model_copy(
            update={"lifecycle": target}
        )
        final = order.model_copy(
            update={"status": axes, "traces": [*stored.order.traces, *decisions.traces]}
        )
        words = [line for trace in traces for line in explain_text(trace)]
        gift_rules = {
            line.line_id: line.line_id.split(":")[1]
            for line in final.lines
            if line.line_id.startswith("gift:")
        }
        shipments = [
            {
                "shipment_id": s.shipment_id,
                "warehouse": s.warehouse,
                "courier": s.courier,
                "reason": s.reason,
            }
            for s in final.shipments
        ]
        transfer_alert = decisions.allocation.transfer_alert if decisions.allocation else None
        event = {
            "order_id": oid,
            "lifecycle": target.value,
            "holds": codes or [],
            "gifts": gift_rules,
            "shipments": shipments,
            "transfer_alert": transfer_alert,
        }
        change = self._kit.store.orders.prepare(
            stored,
            final,
            actor=actor,
            reason="; ".join(words)[:500] or status,
            kind=f"processed:{status}",
            to_state=target,
            hold_until=hold_until,
            # the traces themselves are on the order (``order.traces``): the
            # timeline keeps their words, not a second copy of each trace
            detail={"explain": words, "rule_set_version": self.rules.version},
            decided=True,
            events=[(f"order.{status}", event, f"{oid}|{stored.version}")],
        )
        outcome = ProcessOutcome(
            oid,
            status,
            target.value,
            holds=codes or [],
            gifts=gift_rules,
            shipments=shipments,
            transfer_alert=transfer_alert,
        )
        return change, outcome

    # -- many orders, written together ----------------------------------------------

    def _plan(self, order_id: str, actor: str, prefetched: _Prefetched) -> _Plan | None:
        """Decide a prefetched order for writing with others; None: it takes
        the one-at-a-time path (not prefetched, a hold to end, quota to claim)."""
        stored = prefetched.orders.get(order_id)
        if stored is None or (stored.lifecycle is Lifecycle.ON_HOLD and self._hold_over(stored)):
            return None
        skip = self._skip_reason(stored)
        if skip is not None:
            del prefetched.orders[order_id]
            outcome = ProcessOutcome(order_id, "skipped", stored.lifecycle.value, skip)
            return _Plan(stored, outcome)
        order = clean_receiver(self._kit, stored.order)
        decisions = self.rules.decide(order, prefetched.facts.context(order))
        decided = self._decided(stored, order, decisions, actor)
        if decided.quota_claims or decided.quota_released is not None:
            return None
        del prefetched.orders[order_id]
        # later decisions of the batch see the stock this one takes now as
        # taken (lines it reserved before were never in the free stock)
        held = prefetched.held
        taking = [line for line in decided.wanted if (order_id, line[0], line[2]) not in held]
        prefetched.facts.took(taking, quota=False)
        return _Plan(stored, decided.outcome, decided)

    def _write_plans(
        self,
        plans: list[_Plan],
        actor: str,
        outcomes: dict[str, ProcessOutcome],
        failed: dict[str, Exception],
    ) -> None:
        """Write decided orders together; the ones that no longer fit are
        processed again one at a time, with fresh reads."""
        if not plans:
            return
        db = self._kit.store.db
        try:
            redo = db.run(partial(self._apply_many, plans))
        except Exception as exc:
            if not db.owns_transactions:
                raise  # part of the batch may be in the ERP's transaction: it must roll back
            # our transaction rolled back, so nothing of the batch was written
            log.warning("process.batch_failed", orders=len(plans), error=str(exc))
            redo = plans
        again = {id(plan) for plan in redo}
        for plan in plans:
            order_id = plan.order_id
            if id(plan) not in again:
                outcomes[order_id] = plan.outcome
                continue
            log.info("process.retry", order=order_id, why="batch")
            try:
                outcomes[order_id] = self._process(order_id, actor, None)
            except Exception as exc:
                failed[order_id] = exc

    def _apply_many(self, plans: Sequence[_Plan], conn: sa.Connection) -> list[_Plan]:
        """Write the plans that still fit, in one transaction; returns the others.

        Stock rows are locked first and the batch's reservations checked
        against them in memory, in order; then the orders' guarded changes
        are written together (an order that moved on is handed back), then
        the reservations and the stock taken, one statement each.
        """
        stock = self._kit.store.stock
        writes = [p for p in plans if p.decided is not None]
        keys = {(sku, wh) for p in writes for _, sku, wh, _ in p.wanted}
        free = stock.lock_free(conn, keys)
        held = stock.line_states(conn, [p.order_id for p in writes if p.wanted])
        redo: list[_Plan] = []
        fitting: list[tuple[_Plan, list[Line]]] = []
        for plan in writes:
            new = _fits(plan, free, held)
            if new is None:
                redo.append(plan)
            else:
                fitting.append((plan, new))
        changes = [plan.decided.change for plan, _ in fitting if plan.decided is not None]
        stale = {id(change) for change in self._kit.store.orders.write_many(conn, changes)}
        taken: list[tuple[str, Line]] = []
        for plan, new in fitting:
            if plan.decided is not None and id(plan.decided.change) in stale:
                redo.append(plan)  # its stock stays on the shelf
            else:
                taken.extend((plan.order_id, line) for line in new)
        stock.reserve_new(conn, taken)
        skipped = [p for p in plans if p.decided is None]
        if skipped:
            o = self._kit.store.tables.orders
            conn.execute(
                o.update()
                .where(o.c.id == sa.bindparam("b_id"), o.c.version == sa.bindparam("b_version"))
                .values(decided_version=sa.bindparam("b_version")),
                [{"b_id": p.order_id, "b_version": p.stored.version} for p in skipped],
            )
        return redo

    # -- release ---------------------------------------------------------------------

    def release(self, order_id: str, *, actor: str, reason: str) -> StoredOrder:
        """Release an on-hold order by hand: its holds stay on record as released."""
        stored = self._kit.store.orders.get(order_id)

        def mutate(order: Order) -> Order:
            holds = [
                h.model_copy(update={"released_by": h.released_by or actor})
                for h in order.hold_reasons
            ]
            axes = (order.status or StatusAxes(lifecycle=stored.lifecycle)).model_copy(
                update={"lifecycle": Lifecycle.APPROVED}
            )
            return order.model_copy(update={"hold_reasons": holds, "status": axes})

        if stored.lifecycle is not Lifecycle.ON_HOLD:
            raise ConflictError(
                f"is {stored.lifecycle.value}, not on hold",
                order_id=order_id,
                expected_version=stored.version,
                actual_version=stored.version,
            )
        return self._kit.store.orders.change(
            order_id,
            mutate,
            actor=actor,
            reason=reason,
            expected_version=stored.version,
            kind="released",
            attempted={"release": reason},
            to_state=Lifecycle.APPROVED,
        )


def _merge_holds(kept: list[HoldReason], fresh: list[HoldReason]) -> list[HoldReason]:
    seen = {h.code for h in kept}
    return [*kept, *(h for h in fresh if h.code not in seen)]


def _touches_quota(decisions: Decisions) -> bool:
    """The order may have claimed or given back gift quota."""
    gifts = decisions.gifts
    return gifts is not None and bool(gifts.quota_claims or gifts.removed_line_ids)
