"""Issue 4's acceptance run, through the kit and the sync engine: 20,000
sandbox orders with 5% throttling and one session expiry (then a refreshed
session) end as exactly 20,000 orders with the sandbox's statuses. And a
broken copy of the plugin makes the contract fail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import test_taobao_contract  # a module import: its contract class is not collected twice

import orderkit_taobao
from orderkit import hookimpl
from orderkit.clock import FakeClock
from orderkit.models import Order, Shipment
from orderkit.specs import ChannelSpec, FetchPage, ShipResult, ShopContext, SyncWindow
from orderkit.sync import SyncError
from orderkit.testing import make_kit

START = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
END = START + timedelta(hours=8)


def test_20000_orders_with_throttling_and_a_session_expiry(tmp_path: Path) -> None:
    shop = {
        "id": "tb-flagship",
        "channel": "taobao",
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "session": "sandbox:demo-session",
        "settings": {
            "initial_lookback_hours": 9,
            "calls_per_second": 10000,
            "burst": 10000,
            "sandbox": {
                "orders": 20_000,
                "seed": 4,
                "start": START,
                "end": END,
                "throttle_rate": 0.05,
                "churn_rate": 0.0,
            },
        },
    }
    clock = FakeClock(END + timedelta(minutes=1))
    kit = make_kit(tmp_path, [("taobao", orderkit_taobao)], shops=[shop], clock=clock)
    box: Any = kit.sandbox("tb-flagship")
    box.expire_session(after_calls=40)
    with pytest.raises(SyncError):
        kit.sync("tb-flagship")
    kit.save_credentials("tb-flagship", box.refresh_session())
    report = kit.sync("tb-flagship")
    assert report.throttled > 0
    truth = {k: v for k, v in box.ground_truth().items() if not v.malformed}
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        rows = conn.execute(sa.select(o.c.external_id, o.c.lifecycle, o.c.refund)).all()
    assert len(rows) == 20_000 == len(truth)
    assert len({r.external_id for r in rows}) == 20_000
    wrong = [
        (r.external_id, r.lifecycle, truth[r.external_id].lifecycle)
        for r in rows
        if r.lifecycle != truth[r.external_id].lifecycle or r.refund != truth[r.external_id].refund
    ]
    assert wrong == [], wrong[:5]


class SkipsPages:
    """A broken copy: after the first page of a window it says "done"."""

    @hookimpl
    def register_channels(self, register: Callable[[ChannelSpec], None]) -> None:
        orderkit_taobao.register_channels(register)

    @hookimpl
    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        result: FetchPage = orderkit_taobao.fetch_orders(shop, window, page)
        result.next_page = None
        return result

    @hookimpl
    def ship_order(self, shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
        result: ShipResult = orderkit_taobao.ship_order(shop, order, shipment)
        return result


def test_the_contract_fails_for_a_broken_copy(tmp_path: Path) -> None:
    contract = test_taobao_contract.TestTaobaoContract()
    type(contract).plugin = SkipsPages()
    try:
        with pytest.raises(AssertionError):
            contract.test_full_sync_is_schema_valid_complete_and_paged(tmp_path)
    finally:
        type(contract).plugin = orderkit_taobao
