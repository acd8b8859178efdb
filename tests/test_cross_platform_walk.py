"""One Taobao and one Douyin order through the same physical steps: paid ->
tracking uploaded by orderkit -> first courier scan. Both must show the same
canonical status at each step where the platform tells us.

Taobao calls an order shipped once the tracking number is uploaded; Douyin
only after the first scan (its 3), so orderkit's own ``shipped`` comes from
its accepted upload on both, and Douyin's 3 is ``in_transit``. Taobao never
reports the scan (tracking will), so there it stays ``shipped``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orderkit.clock import FakeClock
from orderkit.kit import OrderKit
from orderkit.models import Lifecycle, Order, Shipment, ShipmentLine
from orderkit.testing import make_kit

taobao = pytest.importorskip("orderkit_taobao")
douyin = pytest.importorskip("orderkit_douyin")

NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
TOKENS = {
    "taobao": {"session": "sandbox:demo-session"},
    "douyin": {"access_token": "sandbox:demo-access", "refresh_token": "sandbox:demo-r"},
}


def kit_for(tmp_path: Path) -> OrderKit:
    shops = [
        {
            "id": f"{code}-shop",
            "channel": code,
            "endpoint": "sandbox",
            "app_key": "sandbox-app",
            "app_secret": "sandbox:demo-secret",
            **TOKENS[code],
            "settings": {
                "initial_lookback_hours": 1,
                "calls_per_second": 1000,
                "burst": 1000,
                "sandbox": {"orders": 0, "seed": 1, "start": NOW - timedelta(hours=1), "end": NOW},
            },
        }
        for code in ("taobao", "douyin")
    ]
    return make_kit(
        tmp_path, [("taobao", taobao), ("douyin", douyin)], shops=shops, clock=FakeClock(NOW)
    )


def walk(kit: OrderKit, code: str) -> list[Lifecycle]:
    shop = f"{code}-shop"
    box: Any = kit.sandbox(shop)
    external_id = box.add_order(modified_at=kit.clock.now())
    seen: list[Lifecycle] = []

    def look() -> Order:
        kit.clock.advance(60)  # type: ignore[attr-defined]
        kit.sync(shop)
        stored = kit.get(f"{shop}/{external_id}")
        seen.append(stored.lifecycle)
        return stored.order

    order = look()  # paid
    stored = kit.get(order)
    for step in (Lifecycle.APPROVED, Lifecycle.ALLOCATED):  # orderkit's own moves
        stored = kit.transition(
            order, step, actor="test", reason="pipeline", expected_version=stored.version
        )
    shipment = Shipment(
        shipment_id=f"{external_id}-1",
        courier="zto",
        waybill="73100000000123",
        lines=[ShipmentLine(line_id=line.line_id, quantity=line.quantity) for line in order.lines],
    )
    result = kit.host.ship_order(kit.sync_engine.runtime.context(shop), stored.order, shipment)
    assert result.accepted, result
    kit.transition(
        order,
        Lifecycle.SHIPPED,
        actor="orderkit",
        reason="tracking accepted",
        expected_version=stored.version,
    )
    look()  # tracking uploaded
    if hasattr(box, "scan"):
        box.scan(external_id)  # the courier scans the parcel (Douyin reports it)
    look()  # first scan
    return seen


def test_taobao_and_douyin_agree_at_each_step(tmp_path: Path) -> None:
    kit = kit_for(tmp_path)
    tb, dy = walk(kit, "taobao"), walk(kit, "douyin")
    assert dy == [Lifecycle.PAID, Lifecycle.SHIPPED, Lifecycle.IN_TRANSIT]
    assert tb == [Lifecycle.PAID, Lifecycle.SHIPPED, Lifecycle.SHIPPED]
    # the steps where both platforms tell us: the same canonical status
    assert tb[:2] == dy[:2]
