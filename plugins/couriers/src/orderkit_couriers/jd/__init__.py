"""orderkit courier plugin for JD Logistics (京东物流), entry point ``jd``.

- ``protocol``: URLs, gateway codes, the ``md5-salt`` signature;
- ``mapping``: request -> ``/ecap/v1/orders/create`` body, answer -> waybill (pure);
- ``client``: the signed POST (auth in the query string);
- ``sandbox``: a local LOP gateway that verifies and books.
"""

from __future__ import annotations

from orderkit_couriers.entry import courier_entry
from orderkit_couriers.jd.protocol import CODE, WAYBILL_PATTERN

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]

_entry = courier_entry(
    code=CODE, display_name="JD Logistics (京东物流)", package=__name__, sandbox="JdSandbox"
)
courier_spec = _entry.courier_spec
sandbox_factory = _entry.sandbox_factory
register_couriers = _entry.register_couriers
book_pickup = _entry.book_pickup
