"""The three status axes of a canonical order. Ranks and transitions are data
(``orderkit/data/lifecycle.json``); these enums only name the values."""

from __future__ import annotations

from enum import StrEnum


class Lifecycle(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    ALLOCATED = "allocated"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"  # tracking number uploaded to the channel
    IN_TRANSIT = "in_transit"  # first courier scan
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # ended before shipping (terminal)
    CLOSED = "closed"  # ended after shipping, e.g. fully refunded after delivery (terminal)


class RefundState(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    IN_PROGRESS = "in_progress"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    REJECTED = "rejected"


class PresaleState(StrEnum):
    NONE = "none"
    DEPOSIT_PAID = "deposit_paid"
    BALANCE_PAID = "balance_paid"
