"""ZTO: the data_digest algorithm, headers and body fields, the answers and
status codes, and the sandbox's header spellings."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from couriers_testkit import context, pickup

from orderkit.errors import CourierError
from orderkit.testing.courier_contract import SENDER
from orderkit_couriers.common import json_text, md5_base64
from orderkit_couriers.zto.client import book_pickup, create_order_request
from orderkit_couriers.zto.mapping import parse_response
from orderkit_couriers.zto.protocol import data_digest
from orderkit_couriers.zto.sandbox import ZtoSandbox

CREDENTIALS = {"app_key": "OKCOMPANY", "app_secret": "zto-secret"}


def sandbox() -> ZtoSandbox:
    return ZtoSandbox(app_key="OKCOMPANY", app_secret="zto-secret")


def test_data_digest_is_base64_md5_of_body_then_secret() -> None:
    body = '{"partnerOrderCode":"OK-1001","receiveInfo":{"receiverName":"李**"}}'
    assert data_digest(body, "zto-app-secret") == "imAuICo5CrMCbZxScnYRdQ=="  # openssl


def test_headers_sign_the_exact_body_bytes() -> None:
    request = create_order_request(context("zto", CREDENTIALS), pickup("zto"))
    assert request.url == "http://zto.sandbox.invalid/zto.open.createOrder"
    assert request.headers["content-type"] == "application/json; charset=UTF-8"
    assert request.headers["x-companyid"] == "OKCOMPANY"
    body = request.read().decode("utf-8")
    assert request.headers["x-datadigest"] == md5_base64(body + "zto-secret")
    assert "李**" in body  # Chinese is sent as is (the digest covers these bytes)


def test_body_fields() -> None:
    ctx = context(
        "zto",
        {**CREDENTIALS, "account": "pw"},
        settings={"account_id": "ACC1", "customer_id": "C9"},
    )
    body = json.loads(create_order_request(ctx, pickup("zto", "PKG-7")).read())
    assert body["partnerType"] == "2" and body["orderType"] == "1"
    assert body["partnerOrderCode"] == "PKG-7"
    assert body["senderInfo"] == {
        "senderName": SENDER["name"],
        "senderMobile": SENDER["phone"],
        "senderProvince": "浙江省",
        "senderCity": "杭州市",
        "senderDistrict": "余杭区",
        "senderAddress": SENDER["address"],
    }
    assert body["receiveInfo"] == {
        "receiverName": "李**",
        "receiverMobile": "138****5678",
        "receiverProvince": "广东省",
        "receiverCity": "深圳市",
        "receiverDistrict": "南山区",
        "receiverAddress": "粤海街道科技园南区8栋",
    }
    assert body["orderItems"] == [
        {"name": "保温杯", "quantity": 2},
        {"name": "杯套", "quantity": 1},
    ]
    assert body["accountInfo"] == {
        "accountId": "ACC1",
        "type": 1,
        "accountPassword": "pw",
        "customerId": "C9",
    }


def test_a_long_key_becomes_a_short_stable_order_code() -> None:
    key = "taobao-flagship/4023948203948203948/package-1"
    first = json.loads(create_order_request(context("zto", CREDENTIALS), pickup("zto", key)).read())
    again = json.loads(create_order_request(context("zto", CREDENTIALS), pickup("zto", key)).read())
    assert first["partnerOrderCode"] == again["partnerOrderCode"]
    assert len(first["partnerOrderCode"]) <= 32


@pytest.mark.parametrize(
    ("code", "transient"),
    [("S211", False), ("S210", False), ("S208", False), ("S206", True), ("S221", True)],
)
def test_status_codes(code: str, transient: bool) -> None:
    with pytest.raises(CourierError, match=code) as caught:
        parse_response({"status": False, "statusCode": code, "message": "x", "result": None})
    assert caught.value.transient is transient


def test_success_answer() -> None:
    answer = {
        "status": True,
        "statusCode": "0000",
        "message": "ok",
        "result": {"billCode": "73100196611386", "orderCode": "1", "partnerOrderCode": "X"},
    }
    assert parse_response(answer).waybill == "73100196611386"


def test_sandbox_accepts_the_app_key_header_spelling_too() -> None:
    box = sandbox()
    body = json_text(
        {
            "partnerOrderCode": "P1",
            "senderInfo": {"senderName": "a", "senderMobile": "1", "senderAddress": "x"},
            "receiveInfo": {"receiverName": "b", "receiverPhone": "2", "receiverAddress": "y"},
        }
    )
    headers = {"x-appKey": "OKCOMPANY", "x-dataDigest": data_digest(body, "zto-secret")}
    client = httpx.Client(transport=box.transport())
    answer: dict[str, Any] = client.post(
        "http://zto.sandbox.invalid/zto.open.createOrder", content=body, headers=headers
    ).json()
    assert answer["status"] is True and box.calls[-1].signature_ok is True
    wrong = client.post("http://zto.sandbox.invalid/zto.open.nope", content=body, headers=headers)
    assert wrong.json()["statusCode"] == "S207"


def test_sandbox_names_a_missing_field() -> None:
    box = sandbox()
    client = httpx.Client(transport=box.transport())
    body = '{"partnerOrderCode":"P1"}'
    headers = {"x-companyid": "OKCOMPANY", "x-datadigest": data_digest(body, "zto-secret")}
    answer = client.post(
        "http://zto.sandbox.invalid/zto.open.createOrder", content=body, headers=headers
    ).json()
    assert answer["statusCode"] == "S208" and "senderInfo" in answer["message"]


def test_book_pickup_against_the_sandbox() -> None:
    box = sandbox()
    booking = book_pickup(context("zto", CREDENTIALS, transport=box.transport()), pickup("zto"))
    assert booking.waybill == box.bookings[0].waybill and len(booking.waybill) == 14
