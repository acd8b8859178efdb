"""orderkit courier plugin for YTO Express (圆通速递), entry point ``yto``.

- ``protocol``: URLs, error codes, the ``sign`` signature;
- ``mapping``: request -> ``privacy_create_adapter`` body, answer -> waybill (pure);
- ``client``: the signed JSON POST;
- ``sandbox``: a local YTO open gateway that verifies and books.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orderkit import hookimpl
from orderkit.specs import CourierSpec
from orderkit_couriers.yto.protocol import CODE, WAYBILL_PATTERN

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext
    from orderkit_couriers.yto.sandbox import YtoSandbox

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]


def sandbox_factory(**options: Any) -> YtoSandbox:
    """A ``YtoSandbox`` (imported on demand: production never loads it)."""
    from orderkit_couriers.yto.sandbox import YtoSandbox

    return YtoSandbox(**options)


def courier_spec() -> CourierSpec:
    return CourierSpec(
        code=CODE, display_name="YTO Express (圆通速递)", sandbox_factory=sandbox_factory
    )


@hookimpl
def register_couriers(register: Callable[[CourierSpec], None]) -> None:
    register(courier_spec())


@hookimpl
def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    from orderkit_couriers.yto.client import book_pickup as book

    return book(courier, request)
