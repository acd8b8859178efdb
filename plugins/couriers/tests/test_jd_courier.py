"""JD: the md5-salt algorithm, the query string, headers and array body, the
order fields, the answers (duplicate orderId included), the sandbox's checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from couriers_testkit import answering, context, pickup

from orderkit.clock import FakeClock
from orderkit.errors import CourierError
from orderkit.testing.courier_contract import NOW, SENDER
from orderkit_couriers.common import md5_hex
from orderkit_couriers.jd.client import book_pickup, create_order_request
from orderkit_couriers.jd.mapping import parse_response
from orderkit_couriers.jd.protocol import lop_timestamp, sign
from orderkit_couriers.jd.sandbox import JdSandbox

CREDENTIALS = {
    "app_key": "okapp",
    "app_secret": "jd-secret",
    "access_token": "jd-token",
    "customer_code": "010K123456",
}


def sandbox(**options: Any) -> JdSandbox:
    return JdSandbox(
        app_key="okapp",
        app_secret="jd-secret",
        access_token="jd-token",
        customer_code="010K123456",
        clock=FakeClock(NOW),
        **options,
    )


def test_md5_salt_is_the_documented_concatenation_upper_hex() -> None:
    signature = sign(
        app_secret="jd-secret",
        access_token="jd-token",
        app_key="jd-app",
        method="/ecap/v1/orders/create",
        param_json='[{"orderId":"OK-1001"}]',
        timestamp="2026-11-11 10:00:00",
    )
    assert signature == "CD73E6CD297BB45885F51741B610764F"  # openssl md5 of the content


def test_timestamp_is_gmt8() -> None:
    assert lop_timestamp(NOW) == "2026-11-11 10:00:00"  # NOW is 02:00 UTC


def test_query_headers_and_array_body() -> None:
    request = create_order_request(context("jd", CREDENTIALS), pickup("jd"))
    assert request.url.path == "/ecap/v1/orders/create"
    query = dict(request.url.params)
    assert {k: v for k, v in query.items() if k != "sign"} == {
        "LOP-DN": "ECAP",
        "app_key": "okapp",
        "access_token": "jd-token",
        "timestamp": "2026-11-11 10:00:00",
        "v": "2.0",
        "algorithm": "md5-salt",
    }
    body = request.read().decode("utf-8")
    content = (
        "jd-secretaccess_tokenjd-tokenapp_keyokappmethod/ecap/v1/orders/create"
        f"param_json{body}timestamp2026-11-11 10:00:00v2.0jd-secret"
    )
    assert query["sign"] == md5_hex(content, upper=True)
    assert request.headers["lop-tz"] == "8"
    assert request.headers["user-agent"].startswith("lop-http/")
    assert request.headers["content-type"] == "application/json;charset=utf-8"
    assert isinstance(json.loads(body), list) and len(json.loads(body)) == 1


def test_order_fields() -> None:
    ctx = context("jd", CREDENTIALS, settings={"cargo_weight_kg": 1.5})
    [order] = json.loads(create_order_request(ctx, pickup("jd", "PKG-3")).read())
    assert order == {
        "orderId": "PKG-3",
        "senderContact": {
            "name": SENDER["name"],
            "mobile": SENDER["phone"],
            "fullAddress": "浙江省杭州市余杭区" + SENDER["address"],
        },
        "receiverContact": {
            "name": "李**",
            "mobile": "138****5678",
            "fullAddress": "广东省深圳市南山区粤海街道科技园南区8栋",
        },
        "orderOrigin": 1,
        "customerCode": "010K123456",
        "productsReq": {"productCode": "ed-m-0001"},
        "settleType": 3,
        "cargoes": [{"name": "保温杯等2种", "quantity": 3, "weight": 1.5}],
        "pickupType": 1,
        "deliveryType": 1,
    }


def test_answers() -> None:
    ok = {
        "code": 0,
        "success": True,
        "msg": "成功",
        "subCode": "0",
        "data": {"waybillCode": "JDVE00132449789"},
    }
    assert parse_response(ok).waybill == "JDVE00132449789"
    dup = {**ok, "subCode": "0_0001", "subMsg": "商家订单号已被使用"}
    assert parse_response(dup).waybill == "JDVE00132449789"
    with pytest.raises(CourierError, match="used before"):
        parse_response({**dup, "data": None})
    with pytest.raises(CourierError) as caught:
        parse_response({"code": 3, "success": False, "msg": "签名错误", "subCode": "3"})
    assert caught.value.transient is False
    with pytest.raises(CourierError) as caught:
        parse_response({"code": 6, "success": False, "msg": "系统繁忙"})
    assert caught.value.transient is True


def test_sandbox_accepts_a_lower_case_signature() -> None:
    box = sandbox()
    ctx = context("jd", CREDENTIALS, transport=box.transport())
    request = create_order_request(ctx, pickup("jd"))
    params = dict(request.url.params)
    params["sign"] = params["sign"].lower()
    lower = ctx.http.build_request(
        "POST",
        request.url.copy_with(params=params),
        content=request.read(),
        headers=request.headers,
    )
    assert parse_response(ctx.http.send(lower).json()).waybill == box.bookings[0].waybill


def test_sandbox_repeats_with_sub_code_0_0001() -> None:
    box = sandbox()
    ctx = context("jd", CREDENTIALS, transport=box.transport())
    first = book_pickup(ctx, pickup("jd"))
    answer = ctx.http.send(create_order_request(ctx, pickup("jd"))).json()
    assert answer["subCode"] == "0_0001" and answer["data"]["waybillCode"] == first.waybill


def test_sandbox_refuses_another_customer_code_and_a_stale_timestamp() -> None:
    box = sandbox()
    ctx = context("jd", {**CREDENTIALS, "customer_code": "999"}, transport=box.transport())
    with pytest.raises(CourierError, match="customerCode 999") as caught:
        book_pickup(ctx, pickup("jd"))
    assert caught.value.transient is False
    clock = FakeClock(NOW)
    clock.advance(3600)
    ctx = context("jd", CREDENTIALS, transport=box.transport(), clock=clock)
    with pytest.raises(CourierError, match=r"^courier jd: 4/"):
        book_pickup(ctx, pickup("jd"))


def test_endpoint_without_a_path_gets_the_api_path() -> None:
    seen: list[str] = []
    ok = {"code": 0, "success": True, "data": {"waybillCode": "JDVA00000000001"}}

    def handler(request: Any) -> Any:
        seen.append(f"{request.url.scheme}://{request.url.host}{request.url.path}")
        return answering(ok)(request)

    book_pickup(context("jd", CREDENTIALS, handler=handler, endpoint=None), pickup("jd"))
    assert seen == ["https://api.jdl.com/ecap/v1/orders/create"]
