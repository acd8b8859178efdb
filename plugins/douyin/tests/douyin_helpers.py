"""Helpers shared by the Douyin tests: a kit on an empty sandbox shop, and
shipping one order through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderkit.clock import FakeClock
from orderkit.kit import OrderKit
from orderkit.models import Order, Shipment, ShipmentLine
from orderkit.specs import ShipResult
from orderkit.testing import make_kit

import orderkit_douyin

T0 = datetime(2026, 11, 11, tzinfo=UTC)
SHOP = "dy-main"


def empty_shop_kit(tmp_path: Path) -> OrderKit:
    """A kit with one Douyin shop on a sandbox that has no orders yet."""
    shop = {
        "id": SHOP,
        "channel": "douyin",
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "session": "sandbox:demo-session",
        "settings": {
            "initial_lookback_hours": 2,
            "calls_per_second": 1000,
            "burst": 1000,
            "sandbox": {"orders": 0, "seed": 4, "start": T0 - timedelta(hours=1), "end": T0},
        },
    }
    return make_kit(
        tmp_path,
        [("douyin", orderkit_douyin)],
        shops=[shop],
        clock=FakeClock(T0 + timedelta(minutes=1)),
    )


def new_paid_order(kit: OrderKit, scenario: str = "happy") -> Order:
    box = kit.sandbox(SHOP)
    external_id = box.add_order(modified_at=kit.clock.now(), scenario=scenario)
    kit.clock.advance(1)
    kit.sync(SHOP)
    return kit.get(f"{SHOP}/{external_id}").order


def whole(order: Order, waybill: str = "73100000000123", courier: str = "zto") -> Shipment:
    return Shipment(
        shipment_id=f"{order.external_id}-1",
        courier=courier,
        waybill=waybill,
        lines=[ShipmentLine(line_id=line.line_id, quantity=line.quantity) for line in order.lines],
    )


def ship(kit: OrderKit, order: Order, shipment: Shipment) -> ShipResult:
    return kit.host.ship_order(kit.sync_engine.runtime.context(SHOP), order, shipment)
