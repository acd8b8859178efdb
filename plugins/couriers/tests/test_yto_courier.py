"""YTO: the sign algorithm, the URL path and body envelope, the param fields,
the answers, and the sandbox's checks."""

from __future__ import annotations

import json

import pytest
from couriers_testkit import context, pickup

from orderkit.errors import CourierError
from orderkit.models import Line
from orderkit.testing.courier_contract import NOW, SENDER
from orderkit_couriers.common import md5_base64
from orderkit_couriers.yto.client import book_pickup, create_order_request
from orderkit_couriers.yto.mapping import parse_response
from orderkit_couriers.yto.protocol import sign
from orderkit_couriers.yto.sandbox import YtoSandbox

CREDENTIALS = {"customer_code": "K99910001", "app_key": "OkTokn", "app_secret": "yto-secret"}


def sandbox() -> YtoSandbox:
    return YtoSandbox(customer_code="K99910001", app_key="OkTokn", app_secret="yto-secret")


def test_sign_is_base64_md5_of_param_method_version_secret() -> None:
    param = '{"logisticsNo":"OK-1001","recipientName":"李**"}'
    assert sign(param, "privacy_create_adapter", "v1", "yto-secret") == "dXd2Fz4xJx4h3yuoWENxlw=="


def test_path_and_envelope() -> None:
    request = create_order_request(context("yto", CREDENTIALS), pickup("yto"))
    assert request.url.path == "/open/privacy_create_adapter/v1/OkTokn/K99910001"
    body = json.loads(request.read())
    assert set(body) == {"timestamp", "param", "sign", "format"}
    assert body["format"] == "JSON"
    assert body["timestamp"] == int(NOW.timestamp() * 1000)
    assert isinstance(body["param"], str)
    expected = md5_base64(body["param"] + "privacy_create_adapter" + "v1" + "yto-secret")
    assert body["sign"] == expected


def test_param_fields() -> None:
    request = create_order_request(context("yto", CREDENTIALS), pickup("yto", "PKG-9"))
    param = json.loads(json.loads(request.read())["param"])
    assert param == {
        "logisticsNo": "PKG-9",
        "senderName": SENDER["name"],
        "senderProvinceName": "浙江省",
        "senderCityName": "杭州市",
        "senderCountyName": "余杭区",
        "senderAddress": SENDER["address"],
        "senderMobile": SENDER["phone"],
        "recipientName": "李**",
        "recipientProvinceName": "广东省",
        "recipientCityName": "深圳市",
        "recipientCountyName": "南山区",
        "recipientAddress": "粤海街道科技园南区8栋",
        "recipientMobile": "138****5678",
        "goods": [{"name": "保温杯", "quantity": 2}, {"name": "杯套", "quantity": 1}],
        "productCode": "PK",
        "cstOrderNo": "CT1",
    }


def test_more_than_twenty_goods_are_folded_into_the_last() -> None:
    lines = [Line(line_id=f"L{i}", title=f"商品{i}", quantity=1, unit_price=100) for i in range(25)]
    request = create_order_request(context("yto", CREDENTIALS), pickup("yto", lines=lines))
    goods = json.loads(json.loads(request.read())["param"])["goods"]
    assert len(goods) == 20
    assert goods[-1] == {"name": "商品19等6种", "quantity": 6}


def test_answers() -> None:
    assert parse_response({"logisticsNo": "X", "mailNo": "YT2819014489339"}).waybill == (
        "YT2819014489339"
    )
    with pytest.raises(CourierError, match="SIGN_ERROR") as caught:
        parse_response({"success": False, "code": "SIGN_ERROR", "reason": "签名校验失败"})
    assert caught.value.transient is False
    with pytest.raises(CourierError, match="RATE_LIMIT") as caught:
        parse_response({"success": False, "code": "RATE_LIMIT", "reason": "x"})
    assert caught.value.transient is True
    with pytest.raises(CourierError, match="no mailNo"):
        parse_response({"apiErrorMsg": "gateway said no"})


def test_sandbox_refuses_another_customer_code() -> None:
    box = sandbox()
    ctx = context("yto", {**CREDENTIALS, "customer_code": "K00000000"}, transport=box.transport())
    with pytest.raises(CourierError, match="AUTH_ERROR") as caught:
        book_pickup(ctx, pickup("yto"))
    assert caught.value.transient is False
    assert box.calls[-1].signature_ok is None  # refused before the signature


def test_sandbox_books_once_per_logistics_no() -> None:
    box = sandbox()
    ctx = context("yto", CREDENTIALS, transport=box.transport())
    first, again = book_pickup(ctx, pickup("yto")), book_pickup(ctx, pickup("yto"))
    assert first == again and len(box.bookings) == 1
    assert [c.outcome for c in box.calls] == ["booked", "repeat"]
