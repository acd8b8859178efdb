"""Recorded-style payloads -> canonical orders (karrio-style: "this raw response
parses to this canonical output", "this broken payload gives this error")."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from orderkit.errors import MappingError
from orderkit.models import Lifecycle, RefundState, SellerFlag
from orderkit.status import load_status_table, map_raw

from orderkit_douyin.mapping import map_shop_order
from orderkit_douyin.statuses import STATUS_TABLE_PATH

Loader = Callable[[str], Any]


@pytest.fixture()
def page(load_payload: Loader) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = load_payload("search_list_page.json")["data"]["shop_order_list"]
    return items


def test_a_shop_order_to_ship_maps_money_ids_times_and_the_receiver(
    page: list[dict[str, Any]],
) -> None:
    order = map_shop_order(page[0], shop_id="dy-main")
    assert (order.channel, order.shop_id, order.external_id) == (
        "douyin",
        "dy-main",
        "6920011000000000770",
    )
    assert order.created_at == datetime(2025, 11, 11, 2, 0, tzinfo=UTC)
    assert order.paid_at == datetime(2025, 11, 11, 2, 1, tzinfo=UTC)
    assert order.modified_at == datetime(2025, 11, 11, 3, 0, tzinfo=UTC)
    # fen stay fen; the discount is what the buyer did not pay
    assert order.amounts.model_dump() == {
        "goods_total": 33800,
        "discount": 3380,
        "post_fee": 0,
        "paid": 30420,
    }
    [line] = order.lines
    assert line.line_id == "6920011000000000771"  # the SKU order id
    assert (line.sku, line.item_id, line.sku_id) == (
        "SCH-CREAM-50",
        "3581104321001",
        "358110432100100",
    )
    assert (line.quantity, line.unit_price, line.paid, line.discount) == (2, 16900, 30420, 3380)
    assert line.title == "山茶花润肤霜 滋润保湿面霜 50g"
    receiver = order.receiver
    assert (receiver.province, receiver.city, receiver.district, receiver.street) == (
        "浙江省",
        "杭州市",
        "西湖区",
        "文新街道",
    )
    assert receiver.platform_region_ids == {
        "province": "33",
        "city": "3301",
        "town": "330106",
        "street": "330106010",
    }
    assert receiver.detail == "翠苑一区小区东门保安室"  # the cleaner splits the instruction off
    assert receiver.raw == "浙江省 杭州市 西湖区 文新街道 翠苑一区小区东门保安室"
    # ciphertext kept as it came, next to the masked text
    assert receiver.name_encrypted == "#Rz3YvT0cQm0A#kP2xW7mq5v0xT1hB8pJm3QwE#1##"
    assert receiver.phone_encrypted == "$nKq1Yy2B6pA$dL4sW0mF8uJ7cT3vB2xZ9qPk$1$$"
    assert receiver.address_encrypted == "##Zm9vYmFyYmF6cXV4##cXV1eA==#1##"
    assert (receiver.name_masked, receiver.phone_masked) == ("王**", "138****5678")
    assert receiver.address_token == "#9f8e7d6c5b4a39281706f5e4"  # open_address_id
    assert order.buyer.message == "周末不在家，放小区东门保安室"
    assert order.buyer.buyer_id == "1@#XdMq3TGoYg9CdHqnWZcsZg=="
    assert order.seller_memo == "已备注赠品G2026-01"
    assert order.seller_flag == SellerFlag.RED
    assert "douyin_star:5" in order.tags  # the raw flag number stays visible
    assert order.platform_status == {"order_status": "2", "main_status": "2"}
    assert order.raw_ref == "order.searchList:6920011000000000770@1762830000"


def test_a_partial_shipment_keeps_each_sku_orders_own_status(page: list[dict[str, Any]]) -> None:
    order = map_shop_order(page[1], shop_id="dy-main")
    assert order.platform_status["order_status"] == "101"
    shipped, waiting = order.lines
    assert (shipped.platform_status, shipped.lifecycle) == ("3", Lifecycle.IN_TRANSIT)
    assert (waiting.platform_status, waiting.lifecycle) == ("2", Lifecycle.PAID)
    # no out_sku_id: the back-office code, else the product's out_product_id
    assert (shipped.sku, waiting.sku) == ("PC15", "HS-BOX")
    assert order.amounts.post_fee == 1000
    assert order.receiver.street is None and "street" not in order.receiver.platform_region_ids


def test_partial_refund_after_shipment_is_partially_refunded(load_payload: Loader) -> None:
    detail = load_payload("order_detail_partial_refund.json")["data"]["shop_order_detail"]
    order = map_shop_order(detail, shop_id="dy-main", source="order.orderDetail")
    assert order.platform_status == {
        "order_status": "3",
        "main_status": "3",
        "after_sale_status": "12",
        "refund_status": "3",
        "refund_scope": "PARTIAL",
    }
    refunded, kept = order.lines
    assert (refunded.lifecycle, refunded.refund) == (Lifecycle.CLOSED, RefundState.REFUNDED)
    assert kept.refund == RefundState.NONE
    assert order.raw_ref is not None and order.raw_ref.startswith("order.orderDetail:")
    # masked fields only (no post_receiver): the mask_* ones are used
    assert (order.receiver.name_masked, order.receiver.phone_masked) == ("张**", "186****3301")
    axes = map_raw(load_status_table(STATUS_TABLE_PATH), order.platform_status, None).axes
    assert axes is not None
    assert (axes.lifecycle, axes.refund) == ("in_transit", "partially_refunded")


def test_presale_deposit_with_integer_ids(load_payload: Loader) -> None:
    order = map_shop_order(load_payload("presale_deposit.json"), shop_id="dy-main")
    assert order.order_type == "presale"
    assert order.platform_status["presale_phase"] == "DEPOSIT_PAID"
    # ids sent as JSON numbers keep every one of their 19 digits
    assert order.lines[0].line_id == "6920011000000000801"
    assert order.lines[0].item_id == "3581104321009"
    axes = map_raw(load_status_table(STATUS_TABLE_PATH), order.platform_status, None).axes
    assert axes is not None
    assert (axes.lifecycle, axes.presale) == ("pending_payment", "deposit_paid")


def test_exchange_is_a_tag_not_a_refund(page: list[dict[str, Any]]) -> None:
    item = copy.deepcopy(page[0])
    item["order_status"] = item["main_status"] = 5
    item["sku_order_list"][0]["after_sale_info"] = {
        "after_sale_type": 3,
        "after_sale_status": 8,
        "refund_status": 0,
    }
    order = map_shop_order(item, shop_id="dy-main")
    assert "after_sale_status" not in order.platform_status
    assert "after_sale:exchange" in order.tags


def test_a_withdrawn_refund_is_none_although_refund_status_stays_pending(
    page: list[dict[str, Any]],
) -> None:
    item = copy.deepcopy(page[0])
    item["sku_order_list"][0]["after_sale_info"] = {
        "after_sale_type": 2,
        "after_sale_status": 28,
        "refund_status": 1,
    }
    order = map_shop_order(item, shop_id="dy-main")
    result = map_raw(load_status_table(STATUS_TABLE_PATH), order.platform_status, None)
    assert result.axes is not None and result.axes.refund == "none"


def test_an_unknown_after_sale_code_is_surfaced_and_unmapped(page: list[dict[str, Any]]) -> None:
    item = copy.deepcopy(page[0])
    item["sku_order_list"][0]["after_sale_info"] = {
        "after_sale_type": 0,
        "after_sale_status": 77,
        "refund_status": 1,
    }
    order = map_shop_order(item, shop_id="dy-main")
    result = map_raw(load_status_table(STATUS_TABLE_PATH), order.platform_status, None)
    assert result.is_unmapped and result.unmapped == {"after_sale_status": "77"}


def test_risk_review_105_is_paid_and_tagged(page: list[dict[str, Any]]) -> None:
    item = copy.deepcopy(page[0])
    item["order_status"] = item["main_status"] = 105
    order = map_shop_order(item, shop_id="dy-main")
    assert "risk_review" in order.tags


def test_a_receiver_in_clear_is_masked(page: list[dict[str, Any]]) -> None:
    item = copy.deepcopy(page[0])
    for name in ("mask_post_receiver", "mask_post_tel"):
        del item[name]
    item["post_receiver"] = "王小明"
    item["post_tel"] = "13812345678"
    order = map_shop_order(item, shop_id="dy-main")
    assert order.receiver.name_masked != "王小明" and "*" in (order.receiver.name_masked or "")
    assert order.receiver.phone_masked != "13812345678"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("pay_amount", "304.20", "pay_amount"),  # yuan text, not fen
        ("pay_amount", 304.2, "pay_amount"),
        ("update_time", "2025-11-11 11:00:00", "update_time"),
        ("order_id", 6.92001100000000077e18, "order_id"),  # a float id lost digits
        ("order_status", None, "order_status"),
        ("sku_order_list", [], "sku_order_list"),
        ("sku_order_list.0.item_num", 0, "sku_order_list[0].item_num"),
        ("sku_order_list.0.origin_amount", -1, "sku_order_list[0].origin_amount"),
        (
            "sku_order_list.0.parent_order_id",
            "6920011000000000780",
            "sku_order_list[0].parent_order_id",
        ),
        ("seller_remark_stars", "red", "seller_remark_stars"),
    ],
)
def test_a_broken_payload_names_the_field(
    page: list[dict[str, Any]], path: str, value: Any, field: str
) -> None:
    item = copy.deepcopy(page[0])
    target: Any = item
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    with pytest.raises(MappingError) as info:
        map_shop_order(item, shop_id="dy-main")
    assert info.value.field == field
