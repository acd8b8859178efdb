"""orderkit courier plugin for YTO Express (圆通速递), entry point ``yto``.

- ``protocol``: URLs, error codes, the ``sign`` signature;
- ``mapping``: request -> ``privacy_create_adapter`` body, answer -> waybill (pure);
- ``client``: the signed JSON POST;
- ``sandbox``: a local YTO open gateway that verifies and books.
"""

from __future__ import annotations

from orderkit_couriers.entry import courier_entry
from orderkit_couriers.yto.protocol import CODE, WAYBILL_PATTERN

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]

_entry = courier_entry(
    code=CODE, display_name="YTO Express (圆通速递)", package=__name__, sandbox="YtoSandbox"
)
courier_spec = _entry.courier_spec
sandbox_factory = _entry.sandbox_factory
register_couriers = _entry.register_couriers
book_pickup = _entry.book_pickup
