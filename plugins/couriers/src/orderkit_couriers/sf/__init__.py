"""orderkit courier plugin for SF Express (顺丰速运), entry point ``sf``.

- ``protocol``: URLs, result codes, the ``msgDigest`` signature;
- ``mapping``: request -> ``EXP_RECE_CREATE_ORDER`` msgData, answer -> waybill (pure);
- ``client``: the signed form POST;
- ``sandbox``: a local ``/std/service`` that verifies and books.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orderkit import hookimpl
from orderkit.specs import CourierSpec
from orderkit_couriers.sf.protocol import CODE, WAYBILL_PATTERN

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext
    from orderkit_couriers.sf.sandbox import SfSandbox

__all__ = ["CODE", "WAYBILL_PATTERN", "book_pickup", "courier_spec", "register_couriers"]


def sandbox_factory(**options: Any) -> SfSandbox:
    """An ``SfSandbox`` (imported on demand: production never loads it)."""
    from orderkit_couriers.sf.sandbox import SfSandbox

    return SfSandbox(**options)


def courier_spec() -> CourierSpec:
    return CourierSpec(
        code=CODE, display_name="SF Express (顺丰速运)", sandbox_factory=sandbox_factory
    )


@hookimpl
def register_couriers(register: Callable[[CourierSpec], None]) -> None:
    register(courier_spec())


@hookimpl
def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    from orderkit_couriers.sf.client import book_pickup as book

    return book(courier, request)
