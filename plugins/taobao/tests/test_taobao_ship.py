"""``ship_order``: the upload it builds (whole and split), what a refusal or a
failure becomes, and the sandbox trade moving to shipped."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.errors import ChannelAuthError, ChannelRateLimited, ChannelResponseError
from orderkit.host import PluginHost
from orderkit.models import Lifecycle, Line, Order, Shipment, ShipmentLine, ShipmentStatus
from orderkit.specs import ShopContext
from orderkit_taobao.mapping import map_trade
from orderkit_taobao.protocol import FULLINFO_GET, OFFLINE_SEND
from orderkit_taobao.sandbox import TaobaoSandbox
from orderkit_taobao.shipping import company_code, ship_order, upload_params

WAYBILL = "ZT7730012345678"


def order_from(payload: Callable[[str], Any]) -> Order:
    raw = payload("fullinfo_multiline.json")["trade_fullinfo_get_response"]["trade"]
    return map_trade(raw, shop_id="tb")


def shipment(*line_ids: str, courier: str = "zto", waybill: str = WAYBILL) -> Shipment:
    return Shipment(
        shipment_id="S1",
        lines=[ShipmentLine(line_id=line_id, quantity=1) for line_id in line_ids],
        courier=courier,
        waybill=waybill,
        status=ShipmentStatus.BOOKED,
    )


def mock_shop(
    clock: FakeClock, answers: list[dict[str, Any]]
) -> tuple[ShopContext, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(parse_qsl(request.content.decode())))
        return httpx.Response(200, content=json.dumps(answers.pop(0)).encode())

    creds = {"app_key": "12345678", "app_secret": "s3cr3t", "session": "6102"}
    shop = ShopContext(
        shop_id="tb",
        channel="taobao",
        endpoint=None,
        settings={},
        credential=creds.__getitem__,
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    return shop, seen


def test_whole_order_upload(clock: FakeClock, payload: Callable[[str], Any]) -> None:
    shop, seen = mock_shop(clock, [payload("offline_send_success.json")])
    order = order_from(payload)
    result = ship_order(shop, order, shipment(*(line.line_id for line in order.lines)))
    assert result.accepted and result.error_code is None
    (form,) = seen
    assert form["method"] == OFFLINE_SEND
    assert {k: form[k] for k in ("tid", "out_sid", "company_code")} == {
        "tid": "3856120074419282791",
        "out_sid": WAYBILL,
        "company_code": "ZTO",
    }
    assert "is_split" not in form and "sub_tid" not in form


def test_split_upload_names_the_sub_orders(clock: FakeClock, payload: Callable[[str], Any]) -> None:
    order = order_from(payload)
    params = upload_params(order, shipment(order.lines[1].line_id), {})
    assert params == {
        "tid": "3856120074419282791",
        "out_sid": WAYBILL,
        "company_code": "ZTO",
        "is_split": "1",
        "sub_tid": "3856120074421282791",
    }


def test_gift_lines_and_refunded_lines_are_left_out(payload: Callable[[str], Any]) -> None:
    order = order_from(payload)
    first, second = order.lines
    gift = Line(line_id="gift-1", title="赠品 小样", quantity=1, unit_price=0, is_gift=True,
                parent_line_id=first.line_id)  # fmt: skip
    refunded = second.model_copy(update={"lifecycle": Lifecycle.CANCELLED})
    order = order.model_copy(update={"lines": [first, refunded, gift]})
    params = upload_params(order, shipment(first.line_id, second.line_id, "gift-1"), {})
    assert isinstance(params, dict)
    assert params["is_split"] == "1" and params["sub_tid"] == first.line_id
    nothing = upload_params(order, shipment("gift-1"), {})
    assert not isinstance(nothing, dict) and nothing.error_code == "no_shippable_lines"


def test_local_refusals_make_no_call(clock: FakeClock, payload: Callable[[str], Any]) -> None:
    shop, seen = mock_shop(clock, [])
    order = order_from(payload)
    closed = order.model_copy(update={"platform_status": {"status": "TRADE_CLOSED_BY_TAOBAO"}})
    assert ship_order(shop, closed, shipment()).error_code == "TRADE_CLOSED_BY_TAOBAO"
    assert ship_order(shop, order, shipment(waybill="")).error_code == "missing_waybill"
    assert seen == []


def test_a_platform_refusal_is_a_result(clock: FakeClock, payload: Callable[[str], Any]) -> None:
    refusal = {
        "error_response": {
            "code": 15,
            "msg": "Remote service error",
            "sub_code": "isv.logistics-offline-service-error:B60",
            "sub_msg": "运单号不符合规则",
        }
    }
    shop, _ = mock_shop(clock, [refusal])
    result = ship_order(shop, order_from(payload), shipment())
    assert not result.accepted
    assert result.error_code == "isv.logistics-offline-service-error:B60"
    assert result.error_message is not None and "运单号不符合规则" in result.error_message


def test_already_shipped_with_this_waybill_is_accepted(
    clock: FakeClock, payload: Callable[[str], Any]
) -> None:
    # The first upload went through but its answer was lost; the retry gets B04.
    full = payload("fullinfo_multiline.json")
    for order in full["trade_fullinfo_get_response"]["trade"]["orders"]["order"]:
        order["invoice_no"] = WAYBILL
    b04 = payload("errors.json")["already_shipped"]
    shop, seen = mock_shop(clock, [b04, full])
    assert ship_order(shop, order_from(payload), shipment()).accepted
    assert [form["method"] for form in seen] == [OFFLINE_SEND, FULLINFO_GET]
    other, _ = mock_shop(clock, [b04, payload("fullinfo_multiline.json")])
    refused = ship_order(other, order_from(payload), shipment())
    assert not refused.accepted and refused.error_code == "isv.logistics-offline-service-error:B04"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("remote_timeout", ChannelResponseError),
        ("session_expired", ChannelAuthError),
        ("api_call_limited", ChannelRateLimited),
    ],
)
def test_failures_worth_retrying_are_raised(
    clock: FakeClock, payload: Callable[[str], Any], name: str, kind: type[Exception]
) -> None:
    shop, _ = mock_shop(clock, [payload("errors.json")[name]])
    with pytest.raises(kind):
        ship_order(shop, order_from(payload), shipment())


def test_company_codes() -> None:
    assert company_code("sf", {}) == "SF"
    assert company_code("deppon", {}) == "DBL"
    assert company_code("zto", {"company_codes": {"zto": "ZTO_KY"}}) == "ZTO_KY"
    assert company_code("newco", {}) == "NEWCO"


def test_split_shipments_through_the_sandbox(
    host: PluginHost, sandbox: TaobaoSandbox, shop: ShopContext
) -> None:
    truth = sandbox.ground_truth()
    eid = next(
        e
        for e, t in truth.items()
        if t.status == "WAIT_SELLER_SEND_GOODS"
        and t.refund.value == "none"
        and len(sandbox.trade(e)["orders"]["order"]) >= 2
    )
    order = map_trade(sandbox.trade(eid), shop_id=shop.shop_id)
    first, *rest = order.lines
    result = host.ship_order(shop, order, shipment(first.line_id))
    assert result.accepted, result
    assert sandbox.ground_truth()[eid].lifecycle == Lifecycle.PARTIALLY_SHIPPED
    after = sandbox.trade(eid)
    assert after["status"] == "SELLER_CONSIGNED_PART"
    shipped = {o["oid_str"]: o for o in after["orders"]["order"]}
    assert shipped[first.line_id]["invoice_no"] == WAYBILL
    # The re-fetched order knows line 1 shipped: a retry of parcel 1 makes no
    # new upload and is accepted because Taobao shows this waybill on it.
    order = map_trade(after, shop_id=shop.shop_id)
    assert order.lines[0].lifecycle == Lifecycle.SHIPPED
    calls = sandbox.calls[OFFLINE_SEND]
    assert ship_order(shop, order, shipment(first.line_id)).accepted
    assert sandbox.calls[OFFLINE_SEND] == calls
    # The rest goes in a second parcel.
    second = Shipment(
        shipment_id="S2",
        lines=[ShipmentLine(line_id=line.line_id, quantity=line.quantity) for line in rest],
        courier="sf",
        waybill="SF1400012345678",
    )
    assert host.ship_order(shop, order, second).accepted
    assert sandbox.ground_truth()[eid].lifecycle == Lifecycle.SHIPPED
    # Uploading the first parcel again (a retry) is accepted, not a false alarm;
    # the same sub-order with another waybill is refused.
    order = map_trade(sandbox.trade(eid), shop_id=shop.shop_id)
    assert ship_order(shop, order, shipment(first.line_id)).accepted
    other = ship_order(shop, order, shipment(first.line_id, waybill="YT9990012345678"))
    assert not other.accepted and other.error_code == "isv.logistics-offline-service-error:B04"
