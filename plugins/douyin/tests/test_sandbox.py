"""The sandbox speaks Doudian: it checks requests as documented, answers with
the documented envelopes and errors, and serves realistic, deterministic orders."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from orderkit.clock import FakeClock

from orderkit_douyin.protocol import epoch_seconds
from orderkit_douyin.sandbox import DouyinSandbox
from orderkit_douyin.signing import canonical_json, sign
from orderkit_douyin.statuses import AFTER_SALE_STATUSES, MAIN_STATUSES, ORDER_STATUSES

T0 = datetime(2026, 11, 11, tzinfo=UTC)
NOW = T0 + timedelta(minutes=1)


@pytest.fixture(scope="module")
def box() -> DouyinSandbox:
    return DouyinSandbox(
        orders=3000, seed=8, start=T0 - timedelta(days=1), end=T0, clock=FakeClock(NOW)
    )


def call(
    box: DouyinSandbox,
    api: str,
    params: dict[str, Any],
    *,
    body: str | None = None,
    **overrides: str,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Call ``api`` signed as the documentation says, with query ``overrides``."""
    param_json = canonical_json(params) if body is None else body
    timestamp = overrides.pop("timestamp", str(epoch_seconds(NOW)))
    query = {
        "app_key": "sandbox-app",
        "method": api,
        "v": "2",
        "timestamp": timestamp,
        "sign_method": "hmac-sha256",
        "access_token": "demo-session",
    }
    query["sign"] = sign("sandbox-app", "demo-secret", api, param_json, timestamp)
    query.update(overrides)
    status, headers, content = box.handle(
        "/" + api.replace(".", "/"), urlencode(query), param_json.encode()
    )
    return status, headers, json.loads(content)


def search(page: int = 0, size: int = 100, hours: int = 24) -> dict[str, Any]:
    return {
        "update_time_start": epoch_seconds(T0 - timedelta(hours=hours)),
        "update_time_end": epoch_seconds(T0),
        "order_by": "update_time",
        "order_asc": True,
        "page": page,
        "size": size,
    }


def test_a_good_request_gets_the_documented_envelope(box: DouyinSandbox) -> None:
    status, _, body = call(box, "order.searchList", search(size=5))
    assert status == 200
    assert body["code"] == 10000 and body["msg"] == "success" and body["log_id"]
    data = body["data"]
    in_window = [v for v in box.ground_truth().values() if v["modified_at"] <= T0]
    assert (data["page"], data["size"], data["total"]) == (0, 5, len(in_window))
    times = [o["update_time"] for o in data["shop_order_list"]]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("overrides", "code", "sub_code"),
    [
        ({"sign": "0" * 64}, 40003, "isv.signature-invalid"),
        ({"sign": ""}, 40001, "isv.signature-missing"),
        ({"app_key": "someone-else"}, 40003, "isv.app-id-invalid"),
        ({"access_token": ""}, 40001, "isv.access-token-missing"),
        ({"access_token": "stolen"}, 40003, "isv.access-token-no-existed"),
        ({"timestamp": "yesterday"}, 40003, "isv.timestamp-format-error"),
        ({"timestamp": str(epoch_seconds(NOW) - 3600)}, 40003, "isv.timestamp-invalid"),
        ({"method": "order.orderDetail"}, 40003, "isv.parameter-format-invalid"),
    ],
)
def test_bad_requests_get_the_documented_errors(
    box: DouyinSandbox, overrides: dict[str, str], code: int, sub_code: str
) -> None:
    _, _, body = call(box, "order.searchList", search(), **overrides)
    assert (body["code"], body["sub_code"]) == (code, sub_code)


def test_the_signed_body_must_be_the_sent_body_and_canonical(box: DouyinSandbox) -> None:
    spaced = json.dumps(search(), sort_keys=True)  # ", " and ": ": valid JSON, not canonical
    _, _, body = call(box, "order.searchList", search(), body=spaced)
    assert body["sub_code"] == "isv.parameter-format-invalid"
    # signed one body, sent another
    timestamp = str(epoch_seconds(NOW))
    signed = canonical_json(search(page=0))
    query = {
        "app_key": "sandbox-app",
        "method": "order.searchList",
        "v": "2",
        "timestamp": timestamp,
        "access_token": "demo-session",
        "sign": sign("sandbox-app", "demo-secret", "order.searchList", signed, timestamp, "md5"),
    }
    sent = canonical_json(search(page=1)).encode()
    _, _, content = box.handle("/order/searchList", urlencode(query), sent)
    assert json.loads(content)["sub_code"] == "isv.signature-invalid"


