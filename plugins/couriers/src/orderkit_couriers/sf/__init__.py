"""orderkit courier plugin for SF Express (顺丰速运), entry point ``sf``.

- ``protocol``: URLs, result codes, the ``msgDigest`` signature;
- ``mapping``: request -> ``EXP_RECE_CREATE_ORDER`` msgData, answer -> waybill (pure);
- ``client``: the signed form POST;
- ``sandbox``: a local ``/std/service`` that verifies and books.
"""

from __future__ import annotations

from orderkit_couriers.entry import courier_entry
from orderkit_couriers.sf.protocol import CODE, WAYBILL_PATTERN

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]

_entry = courier_entry(
    code=CODE, display_name="SF Express (顺丰速运)", package=__name__, sandbox="SfSandbox"
)
courier_spec = _entry.courier_spec
sandbox_factory = _entry.sandbox_factory
register_couriers = _entry.register_couriers
book_pickup = _entry.book_pickup
