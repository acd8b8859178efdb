"""Waybills and tracking uploads (``kit.ship``, ``kit.book_pickup``, the run
loop's upload job)."""

from orderkit.ship.rows import BOOKED, MANUAL_ENTRY, UPLOAD_FAILED, UPLOADED, ShipmentRow
from orderkit.ship.shipper import ShipBatch, ShipError, ShipOutcome, Shipper, Waybill, retry_delay

__all__ = [
    "BOOKED",
    "MANUAL_ENTRY",
    "UPLOADED",
    "UPLOAD_FAILED",
    "ShipBatch",
    "ShipError",
    "ShipOutcome",
    "ShipmentRow",
    "Shipper",
    "Waybill",
    "retry_delay",
]
