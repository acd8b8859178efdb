"""A warehouse print run in a process of its own, for the ship crash test:
``ship_many`` of a waybill for every allocated (or already shipped) parcel,
then the run loop's upload job until nothing is due. It can kill itself with
SIGKILL at a chosen point: inside the N-th record or settle transaction
(before its commit), or right after the N-th upload reached the channel.

    python -m tests.ship_crash_worker CONFIG [record:N | upload:N | settle:N]
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from orderkit.kit import OrderKit
from orderkit.ship import Waybill
from orderkit.ship.shipper import Shipper

#: the methods a kill point names, and whether the kill comes inside them
POINTS = {"record": "_record", "upload": "_call_channel", "settle": "_settle_many"}


def die_at(point: str) -> None:
    """Make ``Shipper`` kill this process at ``point`` ("settle:2")."""
    name, _, count = point.partition(":")
    method = POINTS[name]
    original: Callable[..., Any] = getattr(Shipper, method)
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == int(count):
            # record and settle: their work is done, their transaction not committed
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(Shipper, method, wrapped)


def waybills(kit: OrderKit) -> list[Waybill]:
    """The same print run every time: each parcel of each allocated or
    shipped order, with a waybill number derived from its place."""
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        ids = sorted(
            conn.execute(
                sa.select(o.c.id).where(
                    o.c.lifecycle.in_(("allocated", "partially_shipped", "shipped"))
                )
            ).scalars()
        )
    orders = kit.store.orders.get_many(ids)
    return [
        Waybill(
            oid, shipment.courier or "sf", f"SF{1500000000000 + n * 10 + p}", shipment.shipment_id
        )
        for n, oid in enumerate(ids)
        for p, shipment in enumerate(orders[oid].order.shipments)
    ]


def main(config: str, point: str | None) -> None:
    if point:
        die_at(point)
    kit = OrderKit.from_config(config)
    batch = kit.shipper.ship_many(waybills(kit), actor="erp:printer")
    if batch.failed:
        raise SystemExit(f"refused: {batch.failed[:3]}")
    while kit.shipper.upload_due():  # uploads a killed run left claimed
        pass


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
