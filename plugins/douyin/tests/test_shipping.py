"""``ship_order`` over ``order.logisticsAdd``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from douyin_helpers import SHOP, T0, empty_shop_kit, new_paid_order, ship, whole
from orderkit.errors import ChannelRateLimited
from orderkit.kit import OrderKit
from orderkit.models import Order, Shipment, ShipmentLine

from orderkit_douyin.shipping import upload_params


@pytest.fixture()
def kit(tmp_path: Path) -> OrderKit:
    return empty_shop_kit(tmp_path)


def test_a_whole_order_upload_is_accepted_and_douyin_still_says_to_ship(kit: OrderKit) -> None:
    order = new_paid_order(kit)
    result = ship(kit, order, whole(order))
    assert result.accepted and result.platform_ref == f"{order.external_id}:73100000000123"
    box = kit.sandbox(SHOP)
    raw = box.order(order.external_id)
    assert raw["order_status"] == 2  # until the courier's first scan
    assert raw["logistics_info"][-1]["tracking_no"] == "73100000000123"
    assert raw["logistics_info"][-1]["company"] == "zhongtong"


def test_a_retried_upload_that_went_through_is_accepted(kit: OrderKit) -> None:
    order = new_paid_order(kit)
    assert ship(kit, order, whole(order)).accepted
    again = ship(kit, order, whole(order))  # the first answer was lost on the way back
    assert again.accepted


def test_a_pending_refund_makes_douyin_refuse_visibly(kit: OrderKit) -> None:
    order = new_paid_order(kit, scenario="refund_before_ship")
    result = ship(kit, order, whole(order))
    assert not result.accepted
    assert result.error_code == "isv.business-failed:refund-pending"
    assert result.error_message and "50002" in result.error_message


def test_refusals_before_calling_douyin() -> None:
    order = Order.model_validate(
        {
            "channel": "douyin",
            "shop_id": SHOP,
            "external_id": "6920000000000000010",
            "created_at": T0,
            "modified_at": T0,
            "amounts": {"goods_total": 200, "paid": 200},
            "lines": [
                {"line_id": "6920000000000000011", "quantity": 1, "unit_price": 100},
                {"line_id": "6920000000000000012", "quantity": 1, "unit_price": 100},
            ],
            "platform_status": {"order_status": "2", "main_status": "2"},
        }
    )
    no_waybill = Shipment(shipment_id="s", courier="zto")
    split = whole(order).model_copy(
        update={"lines": [ShipmentLine(line_id="6920000000000000011", quantity=1)]}
    )
    cancelled = order.model_copy(
        update={"platform_status": {"order_status": "4", "main_status": "21"}}
    )
    outcomes: list[Any] = [
        upload_params(order, no_waybill, {}),
        upload_params(order, split, {}),
        upload_params(cancelled, whole(order), {}),
    ]
    assert [o.error_code for o in outcomes] == [
        "missing_waybill",
        "split_not_supported",
        "order_ended",
    ]
    assert upload_params(order, whole(order, courier="sf"), {"reject_refund_on_ship": True}) == {
        "order_id": "6920000000000000010",
        "company_code": "shunfeng",
        "logistics_code": "73100000000123",
        "is_refund_reject": True,
    }
    custom = upload_params(
        order, whole(order, courier="kuayue"), {"company_codes": {"kuayue": "kye"}}
    )
    assert isinstance(custom, dict) and custom["company_code"] == "kye"


def test_throttling_during_upload_is_raised_for_the_host_to_retry(kit: OrderKit) -> None:
    order = new_paid_order(kit)
    kit.sandbox(SHOP).throttle(calls=1, retry_after=2.0)
    with pytest.raises(ChannelRateLimited) as info:
        ship(kit, order, whole(order))
    assert info.value.retry_after == 2.0
