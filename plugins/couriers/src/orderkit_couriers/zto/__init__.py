"""orderkit courier plugin for ZTO Express (中通快递), entry point ``zto``.

- ``protocol``: URLs, status codes, the ``x-datadigest`` signature;
- ``mapping``: request -> ``zto.open.createOrder`` body, answer -> waybill (pure);
- ``client``: the signed JSON POST;
- ``sandbox``: a local ZOP gateway that verifies and books.
"""

from __future__ import annotations

from orderkit_couriers.entry import courier_entry
from orderkit_couriers.zto.protocol import CODE, WAYBILL_PATTERN

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]

_entry = courier_entry(
    code=CODE, display_name="ZTO Express (中通快递)", package=__name__, sandbox="ZtoSandbox"
)
courier_spec = _entry.courier_spec
sandbox_factory = _entry.sandbox_factory
register_couriers = _entry.register_couriers
book_pickup = _entry.book_pickup
