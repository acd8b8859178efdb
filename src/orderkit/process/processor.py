"""Process one order: address -> holds -> gifts -> allocation -> courier.

The decision is pure (``orderkit.rules``); then, in one transaction, the gift
quota and the stock are claimed and the order, its traces and its events are
written under a version guard. If another worker got there first (quota or
stock gone, order changed) the order is decided again with a fresh context.
Processing an order twice adds no second gift and reserves nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog

from orderkit.errors import ConflictError
from orderkit.models import HoldReason, HoldSeverity, Lifecycle, Order, StatusAxes
from orderkit.process.address_step import clean_receiver
from orderkit.process.context import china_day, gather_context
from orderkit.rules import Decisions, RuleSet, explain_text
from orderkit.store.quotas import QuotaLimit

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.store import StoredOrder

log = structlog.get_logger("orderkit.process")

#: Lifecycles an order is (re)decided in; later ones are past the decisions.
PROCESSABLE = {Lifecycle.PAID, Lifecycle.APPROVED, Lifecycle.ON_HOLD}
ATTEMPTS = 4


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


class _Retry(Exception):
    """Another worker took the quota or stock we decided on: decide again."""


class Processor:
    def __init__(self, kit: OrderKit, rules: RuleSet | None = None) -> None:
        self._kit = kit
        self.rules = rules or RuleSet.from_config(kit.config)

    def process(self, order_id: str, *, actor: str = "system:process") -> ProcessOutcome:
        last: Exception | None = None
        for _ in range(ATTEMPTS):
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
            context = gather_context(self._kit, self.rules, order)
            decisions = self.rules.decide(order, context)
            try:
                return self._kit.store.db.run(
                    partial(
                        self._apply, stored=stored, order=order, decisions=decisions, actor=actor
                    )
                )
            except (_Retry, ConflictError) as exc:
                last = exc
                log.info("process.retry", order=order_id, why=type(exc).__name__)
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
            until = self._hold_until(stored)
            return f"on hold until {until}" if until else "on hold: waiting for a person"
        return None

    def _hold_over(self, stored: StoredOrder) -> bool:
        until = self._hold_until(stored)
        return until is not None and until <= self._kit.clock.now()

    def _hold_until(self, stored: StoredOrder) -> datetime | None:
        o = self._kit.store.tables.orders
        with self._kit.store.db.transaction() as conn:
            value = conn.execute(
                sa.select(o.c.hold_until).where(o.c.id == stored.order.id)
            ).scalar_one_or_none()
        from orderkit.store.db import aware

        return aware(value)

    # -- side effects, in one transaction ---------------------------------------

    def _apply(
        self,
        conn: sa.Connection,
        *,
        stored: StoredOrder,
        order: Order,
        decisions: Decisions,
        actor: str,
    ) -> ProcessOutcome:
        oid = stored.order.id or ""
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
            return self._write(
                conn,
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
        # claim gift quota and stock for what was decided; short -> decide again
        gifts = decisions.gifts
        if gifts is not None:
            limits = self.rules.gift_quotas()
            day = china_day(self._kit)
            for rule_id, units in gifts.quota_claims.items():
                limit = limits.get(rule_id)
                if limit is None:
                    continue
                if not self._kit.store.quotas.claim(
                    conn,
                    order_id=oid,
                    rule_id=rule_id,
                    units=units,
                    day=day,
                    limit=QuotaLimit(limit.total, limit.per_day),
                ):
                    raise _Retry(f"gift quota of {rule_id} ran out")
            if gifts.removed_line_ids:
                gone = {line.line_id for line in order.lines} & set(gifts.removed_line_ids)
                rules_gone = {lid.split(":")[1] for lid in gone if lid.count(":") >= 2}
                self._kit.store.quotas.release(conn, oid, rules_gone)
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
        if wanted and not self._kit.store.stock.reserve_all(conn, oid, wanted):
            raise _Retry("stock was taken by another order")
        target = (
            Lifecycle.ALLOCATED
            if decided.shipments
            and not (decisions.allocation and decisions.allocation.transfer_alert)
            else Lifecycle.APPROVED
        )
        result = decided.model_copy(update={"hold_reasons": holds})
        return self._write(
            conn,
            stored,
            result,
            target,
            actor,
            traces,
            decisions,
            "allocated" if target is Lifecycle.ALLOCATED else "approved",
        )

    def _write(
        self,
        conn: sa.Connection,
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
    ) -> ProcessOutcome:
        oid = stored.order.id or ""
        current = stored.lifecycle
        axes = (order.status or StatusAxes(lifecycle=current)).model_copy(
            update={"lifecycle": target}
        )
        final = order.model_copy(
            update={"status": axes, "traces": [*stored.order.traces, *decisions.traces]}
        )
        words = [line for trace in traces for line in explain_text(trace)]
        self._kit.store.orders.change_in(
            conn,
            oid,
            lambda _: final,
            actor=actor,
            reason="; ".join(words)[:500] or status,
            expected_version=stored.version,
            kind=f"processed:{status}",
            to_state=target,
            hold_until=hold_until,
            detail={"traces": traces, "explain": words},
        )
        self._mark_decided(oid, stored.version + 1, conn)
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
        self._kit.store.outbox_add(
            conn,
            f"order.{status}",
            oid,
            {
                "order_id": oid,
                "lifecycle": target.value,
                "holds": codes or [],
                "gifts": gift_rules,
                "shipments": shipments,
                "transfer_alert": decisions.allocation.transfer_alert
                if decisions.allocation
                else None,
            },
            key=f"{oid}|{stored.version}",
        )
        return ProcessOutcome(
            oid,
            status,
            target.value,
            holds=codes or [],
            gifts=gift_rules,
            shipments=shipments,
            transfer_alert=decisions.allocation.transfer_alert if decisions.allocation else None,
        )

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
