"""Couriers at run time: contexts from the ``couriers:`` config and booking
with retries and fallback couriers.

::

    couriers = CourierRuntime(kit)
    booking = couriers.book(PickupRequest(order=..., shipment=..., courier="sf",
                                          idempotency_key="shop/T1/p1", sender={...}))

See ``docs/couriers.md``.
"""

from orderkit.couriers.runtime import CREDENTIALS, DEFAULT_ATTEMPTS, CourierRuntime

__all__ = ["CREDENTIALS", "DEFAULT_ATTEMPTS", "CourierRuntime"]
