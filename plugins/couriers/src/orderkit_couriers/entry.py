"""What every courier's entry-point module exposes, built once here: the
``CourierSpec``, a lazy sandbox factory, and the two hookimpls
(``register_couriers``, ``book_pickup``). Each courier module binds them to
module-level names, which is what pluggy registers for an entry point."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orderkit import hookimpl
from orderkit.specs import CourierSpec

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext


@dataclass(frozen=True)
class CourierEntry:
    courier_spec: Callable[[], CourierSpec]
    sandbox_factory: Callable[..., Any]
    register_couriers: Callable[[Callable[[CourierSpec], None]], None]
    book_pickup: Callable[[CourierContext, PickupRequest], WaybillBooking]


def courier_entry(*, code: str, display_name: str, package: str, sandbox: str) -> CourierEntry:
    """The entry of the courier in ``package`` (its ``client.book_pickup`` and
    its ``sandbox.<sandbox>`` class, both imported on first use: production
    never loads a sandbox)."""

    def sandbox_factory(**options: Any) -> Any:
        return getattr(importlib.import_module(f"{package}.sandbox"), sandbox)(**options)

    def courier_spec() -> CourierSpec:
        return CourierSpec(code=code, display_name=display_name, sandbox_factory=sandbox_factory)

    @hookimpl
    def register_couriers(register: Callable[[CourierSpec], None]) -> None:
        register(courier_spec())

    @hookimpl
    def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
        booking: WaybillBooking = importlib.import_module(f"{package}.client").book_pickup(
            courier, request
        )
        return booking

    return CourierEntry(courier_spec, sandbox_factory, register_couriers, book_pickup)
