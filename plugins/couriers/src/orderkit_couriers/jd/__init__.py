"""orderkit courier plugin for JD Logistics (京东物流), entry point ``jd``.

- ``protocol``: URLs, gateway codes, the ``md5-salt`` signature;
- ``mapping``: request -> ``/ecap/v1/orders/create`` body, answer -> waybill (pure);
- ``client``: the signed POST (auth in the query string);
- ``sandbox``: a local LOP gateway that verifies and books.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orderkit import hookimpl
from orderkit.specs import CourierSpec
from orderkit_couriers.jd.protocol import CODE, WAYBILL_PATTERN

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext
    from orderkit_couriers.jd.sandbox import JdSandbox

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]


def sandbox_factory(**options: Any) -> JdSandbox:
    """A ``JdSandbox`` (imported on demand: production never loads it)."""
    from orderkit_couriers.jd.sandbox import JdSandbox

    return JdSandbox(**options)


def courier_spec() -> CourierSpec:
    return CourierSpec(
        code=CODE, display_name="JD Logistics (京东物流)", sandbox_factory=sandbox_factory
    )


@hookimpl
def register_couriers(register: Callable[[CourierSpec], None]) -> None:
    register(courier_spec())


@hookimpl
def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    from orderkit_couriers.jd.client import book_pickup as book

    return book(courier, request)
