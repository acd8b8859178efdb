"""Types that decision hooks take and return.

Decisions are pure functions of (order, context, rule set) -> outcome + trace.
The context is gathered before deciding; side effects happen after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderkit.models import DecisionTrace, Line, Order, Shipment


@dataclass
class DecisionContext:
    """Facts read before deciding, so the decision itself does no I/O."""

    #: (sku, warehouse) -> available units
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    first_purchase_in_shop: bool | None = None
    blacklisted: bool = False
    recent_order_ids: list[str] = field(default_factory=list)
    #: gift rule id -> remaining quota (None = unlimited)
    gift_quota_left: dict[str, int | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the receiver was changed after payment (the ``address_changed`` hold reads it)
    address_changed_after_payment: bool = False


@dataclass
class GiftDecision:
    """Gift lines one ``apply_gifts`` implementation adds, with why."""

    lines: list[Line]
    trace: DecisionTrace
    #: gift rule id -> units of quota this decision needs to reserve
    quota_claims: dict[str, int] = field(default_factory=dict)
    #: ids of gift lines this implementation added earlier that no rule wants now
    #: (e.g. the main item was refunded); their quota may be released
    removed_line_ids: list[str] = field(default_factory=list)


@dataclass
class Allocation:
    """Where an order ships from: one or more shipments, with why."""

    shipments: list[Shipment]
    trace: DecisionTrace
    transfer_alert: str | None = None


@dataclass
class PickupRequest:
    """Ask a courier for a waybill for one shipment (idempotent per ``idempotency_key``)."""

    order: Order
    shipment: Shipment
    courier: str
    idempotency_key: str
    sender: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WaybillBooking:
    courier: str
    waybill: str
    label: str | None = None
