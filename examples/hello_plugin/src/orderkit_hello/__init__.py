"""A minimal courier plugin: the template for writing your own.

It registers the courier ``hello`` and books pickups by handing out waybill
numbers derived from the idempotency key, so a retried booking returns the
same number (the contract every ``book_pickup`` must keep).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from orderkit import hookimpl
from orderkit.decisions import PickupRequest, WaybillBooking
from orderkit.specs import CourierSpec

CODE = "hello"


@hookimpl
def register_couriers(register: Callable[[CourierSpec], None]) -> None:
    register(CourierSpec(code=CODE, display_name="Hello manual courier"))


@hookimpl
def book_pickup(request: PickupRequest) -> WaybillBooking:
    digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()
    return WaybillBooking(courier=CODE, waybill="HL" + str(int(digest[:12], 16)).zfill(15)[:12])
