"""Mapping, karrio-style: recorded TOP trades -> the canonical order, field by
field; every problem names its field; every sandbox order fits the schema."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orderkit._resources import load_schema
from orderkit.errors import InvalidOrder, MappingError
from orderkit.models import Lifecycle, OrderType, RefundState, SellerFlag
from orderkit_taobao.mapping import map_trade, trade_refund, yuan_to_fen
from orderkit_taobao.protocol import FULLINFO_GET
from orderkit_taobao.sandbox import TaobaoSandbox

SHOP = "tb-babycare-flagship"


def trade(payload: Callable[[str], Any], index: int) -> dict[str, Any]:
    trades: list[dict[str, Any]] = payload("increment_page.json")[
        "trades_sold_increment_get_response"
    ]["trades"]["trade"]
    return copy.deepcopy(trades[index])


def test_fullinfo_trade_maps_to_the_canonical_order(payload: Callable[[str], Any]) -> None:
    raw = payload("fullinfo_multiline.json")["trade_fullinfo_get_response"]["trade"]
    order = map_trade(raw, shop_id=SHOP, source=FULLINFO_GET)
    assert order.model_dump(mode="json", exclude_defaults=True) == {
        "channel": "taobao",
        "shop_id": SHOP,
        "external_id": "3856120074419282791",
        "created_at": "2026-11-10T16:02:13Z",
        "paid_at": "2026-11-10T16:02:41Z",
        "modified_at": "2026-11-10T16:03:05Z",
        "amounts": {"goods_total": 29790, "discount": 3000, "paid": 26790},
        "lines": [
            {
                "line_id": "3856120074420282791",
                "sku": "SCH-200ML",
                "item_id": "712345678901",
                "sku_id": "5012345678901",
                "title": "山茶花润肤霜 200ml 婴儿面霜",
                "quantity": 2,
                "unit_price": 12900,
                "discount": 2598,
                "paid": 23202,
                "platform_status": "WAIT_SELLER_SEND_GOODS",
            },
            {
                "line_id": "3856120074421282791",
                "sku": "WIPE-80X3",
                "item_id": "698765432109",
                "sku_id": "4987654321098",
                "title": "婴儿手口湿巾 80抽×3包",
                "quantity": 1,
                "unit_price": 3990,
                "discount": 402,
                "paid": 3588,
                "platform_status": "WAIT_SELLER_SEND_GOODS",
            },
        ],
        "receiver": {
            "raw": "浙江省 杭州市 西湖区 古荡街道 文三路***号***",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "street": "古荡街道",
            "detail": "文三路***号***",
            "zip": "310012",
            "name_masked": "张**",
            "phone_masked": "*******5678",
            "address_token": (
                "1ZZD2Q7x2l2ibwhSOm3ZCNvXlALCcAqMWpJr3ibwFfxPbnfc8cRic4K3YZ4Y5aUHSAibGbN8Xh"
            ),
        },
        "buyer": {
            "buyer_id": "AAGcYdA2ANHdo2Ye8XM9pBT8",
            "nick": "t**2",
            "message": "请周末送货，别放快递柜",
        },
        "seller_memo": "双11 首单，加急",
        "seller_flag": "red",
        "platform_status": {"status": "WAIT_SELLER_SEND_GOODS", "refund_status": "NO_REFUND"},
        "raw_ref": "taobao.trade.fullinfo.get:3856120074419282791@2026-11-11 00:03:05",
    }


def test_county_level_city_keeps_city_empty_and_refunds_per_line(
    payload: Callable[[str], Any],
) -> None:
    order = map_trade(trade(payload, 0), shop_id=SHOP)
    receiver = order.receiver
    assert (receiver.province, receiver.city, receiver.district, receiver.street) == (
        "河南省",
        None,
        "济源市",
        "沁园街道",
    )
    assert receiver.raw == "河南省 济源市 沁园街道 沁园路***号**小区东门保安室"
    assert receiver.phone_masked == "*******6621-4417"  # a privacy number, kept as sent
    first, second = order.lines
    assert first.refund == RefundState.REQUESTED and first.lifecycle is None
    # A sub-order refunded before shipping: closed for the buyer, cancelled for us.
    assert second.refund == RefundState.REFUNDED
    assert second.platform_status == "TRADE_CLOSED" and second.lifecycle == Lifecycle.CANCELLED
    # A refund under way speaks for the trade before the money already returned.
    assert order.platform_status == {
        "status": "WAIT_SELLER_SEND_GOODS",
        "refund_status": "WAIT_SELLER_AGREE",
    }
    assert order.amounts.goods_total == 16890 and order.amounts.paid == 16370


def test_presale_and_municipality(payload: Callable[[str], Any]) -> None:
    order = map_trade(trade(payload, 1), shop_id=SHOP)
    assert order.order_type == OrderType.PRESALE
    assert order.platform_status["step_trade_status"] == "FRONT_PAID_FINAL_NOPAID"
    assert order.paid_at is None
    assert (order.receiver.province, order.receiver.city) == ("北京", "北京市")
    assert order.seller_flag == SellerFlag.GREEN
    # No oid_str in this payload: the JSON integer is exact in Python.
    assert order.lines[0].line_id == "3856120074620282791"
    assert order.lines[0].unit_price == 11950


def test_closed_after_shipping_is_marked_for_the_status_table(
    payload: Callable[[str], Any],
) -> None:
    order = map_trade(trade(payload, 2), shop_id=SHOP)
    assert order.platform_status == {
        "status": "TRADE_CLOSED",
        "closed_after_consign": "TRADE_CLOSED",
        "refund_status": "SUCCESS",
    }
    assert order.receiver.district == "闸北区"  # a legacy name: the cleaner's business
    assert order.lines[0].lifecycle is None  # same status as the trade


def test_single_line_payment_without_divide_fee_drops_the_postage() -> None:
    raw = {
        "tid": 1,
        "status": "WAIT_SELLER_SEND_GOODS",
        "created": "2026-11-11 10:00:00",
        "modified": "2026-11-11 10:00:00",
        "payment": "49.90",
        "post_fee": "10.00",
        "orders": {"order": [{"oid": 2, "num": 1, "price": "39.90", "payment": "49.90"}]},
    }
    order = map_trade(raw, shop_id=SHOP)
    assert order.lines[0].paid == 3990
    assert order.amounts.model_dump() == {
        "goods_total": 3990,
        "discount": 0,
        "post_fee": 1000,
        "paid": 4990,
    }


@pytest.mark.parametrize(
    ("text", "fen"),
    [("200.07", 20007), ("0.00", 0), ("19.9", 1990), ("20", 2000), ("100000000.01", 10000000001)],
)
def test_yuan_strings_become_exact_fen(text: str, fen: int) -> None:
    assert yuan_to_fen(text, "payment") == fen


@pytest.mark.parametrize("value", ["1.005", "-5.00", "12.3.4", "", "¥20", 19.9, 20, None, "1e3"])
def test_non_yuan_values_are_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(MappingError) as caught:
        yuan_to_fen(value, "orders[0].price")
    assert caught.value.field == "orders[0].price"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("payment",), "12.3.4", "payment"),
        (("created",), "2026/11/11 10:00", "created"),
        (("modified",), None, "modified"),
        (("status",), "", "status"),
        (("tid_str",), None, "tid"),
        (("orders", "order", 0, "num"), 0, "orders[0].num"),
        (("orders", "order", 1, "price"), "-5.00", "orders[1].price"),
        (("orders", "order", 0, "oid"), 3.856120074520283e18, "orders[0].oid"),
        (("seller_flag",), "red", "seller_flag"),
    ],
)
def test_malformed_trades_name_the_field(
    payload: Callable[[str], Any], path: tuple[Any, ...], value: Any, field: str
) -> None:
    raw = trade(payload, 0)
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    if path[-1] == "tid_str":
        del raw["tid_str"]
        raw["tid"] = 3.856120074519283e18  # what a double-based JSON parser leaves
    elif path[-1] == "oid":
        del target["oid_str"]
        target["oid"] = value
    else:
        target[path[-1]] = value
    with pytest.raises(MappingError) as caught:
        map_trade(raw, shop_id=SHOP)
    assert caught.value.field == field


def test_missing_orders_is_named(payload: Callable[[str], Any]) -> None:
    raw = trade(payload, 0)
    del raw["orders"]
    with pytest.raises(MappingError) as caught:
        map_trade(raw, shop_id=SHOP)
    assert caught.value.field == "orders"


def test_model_validation_errors_carry_the_path(payload: Callable[[str], Any]) -> None:
    raw = trade(payload, 0)
    raw["orders"]["order"][1]["oid_str"] = raw["orders"]["order"][0]["oid_str"]
    with pytest.raises(InvalidOrder) as caught:
        map_trade(raw, shop_id=SHOP)
    assert caught.value.field == "lines" and "duplicate line_id" in str(caught.value)


def test_unknown_seller_flag_is_kept_as_a_tag(payload: Callable[[str], Any]) -> None:
    raw = trade(payload, 0)
    raw["seller_flag"] = 7
    order = map_trade(raw, shop_id=SHOP)
    assert order.seller_flag == SellerFlag.NONE and "seller_flag:7" in order.tags


def test_phone_or_name_in_clear_is_masked(payload: Callable[[str], Any]) -> None:
    raw = trade(payload, 0)
    raw["receiver_mobile"], raw["receiver_name"] = "13812345678", "刘德华"
    receiver = map_trade(raw, shop_id=SHOP).receiver
    assert receiver.phone_masked == "138****5678" and receiver.name_masked == "刘**"


def test_trade_refund_summary() -> None:
    assert trade_refund(["NO_REFUND", "NO_REFUND"]) == ("NO_REFUND", False)
    assert trade_refund(["SUCCESS", "SUCCESS"]) == ("SUCCESS", False)
    assert trade_refund(["SUCCESS", "NO_REFUND"]) == ("SUCCESS", True)
    assert trade_refund(["SUCCESS", "WAIT_BUYER_RETURN_GOODS"]) == (
        "WAIT_BUYER_RETURN_GOODS",
        False,
    )
    assert trade_refund(["SELLER_REFUSE_BUYER", "CLOSED"]) == ("SELLER_REFUSE_BUYER", False)
    # An unknown code wins so the order is held as UNMAPPED, not summarised away.
    assert trade_refund(["SUCCESS", "REFUND_SOMETHING_NEW"]) == ("REFUND_SOMETHING_NEW", False)


def test_every_sandbox_order_validates_against_the_schema() -> None:
    from orderkit.clock import FakeClock

    sandbox = TaobaoSandbox(
        orders=1500, seed=11, clock=FakeClock(datetime(2026, 11, 11, 4, tzinfo=UTC))
    )
    validator = Draft202012Validator(load_schema("order.schema.json"))
    for external_id in sandbox.external_ids():
        order = map_trade(sandbox.trade(external_id), shop_id=SHOP, source=FULLINFO_GET)
        errors = list(validator.iter_errors(order.model_dump(mode="json")))
        assert not errors, (external_id, [e.message for e in errors])
