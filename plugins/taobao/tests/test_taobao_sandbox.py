"""The sandbox speaks TOP: documented errors for bad requests, deterministic
and varied trades, scheduled changes, control methods, and both adapters."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from taobao_testkit import END, NOW, START

import orderkit_taobao
from orderkit.clock import FakeClock
from orderkit.models import Lifecycle, PresaleState, RefundState
from orderkit_taobao.client import form_body
from orderkit_taobao.protocol import FULLINFO_GET, INCREMENT_GET, OFFLINE_SEND, format_time
from orderkit_taobao.sandbox import ExpectedOrder, TaobaoSandbox
from orderkit_taobao.signing import sign
from orderkit_taobao.statuses import REFUND_STATUSES, STEP_STATUSES, TRADE_STATUSES


def request(
    sandbox: TaobaoSandbox,
    method: str = INCREMENT_GET,
    *,
    secret: str | None = None,
    sign_method: str = "md5",
    **params: str,
) -> dict[str, Any]:
    """Sign and send one request; return the parsed JSON body."""
    form = {
        "method": method,
        "app_key": sandbox.app_key,
        "session": sandbox.session,
        "timestamp": format_time(sandbox.now()),
        "format": "json",
        "v": "2.0",
        "sign_method": sign_method,
        **params,
    }
    form = {k: v for k, v in form.items() if v != ""}
    form["sign"] = sign(form, secret or sandbox.app_secret, sign_method)
    status, body = sandbox.handle(form)
    assert status == 200
    result: dict[str, Any] = json.loads(body)
    return result


def window(hours: float = 1, end: datetime = END) -> dict[str, str]:
    return {
        "fields": "tid,status,modified",
        "start_modified": format_time(end - timedelta(hours=hours)),
        "end_modified": format_time(end),
    }


def error(body: dict[str, Any]) -> tuple[int, str]:
    assert "error_response" in body, body
    err = body["error_response"]
    return err["code"], err.get("sub_code", "")


def test_a_wrong_signature_gets_code_25(sandbox: TaobaoSandbox) -> None:
    body = request(sandbox, secret="not-the-secret", **window())
    assert body["error_response"]["code"] == 25
    assert body["error_response"]["msg"] == "Invalid Signature"
    assert set(body["error_response"]) >= {"code", "msg", "request_id"}


def test_an_oversized_window_gets_code_41(sandbox: TaobaoSandbox) -> None:
    assert "error_response" not in request(sandbox, **window(hours=24))  # one day is allowed
    code, sub_code = error(request(sandbox, **window(hours=24.01)))
    assert (code, sub_code) == (41, "isv.invalid-parameter:end_modified")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"method": ""}, (21, "")),
        ({"method": "taobao.items.onsale.get"}, (22, "isv.invalid-method")),
        ({"app_key": ""}, (28, "")),
        ({"app_key": "99999999"}, (29, "isv.appkey-not-exists")),
        ({"timestamp": ""}, (30, "")),
        ({"timestamp": "2026-11-11T12:00:00"}, (31, "isv.invalid-timestamp")),
        ({"v": "1.0"}, (33, "isv.invalid-version")),
        ({"format": "xml"}, (23, "isv.invalid-format")),
        ({"session": ""}, (26, "")),
        ({"session": "someone-elses"}, (27, "invalid-sessionkey")),
        ({"page_size": "101"}, (41, "isv.invalid-parameter:page_size")),
        ({"page_size": "0"}, (41, "isv.invalid-parameter:page_size")),
        ({"page_no": "0"}, (41, "isv.invalid-parameter:page_no")),
        ({"fields": ""}, (40, "isv.missing-parameter:fields")),
        ({"start_modified": "yesterday"}, (41, "isv.invalid-parameter:start_modified")),
    ],
)
def test_documented_errors(
    sandbox: TaobaoSandbox, change: dict[str, str], expected: tuple[int, str]
) -> None:
    params = {**window(), **change}
    method = params.pop("method", INCREMENT_GET)
    assert error(request(sandbox, method, **params)) == expected


def test_timestamp_skew_beyond_ten_minutes(sandbox: TaobaoSandbox, clock: FakeClock) -> None:
    stamp = format_time(NOW + timedelta(minutes=11))
    assert error(request(sandbox, timestamp=stamp, **window()))[0] == 31
    assert "error_response" not in request(
        sandbox, timestamp=format_time(NOW - timedelta(minutes=9)), **window()
    )


def test_only_the_last_three_months(sandbox: TaobaoSandbox) -> None:
    old = NOW - timedelta(days=95)
    assert error(request(sandbox, **window(end=old))) == (
        41,
        "isv.invalid-parameter:start_modified",
    )


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
def test_every_sign_method_is_accepted(sandbox: TaobaoSandbox, sign_method: str) -> None:
    body = request(sandbox, sign_method=sign_method, **window())
    assert "trades_sold_increment_get_response" in body


def test_list_envelope_paging_and_order(sandbox: TaobaoSandbox) -> None:
    counted = request(sandbox, page_size="5", **window(hours=6))[
        "trades_sold_increment_get_response"
    ]
    total = counted["total_results"]
    assert total > 10 and "has_next" not in counted
    trades = counted["trades"]["trade"]
    assert len(trades) == 5 and set(trades[0]) == {"tid", "status", "modified"}
    stamps = [t["modified"] for t in trades]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    last = -(-total // 5)
    tail = request(
        sandbox, page_size="5", page_no=str(last), use_has_next="true", **window(hours=6)
    )
    content = tail["trades_sold_increment_get_response"]
    assert content["has_next"] is False and "total_results" not in content
    beyond = request(sandbox, page_size="5", page_no=str(last + 1), **window(hours=6))
    assert "trades" not in beyond["trades_sold_increment_get_response"]  # TOP leaves it out


def test_default_trade_types_leave_some_trades_out(sandbox: TaobaoSandbox) -> None:
    wide = {**window(hours=24), "page_size": "100"}
    everything = request(sandbox, type="guarantee_trade,cod,step,nopaid,pre_auth_type", **wide)
    default = request(sandbox, **wide)
    total = everything["trades_sold_increment_get_response"]["total_results"]
    assert default["trades_sold_increment_get_response"]["total_results"] < total


def test_list_leaves_out_buyer_message_and_seller_memo(sandbox: TaobaoSandbox) -> None:
    fields = "tid,has_buyer_message,buyer_message,seller_memo,seller_flag"
    listed = request(sandbox, **{**window(hours=24), "fields": fields, "page_size": "100"})
    trades = listed["trades_sold_increment_get_response"]["trades"]["trade"]
    with_message = [t for t in trades if t["has_buyer_message"]]
    assert with_message and all("buyer_message" not in t for t in trades)
    full = request(sandbox, FULLINFO_GET, fields=fields, tid=str(with_message[0]["tid"]))
    assert full["trade_fullinfo_get_response"]["trade"]["buyer_message"]
    missing = request(sandbox, FULLINFO_GET, fields=fields, tid="1")
    assert error(missing) == (15, "isv.trade-not-exist")


def test_throttling_and_ban_time(sandbox: TaobaoSandbox, clock: FakeClock) -> None:
    sandbox.throttle(ban_seconds=30)
    body = request(sandbox, **window())
    assert body["error_response"]["code"] == 7
    assert body["error_response"]["msg"] == "App Call Limited"
    assert body["error_response"]["sub_msg"] == "This ban will last for 30 more seconds"
    clock.advance(10)
    assert request(sandbox, **window())["error_response"]["sub_msg"].startswith(
        "This ban will last for 20 "
    )
    clock.advance(20)
    assert "error_response" not in request(sandbox, **window())


def test_session_control(sandbox: TaobaoSandbox) -> None:
    old = sandbox.session
    sandbox.expire_session()
    assert error(request(sandbox, session=old, **window())) == (27, "session-expired")
    new = sandbox.refresh_session()["session"]
    assert new != old and sandbox.session == new
    assert "error_response" not in request(sandbox, **window())
    assert error(request(sandbox, session=old, **window()))[0] == 27
    sandbox.set_session("handed-out-by-oauth")
    assert "error_response" not in request(sandbox, **window())
    sandbox.expire_session(after_calls=1)
    assert "error_response" not in request(sandbox, **window())
    assert error(request(sandbox, **window())) == (27, "session-expired")


def test_generation_is_deterministic(clock: FakeClock) -> None:
    one = TaobaoSandbox(orders=50, seed=4, clock=clock, start=START, end=END)
    two = TaobaoSandbox(orders=50, seed=4, clock=clock, start=START, end=END)
    other = TaobaoSandbox(orders=50, seed=5, clock=clock, start=START, end=END)
    first = [one.trade(eid) for eid in sorted(one.external_ids())]
    assert first == [two.trade(eid) for eid in sorted(two.external_ids())]
    assert first != [other.trade(eid) for eid in sorted(other.external_ids())]


def test_variety(clock: FakeClock) -> None:
    sandbox = TaobaoSandbox(orders=5000, seed=2, clock=clock, start=START, end=END)
    trades = [sandbox.trade(eid) for eid in sandbox.external_ids()]
    statuses = Counter(t["status"] for t in trades)
    assert set(statuses) == set(TRADE_STATUSES)
    refunds = Counter(o["refund_status"] for t in trades for o in t["orders"]["order"])
    assert set(refunds) == {*REFUND_STATUSES, "NO_REFUND"}
    assert {t["step_trade_status"] for t in trades if "step_trade_status" in t} == set(
        STEP_STATUSES
    )
    assert all(t["tid"] > 2**53 for t in trades)
    multi = [t for t in trades if len(t["orders"]["order"]) > 1]
    assert len(multi) > len(trades) / 5
    assert any(t["receiver_city"] == "" and t["receiver_district"] == "济源市" for t in trades)
    assert any(t["receiver_state"] == "上海" for t in trades)
    assert any(t["receiver_district"] in ("闸北区", "崇文区", "宣武区", "江干区") for t in trades)
    assert any(
        "保安室" in t["receiver_address"] or "放门卫" in t["receiver_address"] for t in trades
    )
    assert any(t.get("buyer_message") for t in trades) and any(t.get("seller_memo") for t in trades)
    assert {t["seller_flag"] for t in trades} == {0, 1, 2, 3, 4, 5}
    truth = sandbox.ground_truth().values()
    assert {t.lifecycle for t in truth} >= {
        Lifecycle.PENDING_PAYMENT, Lifecycle.PAID, Lifecycle.PARTIALLY_SHIPPED, Lifecycle.SHIPPED,
        Lifecycle.DELIVERED, Lifecycle.COMPLETED, Lifecycle.CANCELLED, Lifecycle.CLOSED,
    }  # fmt: skip
    assert {t.refund for t in truth} == set(RefundState)
    assert {t.presale for t in truth} == set(PresaleState)


def test_scheduled_changes_happen_as_the_clock_passes(clock: FakeClock) -> None:
    sandbox = TaobaoSandbox(orders=300, seed=8, clock=clock, churn_rate=0.3)
    before = sandbox.ground_truth()
    clock.advance(15 * 60)
    middle = sandbox.ground_truth()
    clock.advance(15 * 60)
    after = sandbox.ground_truth()
    assert moved(before, middle) and moved(middle, after)
    for eid in moved(before, after):
        assert NOW < after[eid].modified_at <= clock.now()


def test_add_order_for_window_edges_and_dead_letters(sandbox: TaobaoSandbox) -> None:
    edge = datetime(2026, 11, 11, 2, 30, tzinfo=UTC)
    good = sandbox.add_order(modified_at=edge)
    bad = sandbox.add_order(modified_at=edge, malformed=True)
    truth = sandbox.ground_truth()
    assert truth[good]["modified_at"] == edge and truth[good]["lifecycle"] == Lifecycle.PAID
    assert truth[bad].malformed == "payment" and sandbox.trade(bad)["payment"] == "12.3.4"
    assert int(good) > 2**53 and {good, bad} <= set(sandbox.external_ids())


def test_throttle_by_the_wait_a_client_derives(sandbox: TaobaoSandbox) -> None:
    sandbox.throttle(calls=2, retry_after=7.0)
    for _ in range(2):
        body = request(sandbox, **window())
        assert body["error_response"]["sub_msg"] == "This ban will last for 6 more seconds"
    with pytest.raises(ValueError):
        sandbox.throttle(retry_after=1, ban_seconds=1)


def test_config_friendly_options(clock: FakeClock) -> None:
    sandbox = TaobaoSandbox(
        orders=5, clock=clock, start="2026-11-10 11:00:00", end="2026-11-11T11:00:00+08:00",
        churn_horizon=600, max_skew=300, access_token="tok", refresh_token="unused",
    )  # fmt: skip
    assert sandbox.start == START and sandbox.end == END and sandbox.session == "tok"


def moved(a: dict[str, ExpectedOrder], b: dict[str, ExpectedOrder]) -> set[str]:
    return {eid for eid in a if a[eid].modified_at != b[eid].modified_at}


def test_touch_and_add_trade(sandbox: TaobaoSandbox) -> None:
    eid = sandbox.external_ids()[0]
    at = datetime(2026, 11, 11, 2, 30, tzinfo=UTC)
    sandbox.touch(eid, at)
    assert sandbox.trade(eid)["modified"] == "2026-11-11 10:30:00"
    assert sandbox.ground_truth()[eid].modified_at == at
    raw = {**sandbox.trade(eid), "tid": 9_100_000_000_000_000_001, "payment": "1.2.3"}
    raw.pop("tid_str")
    new = sandbox.add_trade(raw, malformed="payment")
    assert sandbox.ground_truth()[new].malformed == "payment"


def test_offline_send_ships_and_changes_the_trade(sandbox: TaobaoSandbox) -> None:
    truth = sandbox.ground_truth()
    eid = next(e for e, t in truth.items() if t.status == "WAIT_SELLER_SEND_GOODS")
    body = request(sandbox, OFFLINE_SEND, tid=eid, out_sid="ZT7730012345678", company_code="ZTO")
    assert body["logistics_offline_send_response"]["shipping"] == {"is_success": True}
    assert sandbox.ground_truth()[eid].lifecycle == Lifecycle.SHIPPED
    again = request(sandbox, OFFLINE_SEND, tid=eid, out_sid="ZT7730012345678", company_code="ZTO")
    assert error(again) == (15, "isv.logistics-offline-service-error:B04")
    bad = request(sandbox, OFFLINE_SEND, tid=eid, out_sid="#?", company_code="ZTO")
    assert error(bad) == (15, "isv.logistics-offline-service-error:B60")
    unknown = request(sandbox, OFFLINE_SEND, tid="7", out_sid="ZT7730012345678", company_code="ZTO")
    assert error(unknown) == (15, "isv.logistics-offline-service-error:B01")


def test_in_process_transport_and_wsgi_app_answer_alike(sandbox: TaobaoSandbox) -> None:
    form = {
        "method": INCREMENT_GET,
        "app_key": sandbox.app_key,
        "session": sandbox.session,
        "timestamp": format_time(sandbox.now()),
        "format": "json",
        "v": "2.0",
        "sign_method": "md5",
        **window(),
    }
    form["sign"] = sign(form, sandbox.app_secret)
    body = form_body(form)
    with httpx.Client(transport=sandbox.transport()) as client:
        via_httpx = client.post(sandbox.base_url, content=body)
        assert client.get(sandbox.base_url.replace("/router/rest", "/other")).status_code == 404
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured["status"] = status
        captured["headers"] = dict(headers)

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/router/rest",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    via_wsgi = b"".join(sandbox.wsgi_app(environ, start_response))
    assert captured["status"] == "200 OK"
    assert captured["headers"]["Content-Type"].startswith("application/json")
    assert strip(via_wsgi) == strip(via_httpx.content)


def strip(data: bytes) -> dict[str, Any]:
    """A list response's content without its (per-request) request_id."""
    content: dict[str, Any] = json.loads(data)["trades_sold_increment_get_response"]
    return {k: v for k, v in content.items() if k != "request_id"}


def test_the_factory_on_the_spec(clock: FakeClock) -> None:
    spec = orderkit_taobao.channel_spec()
    assert spec.sandbox_factory is not None
    sandbox = spec.sandbox_factory(orders=10, seed=1, clock=clock)
    assert isinstance(sandbox, TaobaoSandbox) and len(sandbox.external_ids()) == 10
    with pytest.raises(TypeError):
        spec.sandbox_factory(ordrs=10)


def test_fifty_thousand_orders_generate_in_seconds(clock: FakeClock) -> None:
    started = time.process_time()
    sandbox = TaobaoSandbox(orders=50_000, seed=1, clock=clock, start=START, end=END)
    elapsed = time.process_time() - started
    assert len(sandbox.external_ids()) == 50_000
    assert elapsed < 10, f"generation took {elapsed:.1f}s of CPU"
