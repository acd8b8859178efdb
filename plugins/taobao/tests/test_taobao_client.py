"""The TOP client, karrio-style: the canonical request it builds, the raw
response it unwraps, and the typed error each recorded error payload gives."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from structlog.testing import capture_logs

from orderkit.clock import FakeClock
from orderkit.errors import (
    ChannelAuthError,
    ChannelError,
    ChannelRateLimited,
    ChannelResponseError,
    ChannelSignatureError,
)
from orderkit_taobao.client import TopClient, resolve_url
from orderkit_taobao.envelope import error_from_response, unwrap
from orderkit_taobao.protocol import FULLINFO_GET, INCREMENT_GET, PRODUCTION_URL, SANDBOX_URL
from orderkit_taobao.signing import sign

CREDENTIALS = {"app_key": "12345678", "app_secret": "s3cr3t-app", "session": "6102a0b1c2d3e4"}


def recording_client(
    clock: FakeClock, answer: Callable[[httpx.Request], httpx.Response], **kwargs: Any
) -> tuple[TopClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = TopClient(http, credential=CREDENTIALS.__getitem__, clock=clock, **kwargs)
    return client, seen


def json_answer(body: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=json.dumps(body).encode())


def test_canonical_request(clock: FakeClock, payload: Callable[[str], Any]) -> None:
    client, seen = recording_client(clock, json_answer(payload("fullinfo_multiline.json")))
    client.call(FULLINFO_GET, {"fields": "tid,status,orders", "tid": "3856120074419282791"})
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == PRODUCTION_URL
    assert request.url.query == b""  # nothing secret in the URL
    assert request.headers["content-type"] == "application/x-www-form-urlencoded;charset=utf-8"
    form = dict(parse_qsl(request.content.decode()))
    assert form == {
        "method": "taobao.trade.fullinfo.get",
        "app_key": "12345678",
        "session": "6102a0b1c2d3e4",
        "timestamp": "2026-11-11 12:00:00",  # 04:00 UTC on the fake clock, in GMT+8
        "format": "json",
        "v": "2.0",
        "sign_method": "md5",
        "fields": "tid,status,orders",
        "tid": "3856120074419282791",
        "sign": form["sign"],
    }
    assert form["sign"] == sign({k: v for k, v in form.items() if k != "sign"}, "s3cr3t-app")


def test_business_values_are_rendered_as_top_expects(clock: FakeClock) -> None:
    client = TopClient(httpx.Client(), credential=CREDENTIALS.__getitem__, clock=clock)
    from datetime import UTC, datetime

    params = client.request_params(
        INCREMENT_GET,
        {
            "start_modified": datetime(2026, 11, 10, 16, 0, 30, 500000, tzinfo=UTC),
            "use_has_next": True,
            "page_no": 3,
            "type": ["fixed", "step"],
            "buyer_nick": None,
            "status": "",
        },
    )
    assert params["start_modified"] == "2026-11-11 00:00:30"  # GMT+8, sub-second floored
    assert params["use_has_next"] == "true"
    assert params["page_no"] == "3"
    assert params["type"] == "fixed,step"
    assert "buyer_nick" not in params and "status" not in params


def test_each_call_gets_a_fresh_timestamp_and_credentials_are_resolved_once(
    clock: FakeClock,
) -> None:
    asked: list[str] = []

    def resolve(name: str) -> str:
        asked.append(name)
        return CREDENTIALS[name]

    client = TopClient(httpx.Client(), credential=resolve, clock=clock)
    first = client.request_params(FULLINFO_GET, {"tid": "1"})
    clock.advance(61)
    second = client.request_params(FULLINFO_GET, {"tid": "1"})
    assert first["timestamp"] == "2026-11-11 12:00:00"
    assert second["timestamp"] == "2026-11-11 12:01:01"
    # One client serves one hook call; the resolver may hit a database.
    assert sorted(asked) == ["app_key", "app_secret", "session"]


def test_response_is_unwrapped(clock: FakeClock, payload: Callable[[str], Any]) -> None:
    client, _ = recording_client(clock, json_answer(payload("increment_page.json")))
    content = client.call(INCREMENT_GET, {"fields": "tid"})
    assert content["total_results"] == 3
    # 19-digit ids survive JSON parsing exactly.
    assert content["trades"]["trade"][0]["tid"] == 3856120074519282791


def test_wrong_envelope_is_a_response_error() -> None:
    with pytest.raises(ChannelResponseError, match="trade_fullinfo_get_response"):
        unwrap(FULLINFO_GET, {"trades_sold_get_response": {}})


ERROR_CASES = [
    ("app_call_limited", ChannelRateLimited, {"retry_after": 31063.0}),
    ("api_call_limited", ChannelRateLimited, {"retry_after": 3.0}),
    ("invalid_session", ChannelAuthError, {}),
    ("session_expired", ChannelAuthError, {}),
    ("missing_session", ChannelAuthError, {}),
    ("invalid_signature", ChannelSignatureError, {"code": "25", "transient": False}),
    ("remote_timeout", ChannelResponseError, {"transient": True}),
    ("remote_unavailable_tmall", ChannelResponseError, {"transient": True}),
    ("service_unavailable", ChannelResponseError, {"transient": True}),
    (
        "already_shipped",
        ChannelResponseError,
        {"transient": False, "sub_code": "isv.logistics-offline-service-error:B04"},
    ),
    ("invalid_timestamp", ChannelResponseError, {"transient": False, "code": "31"}),
    ("invalid_arguments", ChannelResponseError, {"transient": False, "code": "41"}),
]


@pytest.mark.parametrize(("name", "kind", "attributes"), ERROR_CASES)
def test_error_payloads_give_typed_errors(
    clock: FakeClock,
    payload: Callable[[str], Any],
    name: str,
    kind: type[ChannelError],
    attributes: dict[str, Any],
) -> None:
    body = payload("errors.json")[name]
    client, _ = recording_client(clock, json_answer(body))
    with pytest.raises(ChannelError) as caught:
        client.call(INCREMENT_GET, {"fields": "tid"})
    error = caught.value
    assert type(error) is kind
    assert error.channel == "taobao"
    for attribute, value in attributes.items():
        assert getattr(error, attribute) == value
    assert body["error_response"]["request_id"] in str(error)


def test_ban_time_is_also_read_from_msg() -> None:
    error = error_from_response(
        INCREMENT_GET, {"code": 7, "msg": "This ban will last for 12 more seconds"}
    )
    assert isinstance(error, ChannelRateLimited) and error.retry_after == 13.0


def test_throttle_without_a_ban_time_waits_the_default() -> None:
    error = error_from_response(INCREMENT_GET, {"code": 7, "msg": "App Call Limited"})
    assert isinstance(error, ChannelRateLimited) and error.retry_after == 60.0


def test_business_error_under_code_15_is_not_transient() -> None:
    error = error_from_response(
        FULLINFO_GET, {"code": 15, "msg": "Remote service error", "sub_code": "isv.trade-not-exist"}
    )
    assert isinstance(error, ChannelResponseError) and not error.transient


@pytest.mark.parametrize("exception", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_network_failures_are_transient(clock: FakeClock, exception: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exception

    client, _ = recording_client(clock, fail)
    with pytest.raises(ChannelResponseError) as caught:
        client.call(FULLINFO_GET, {"tid": "1"})
    assert caught.value.transient


def test_gateway_html_error_page_is_transient(clock: FakeClock) -> None:
    client, _ = recording_client(clock, lambda r: httpx.Response(502, content=b"<html>bad</html>"))
    with pytest.raises(ChannelResponseError) as caught:
        client.call(FULLINFO_GET, {"tid": "1"})
    assert caught.value.transient and caught.value.code == "502"


def test_secret_session_and_sign_never_reach_errors_or_logs(
    clock: FakeClock, payload: Callable[[str], Any]
) -> None:
    client, _ = recording_client(clock, json_answer(payload("errors.json")["invalid_signature"]))
    with capture_logs() as logs, pytest.raises(ChannelSignatureError) as caught:
        client.call(FULLINFO_GET, {"tid": "1"})
    text = str(caught.value) + repr(logs)
    for secret in (CREDENTIALS["app_secret"], CREDENTIALS["session"]):
        assert secret not in text


def test_endpoint_resolution() -> None:
    assert resolve_url(None) == PRODUCTION_URL
    assert resolve_url("sandbox") == SANDBOX_URL
    assert resolve_url("http://127.0.0.1:8765") == "http://127.0.0.1:8765/router/rest"
    assert resolve_url("https://gw.api.taobao.com/router/rest") == (
        "https://gw.api.taobao.com/router/rest"
    )


def test_unknown_sign_method_is_refused_early(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="sign_method"):
        TopClient(httpx.Client(), credential=CREDENTIALS.__getitem__, clock=clock, sign_method="x")