def test_md5_and_the_datetime_timestamp_are_accepted(box: DouyinSandbox) -> None:
    china = (NOW + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    param_json = canonical_json(search(size=1))
    query = {
        "app_key": "sandbox-app",
        "method": "order.searchList",
        "v": "2",
        "timestamp": china,
        "access_token": "demo-session",  # no sign_method: md5, as older SDKs
        "sign": sign("sandbox-app", "demo-secret", "order.searchList", param_json, china, "md5"),
    }
    _, _, content = box.handle("/order/searchList", urlencode(query), param_json.encode())
    assert json.loads(content)["code"] == 10000


@pytest.mark.parametrize(
    "params",
    [search(size=101), search(size=0), search(page=-1), search(hours=25)],
)
def test_paging_sizes_and_windows_are_checked(box: DouyinSandbox, params: dict[str, Any]) -> None:
    _, _, body = call(box, "order.searchList", params)
    assert body["code"] == 40004


def test_throttling_answers_60000_with_a_retry_after(box: DouyinSandbox) -> None:
    box.throttle(calls=1, retry_after=3.0)
    _, headers, body = call(box, "order.searchList", search())
    assert body["code"] == 60000 and headers["Retry-After"] == "3"
    assert call(box, "order.searchList", search())[2]["code"] == 10000


def test_the_wsgi_app_serves_the_same_handler(box: DouyinSandbox) -> None:
    param_json = canonical_json({"shop_order_id": box.external_ids()[0]})
    timestamp = str(epoch_seconds(NOW))
    query = urlencode(
        {
            "app_key": "sandbox-app",
            "method": "order.orderDetail",
            "v": "2",
            "timestamp": timestamp,
            "sign_method": "hmac-sha256",
            "access_token": "demo-session",
            "sign": sign("sandbox-app", "demo-secret", "order.orderDetail", param_json, timestamp),
        }
    )
    started: list[str] = []
    environ = {
        "PATH_INFO": "/order/orderDetail",
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(param_json.encode())),
        "wsgi.input": io.BytesIO(param_json.encode()),
    }
    chunks = box.wsgi_app(environ, lambda status, headers: started.append(status))
    assert started == ["200 OK"]
    assert json.loads(b"".join(chunks))["data"]["shop_order_detail"]["sku_order_list"]


def test_generation_is_deterministic_and_varied(box: DouyinSandbox) -> None:
    again = DouyinSandbox(
        orders=3000, seed=8, start=T0 - timedelta(days=1), end=T0, clock=FakeClock(NOW)
    )
    some = box.external_ids()[:50]
    assert [box.order(i) for i in some] == [again.order(i) for i in some]
    truth = box.ground_truth()
    orders = [box.order(i) for i in box.external_ids()]
    assert {str(o["order_status"]) for o in orders} == set(ORDER_STATUSES)
    assert {str(o["main_status"]) for o in orders} == set(MAIN_STATUSES)
    after_sales = {
        str(s["after_sale_info"]["after_sale_status"])
        for o in orders
        for s in o["sku_order_list"]
        if "after_sale_info" in s
    }
    assert after_sales == set(AFTER_SALE_STATUSES)
    lifecycles = Counter(v["lifecycle"] for v in truth.values())
    assert set(lifecycles) == {
        "pending_payment",
        "paid",
        "partially_shipped",
        "in_transit",
        "completed",
        "cancelled",
        "closed",
    }
    details = " ".join(o["post_addr"]["detail"] for o in orders)
    for messy in ("小区东门保安室", "放门卫", "丰巢柜", "***", "江干区"):
        assert messy in details
    assert all(o["encrypt_post_receiver"].startswith("#") for o in orders)
    assert all(len(o["order_id"]) == 19 for o in orders)
    tokens = Counter(o["open_address_id"] for o in orders)
    assert max(tokens.values()) > 1  # returning buyers share an address id


def test_the_cli_factory_needs_only_orders_and_seed() -> None:
    from orderkit_douyin import channel_spec

    spec = channel_spec()
    assert spec.sandbox_factory is not None
    sandbox = spec.sandbox_factory(orders=10, seed=1)
    assert len(sandbox.external_ids()) == 10
