"""Canonical order models (pydantic v2)."""

from orderkit.models.order import (
    SCHEMA_ID,
    SCHEMA_VERSION,
    Amounts,
    Buyer,
    DecisionTrace,
    HoldReason,
    HoldSeverity,
    Line,
    Order,
    OrderType,
    Receiver,
    SellerFlag,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StatusAxes,
)
from orderkit.models.status import Lifecycle, PresaleState, RefundState

__all__ = [
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "Amounts",
    "Buyer",
    "DecisionTrace",
    "HoldReason",
    "HoldSeverity",
    "Lifecycle",
    "Line",
    "Order",
    "OrderType",
    "PresaleState",
    "Receiver",
    "RefundState",
    "SellerFlag",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatus",
    "StatusAxes",
]
