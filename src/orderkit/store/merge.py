"""How a newer platform payload meets what orderkit already added to an order.

The platform owns its fields; orderkit owns gift lines it added (``gift:``
line ids), shipments it planned, hold reasons, decision traces and the cleaned
address. A platform update replaces the platform's part and keeps ours.
"""

from __future__ import annotations

from orderkit.models import HoldReason, Order, Receiver

GIFT_LINE_PREFIX = "gift:"
ADDRESS_CHANGED_HOLD = "address_changed_after_payment"

# What the platform tells us about the receiver; a change in any of these is
# a new address (the structured levels are cleaner output and not compared).
_PLATFORM_RECEIVER_FIELDS = (
    "raw",
    "address_token",
    "name_masked",
    "phone_masked",
    "name_encrypted",
    "phone_encrypted",
    "address_encrypted",
    "zip",
)


def receiver_changed(old: Receiver, new: Receiver) -> bool:
    return any(getattr(old, f) != getattr(new, f) for f in _PLATFORM_RECEIVER_FIELDS)


def merge_platform_update(stored: Order, incoming: Order) -> Order:
    """``incoming`` with orderkit's own parts of ``stored`` carried over."""
    incoming_lines = {line.line_id for line in incoming.lines}
    kept_gifts = [
        line
        for line in stored.lines
        if line.line_id.startswith(GIFT_LINE_PREFIX)
        and line.line_id not in incoming_lines
        and (line.parent_line_id is None or line.parent_line_id in incoming_lines)
    ]
    incoming_shipments = {s.shipment_id for s in incoming.shipments}
    lines = [*incoming.lines, *kept_gifts]
    known = {line.line_id for line in lines}
    kept_shipments = [
        s
        for s in stored.shipments
        if s.shipment_id not in incoming_shipments and all(sl.line_id in known for sl in s.lines)
    ]
    receiver = (
        incoming.receiver
        if receiver_changed(stored.receiver, incoming.receiver)
        else stored.receiver
    )
    holds: list[HoldReason] = [*stored.hold_reasons]
    for hold in incoming.hold_reasons:
        if all(h.code != hold.code for h in holds):
            holds.append(hold)
    return incoming.model_copy(
        update={
            "id": stored.id,
            "lines": lines,
            "shipments": [*incoming.shipments, *kept_shipments],
            "receiver": receiver,
            "hold_reasons": holds,
            "traces": [*stored.traces, *incoming.traces],
        }
    )
