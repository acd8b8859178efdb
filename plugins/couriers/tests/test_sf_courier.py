"""SF: the msgDigest algorithm, the form envelope and msgData fields, the
answers and error codes, and the sandbox's gateway checks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from couriers_testkit import answering, context, pickup

from orderkit.clock import FakeClock
from orderkit.errors import CourierError
from orderkit.testing.courier_contract import NOW, SENDER
from orderkit_couriers.sf.client import book_pickup, create_order_request
from orderkit_couriers.sf.mapping import parse_response
from orderkit_couriers.sf.protocol import java_urlencode, msg_digest
from orderkit_couriers.sf.sandbox import SfSandbox

CREDENTIALS = {"partner_id": "OKPARTNER", "check_word": "cw-123", "account": "7551234567"}


def sandbox(**options: Any) -> SfSandbox:
    return SfSandbox(partner_id="OKPARTNER", check_word="cw-123", clock=FakeClock(NOW), **options)


def form_of(request: Any) -> dict[str, str]:
    return dict(parse_qsl(request.read().decode("utf-8")))


# -- signing ---------------------------------------------------------------------


def test_msg_digest_reproduces_sfs_documented_example() -> None:
    data = '{"language":"zh-CN","orderId":"QIAO-20200618-004"}'
    digest = msg_digest(data, "12312334453453", "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci")
    assert digest == "IIKJtuLVzoFTu4kHI8M8vA=="
    # without the URL-encoding step the digest differs (the reference's warning)
    assert digest != "OwYXm3XG9fjHK7A+/t7Ckw=="


def test_urlencode_follows_java_for_star_tilde_and_space() -> None:
    assert java_urlencode("a*b~c d") == "a*b%7Ec+d"
    # printf '%s' '%7B%22k%22%3A%22a*b%7Ec+d%22%7D1000cw' | openssl md5 -binary | base64
    assert msg_digest('{"k":"a*b~c d"}', "1000", "cw") == "p+EN6w0w5NF0t9uY2H75wg=="


# -- the request -------------------------------------------------------------------


def test_form_envelope_and_msg_data_fields() -> None:
    ctx = context("sf", CREDENTIALS, transport=sandbox().transport())
    request = create_order_request(ctx, pickup("sf"))
    assert request.url.path == "/std/service"
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = form_of(request)
    assert set(form) == {
        "partnerID", "requestID", "serviceCode", "timestamp", "msgDigest", "msgData"
    }  # fmt: skip
    assert form["partnerID"] == "OKPARTNER"
    assert form["serviceCode"] == "EXP_RECE_CREATE_ORDER"
    assert form["timestamp"] == str(int(NOW.timestamp() * 1000))
    assert len(form["requestID"]) <= 40
    assert form["msgDigest"] == msg_digest(form["msgData"], form["timestamp"], "cw-123")
    data = json.loads(form["msgData"])
    assert data["orderId"] == "shop-a-CT1-p1-" + data["orderId"].rsplit("-", 1)[1]
    assert data["monthlyCard"] == "7551234567"
    assert data["isDocall"] == 1 and data["payMethod"] == 1 and data["parcelQty"] == 1
    assert data["cargoDetails"] == [{"name": "保温杯", "count": 2}, {"name": "杯套", "count": 1}]
    sender, receiver = data["contactInfoList"]
    assert sender == {
        "contactType": 1,
        "contact": SENDER["name"],
        "mobile": SENDER["phone"],
        "country": "CN",
        "province": "浙江省",
        "city": "杭州市",
        "county": "余杭区",
        "address": SENDER["address"],
    }
    assert receiver == {
        "contactType": 2,
        "contact": "李**",
        "mobile": "138****5678",
        "country": "CN",
        "province": "广东省",
        "city": "深圳市",
        "county": "南山区",
        "address": "粤海街道科技园南区8栋",  # the 4th level goes in front of the detail
    }


def test_a_plain_key_is_the_order_id_and_a_landline_goes_in_tel() -> None:
    ctx = context("sf", CREDENTIALS, transport=sandbox().transport())
    order = pickup("sf").order
    receiver = order.receiver.model_copy(update={"phone_masked": "0755-8888****"})
    data = json.loads(
        form_of(create_order_request(ctx, pickup("sf", "PKG-0001", receiver=receiver)))["msgData"]
    )
    assert data["orderId"] == "PKG-0001"
    assert data["contactInfoList"][1]["tel"] == "0755-8888****"


def test_an_uncleaned_receiver_sends_the_whole_address_text() -> None:
    ctx = context("sf", CREDENTIALS, transport=sandbox().transport())
    receiver = pickup("sf").order.receiver.model_copy(
        update={"province": None, "city": None, "raw": "广东深圳南山区粤海街道科技园南区8栋"}
    )
    form = form_of(create_order_request(ctx, pickup("sf", receiver=receiver)))
    entry = json.loads(form["msgData"])["contactInfoList"][1]
    assert "province" not in entry and "city" not in entry
    assert entry["address"] == "广东深圳南山区粤海街道科技园南区8栋"


def test_a_sender_without_an_address_is_refused_before_calling() -> None:
    calls: list[object] = []

    def handler(request: object) -> Any:
        calls.append(request)
        raise AssertionError("must not be called")

    ctx = context("sf", CREDENTIALS, handler=handler, settings={"sender": {"name": "仓"}})
    with pytest.raises(CourierError, match="sender has no phone, address") as caught:
        book_pickup(ctx, pickup("sf"))
    assert caught.value.transient is False and not calls


# -- answers -------------------------------------------------------------------------


def _answer(api_code: str = "A1000", result: Any = None, message: str = "") -> dict[str, Any]:
    return {
        "apiResultCode": api_code,
        "apiErrorMsg": message,
        "apiResponseID": "0001",
        "apiResultData": result,
    }


def _ok(msg_data: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "errorCode": "S0000", "errorMsg": None, "msgData": msg_data}


def test_parent_waybill_from_a_string_or_an_object_result() -> None:
    msg = {
        "orderId": "X",
        "filterResult": 2,
        "waybillNoInfoList": [
            {"waybillType": 2, "waybillNo": "SF1000000000002"},
            {"waybillType": 1, "waybillNo": "SF7444496931331"},
        ],
    }
    assert parse_response(_answer(result=json.dumps(_ok(msg)))).waybill == "SF7444496931331"
    assert parse_response(_answer(result=_ok(msg))).waybill == "SF7444496931331"


@pytest.mark.parametrize(
    ("api_code", "transient"),
    [("A1006", False), ("A1004", False), ("A1002", False), ("A1005", True), ("A1099", True)],
)
def test_platform_codes(api_code: str, transient: bool) -> None:
    with pytest.raises(CourierError, match=api_code) as caught:
        parse_response(_answer(api_code, message="x"))
    assert caught.value.transient is transient


def test_duplicate_order_8016_with_its_waybill_is_the_first_booking() -> None:
    result = {
        "success": False,
        "errorCode": "8016",
        "errorMsg": "重复下单",
        "msgData": {"waybillNoInfoList": [{"waybillType": 1, "waybillNo": "SF1234567890123"}]},
    }
    assert parse_response(_answer(result=json.dumps(result))).waybill == "SF1234567890123"
    result["msgData"] = None
    with pytest.raises(CourierError, match="8016") as caught:
        parse_response(_answer(result=json.dumps(result)))
    assert caught.value.transient is False


def test_not_deliverable_names_the_side() -> None:
    answer = _answer(result=_ok({"orderId": "X", "filterResult": 3, "remark": "2"}))
    with pytest.raises(CourierError, match="destination not served") as caught:
        parse_response(answer)
    assert caught.value.transient is False


# -- the sandbox ---------------------------------------------------------------------


def test_sandbox_refuses_a_stale_timestamp_and_a_reused_request_id() -> None:
    box = sandbox()
    clock = FakeClock(NOW)
    ctx = context("sf", CREDENTIALS, transport=box.transport(), clock=clock)
    request = create_order_request(ctx, pickup("sf"))
    clock.advance(-3600)  # our clock an hour behind SF's
    stale = create_order_request(ctx, pickup("sf"))
    with pytest.raises(CourierError, match="A1002"):
        parse_response(ctx.http.send(stale).json())
    assert ctx.http.send(request).json()["apiResultCode"] == "A1000"
    assert ctx.http.send(request).json()["apiResultCode"] == "A1007"


def test_sandbox_filters_unserved_destinations() -> None:
    ctx = context("sf", CREDENTIALS, transport=sandbox(unserved=["南山区"]).transport())
    with pytest.raises(CourierError, match="filterResult 3"):
        book_pickup(ctx, pickup("sf"))


def test_sandbox_names_the_missing_contact_field() -> None:
    box = sandbox()
    ctx = context("sf", CREDENTIALS, transport=box.transport())
    receiver = pickup("sf").order.receiver.model_copy(update={"name_masked": None})
    request = pickup("sf", receiver=receiver)
    with pytest.raises(CourierError, match="receiver has no name"):
        book_pickup(ctx, request)
    answer = box.refusal("throttle")
    assert json.loads(answer.body)["apiResultCode"] == "A1005"


def test_an_http_endpoint_gets_the_service_path() -> None:
    seen: list[str] = []

    def handler(request: Any) -> Any:
        seen.append(str(request.url))
        return answering(_answer(result=_ok({"waybillNoInfoList": [{"waybillNo": "SF1"}]})))(
            request
        )

    ctx = context("sf", CREDENTIALS, handler=handler, endpoint="http://127.0.0.1:8500")
    assert book_pickup(ctx, pickup("sf")).waybill == "SF1"
    ctx = context("sf", CREDENTIALS, handler=handler, endpoint=None)
    book_pickup(ctx, pickup("sf"))
    assert seen == [
        "http://127.0.0.1:8500/std/service",
        "https://bspgw.sf-express.com/std/service",
    ]
