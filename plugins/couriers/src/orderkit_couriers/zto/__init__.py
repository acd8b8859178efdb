"""orderkit courier plugin for ZTO Express (中通快递), entry point ``zto``.

- ``protocol``: URLs, status codes, the ``x-datadigest`` signature;
- ``mapping``: request -> ``zto.open.createOrder`` body, answer -> waybill (pure);
- ``client``: the signed JSON POST;
- ``sandbox``: a local ZOP gateway that verifies and books.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orderkit import hookimpl
from orderkit.specs import CourierSpec
from orderkit_couriers.zto.protocol import CODE, WAYBILL_PATTERN

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext
    from orderkit_couriers.zto.sandbox import ZtoSandbox

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]


def sandbox_factory(**options: Any) -> ZtoSandbox:
    """A ``ZtoSandbox`` (imported on demand: production never loads it)."""
    from orderkit_couriers.zto.sandbox import ZtoSandbox

    return ZtoSandbox(**options)


def courier_spec() -> CourierSpec:
    return CourierSpec(
        code=CODE, display_name="ZTO Express (中通快递)", sandbox_factory=sandbox_factory
    )


@hookimpl
def register_couriers(register: Callable[[CourierSpec], None]) -> None:
    register(courier_spec())


@hookimpl
def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    from orderkit_couriers.zto.client import book_pickup as book

    return book(courier, request)
