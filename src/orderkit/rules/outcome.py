"""What the rule families decide, besides the hook types in ``orderkit.decisions``.

Everything here is data: the caller applies it (stores hold reasons, reserves
stock and quota, books couriers) after the decision, and ``simulate`` compares
two of them with ``Decisions.summary``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from orderkit.decisions import Allocation, GiftDecision
from orderkit.models.order import DecisionTrace, HoldReason, HoldSeverity, Line, Order, Shipment


@dataclass
class HoldDecision:
    """The hold checks' verdict: every reason found, in rule order."""

    reasons: list[HoldReason]
    trace: DecisionTrace
    #: rule id -> seconds after which that rule's hold releases itself
    release_after: dict[str, int] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        """True when at least one reason blocks the order (warnings do not)."""
        return any(reason.severity == HoldSeverity.BLOCK for reason in self.reasons)

    def release_at(self, held_at: datetime) -> datetime | None:
        """When the hold ends by itself, or None if a person must release it.

        A hold releases itself only when every blocking reason comes from a
        rule with ``release_after``; it ends when the longest of them is over.
        The run loop (and ``kit.process``) applies this; the decision does not.
        """
        blocking = [r for r in self.reasons if r.severity == HoldSeverity.BLOCK]
        if not blocking:
            return None
        waits = [self.release_after.get(r.rule_id or "") for r in blocking]
        if any(wait is None for wait in waits):
            return None
        return held_at + timedelta(seconds=max(w for w in waits if w is not None))


@dataclass
class CourierDecision:
    """The shipments of an allocation with ``courier`` and ``reason`` set."""

    shipments: list[Shipment]
    trace: DecisionTrace


@dataclass
class Decisions:
    """holds -> gifts -> allocation -> courier for one order, all pure.

    ``order`` is the input order with the gift lines merged in and the
    shipments (with couriers) set, built when first read; nothing has been
    stored or reserved. When ``stop_on_block`` was asked for and the order is
    blocked, the later stages are None.
    """

    source: Order
    holds: HoldDecision
    gifts: GiftDecision | None
    allocation: Allocation | None
    courier: CourierDecision | None

    @cached_property
    def order(self) -> Order:
        """The decided order: gift lines merged, planned shipments set."""
        order = with_gifts(self.source, self.gifts) if self.gifts else self.source
        return with_shipments(order, self.courier.shipments) if self.courier else order

    @property
    def blocked(self) -> bool:
        return self.holds.blocked

    @property
    def traces(self) -> list[DecisionTrace]:
        """The traces of the stages that ran, in pipeline order."""
        out = [self.holds.trace]
        if self.gifts is not None:
            out.append(self.gifts.trace)
        if self.allocation is not None:
            out.append(self.allocation.trace)
        if self.courier is not None:
            out.append(self.courier.trace)
        return out

    def summary(self) -> dict[str, Any]:
        """A small comparable picture of the outcome, for ``simulate`` diffs."""
        shipments = self.courier.shipments if self.courier else []
        return {
            "blocked": self.blocked,
            "holds": sorted(f"{r.code}:{r.severity.value}" for r in self.holds.reasons),
            "gifts": {
                line.line_id: line.quantity for line in (self.gifts.lines if self.gifts else [])
            },
            "shipments": [
                {
                    "warehouse": s.warehouse,
                    "courier": s.courier,
                    "lines": {sl.line_id: sl.quantity for sl in s.lines},
                }
                for s in shipments
            ],
            "transfer_alert": self.allocation.transfer_alert if self.allocation else None,
        }


def merged_lines(order: Order, decision: GiftDecision) -> list[Line]:
    """The order's lines with the decision's gift lines merged by line id.

    Returns ``order.lines`` itself when nothing changes (callers test ``is``).
    """
    wanted = {line.line_id: line for line in decision.lines}
    removed = set(decision.removed_line_ids)
    if not removed:
        present = {id(line) for line in order.lines}
        if all(id(line) in present for line in wanted.values()):
            return order.lines
    lines = []
    for line in order.lines:
        if line.line_id in removed:
            continue
        lines.append(wanted.pop(line.line_id, line))
    lines.extend(wanted.values())
    return lines


def with_gifts(order: Order, decision: GiftDecision) -> Order:
    """``order`` with the decision's gift lines merged by line id (idempotent).

    Lines the decision removed are dropped; lines with the same id are
    replaced in place; new ones are appended. Returns ``order`` itself when
    nothing changes.
    """
    lines = merged_lines(order, decision)
    return order if lines is order.lines else order.model_copy(update={"lines": lines})


def with_shipments(order: Order, shipments: list[Shipment]) -> Order:
    """``order`` with ``shipments`` as its planned shipments."""
    return order.model_copy(update={"shipments": shipments})
