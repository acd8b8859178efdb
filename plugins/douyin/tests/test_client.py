"""The client: canonical ``param_json``, signing, the request on the wire, and
error envelopes mapped to orderkit's typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from orderkit.clock import FakeClock
from orderkit.errors import (
    ChannelAuthError,
    ChannelRateLimited,
    ChannelResponseError,
    ChannelSignatureError,
)

from orderkit_douyin.client import DoudianClient, access_token, resolve_url
from orderkit_douyin.envelope import unwrap
from orderkit_douyin.protocol import method_path
from orderkit_douyin.signing import canonical_json, sign, sign_string

NOW = datetime(2025, 11, 10, 16, 1, tzinfo=UTC)  # 1762790460
CREDENTIALS = {
    "app_key": "7120000000000000001",
    "app_secret": "secret",
    "access_token": "tok-1",
}


def credential(name: str) -> str:
    if name not in CREDENTIALS:
        raise ChannelAuthError(f"no {name} configured", channel="douyin")
    return CREDENTIALS[name]


# -- param_json --------------------------------------------------------------------------


def test_param_json_sorts_keys_at_every_level_compactly() -> None:
    params = {"b": {"z": 1, "a": [{"y": 2, "x": 1}]}, "a": True, "c": None}
    assert canonical_json(params) == '{"a":true,"b":{"a":[{"x":1,"y":2}],"z":1},"c":null}'


def test_param_json_leaves_utf8_slashes_and_html_alone() -> None:
    params = {"remark": "放小区东门保安室 <门卫> & 快递柜", "url": "a/b"}
    assert canonical_json(params) == '{"remark":"放小区东门保安室 <门卫> & 快递柜","url":"a/b"}'


def test_param_json_escapes_line_separators_like_the_official_sdks() -> None:
    assert canonical_json({"a": "x\u2028y\u2029"}) == '{"a":"x\\u2028y\\u2029"}'


def test_param_json_of_nothing_is_an_empty_object_and_big_ids_stay_exact() -> None:
    assert canonical_json({}) == canonical_json(None) == "{}"
    assert canonical_json({"id": 6920011000000000770}) == '{"id":6920011000000000770}'


def test_param_json_refuses_floats() -> None:
    with pytest.raises(TypeError, match="floats"):
        canonical_json({"amount": {"fen": 12.5}})


def test_the_sign_string_follows_the_documented_order() -> None:
    text = sign_string("k", "s", "order.searchList", "{}", "1700000000")
    assert text == "sapp_keykmethodorder.searchListparam_json{}timestamp1700000000v2s"
    with pytest.raises(ValueError, match="sign_method"):
        sign("k", "s", "m", "{}", "1", "sha1")


def test_method_names_become_paths() -> None:
    assert method_path("order.searchList") == "/order/searchList"
    assert method_path("token.refresh") == "/token/refresh"
    with pytest.raises(ValueError):
        method_path("order/searchList")


# -- the request on the wire -----------------------------------------------------------------


def client_with(
    handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any
) -> tuple[DoudianClient, FakeClock]:
    clock = FakeClock(NOW)
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return DoudianClient(
        http, credential=credential, clock=clock, url="https://gw.test", **kwargs
    ), clock


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"code": 10000, "msg": "success", "data": data})


def test_the_request_carries_public_params_in_the_query_and_the_signed_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"total": 0})

    client, _ = client_with(handler)
    assert client.call("order.searchList", {"size": 100, "page": 0}) == {"total": 0}
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/order/searchList"
    query = dict(parse_qsl(request.url.query.decode()))
    assert query.keys() == {
        "app_key",
        "method",
        "v",
        "timestamp",
        "sign_method",
        "sign",
        "access_token",
    }
    assert query["method"] == "order.searchList" and query["v"] == "2"
    assert query["timestamp"] == "1762790460"  # unix seconds, as the official SDKs send
    assert query["sign_method"] == "hmac-sha256" and query["access_token"] == "tok-1"
    body = request.content.decode("utf-8")
    assert body == '{"page":0,"size":100}'
    assert query["sign"] == sign(
        "7120000000000000001", "secret", "order.searchList", body, "1762790460"
    )
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["x-open-no-old-err-code"] == "1"


def test_every_attempt_gets_a_fresh_timestamp_and_signature() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(parse_qsl(request.url.query.decode())))
        return ok({})

    client, clock = client_with(handler, sign_method="md5")
    client.call("order.orderDetail", {"shop_order_id": "1"})
    clock.advance(5)
    client.call("order.orderDetail", {"shop_order_id": "1"})
    assert seen[0]["timestamp"] != seen[1]["timestamp"]
    assert seen[0]["sign"] != seen[1]["sign"]
    assert seen[0]["sign_method"] == "md5" and len(seen[0]["sign"]) == 32


def test_token_calls_go_without_an_access_token() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(parse_qsl(request.url.query.decode())))
        return ok({"access_token": "x"})

    client, _ = client_with(handler)
    client.call("token.refresh", {"grant_type": "refresh_token", "refresh_token": "r"})
    assert "access_token" not in seen[0]


def test_the_token_falls_back_to_the_generic_session_credential() -> None:
    def only_session(name: str) -> str:
        if name == "session":
            return "sess"
        raise ChannelAuthError(f"no {name}", channel="douyin")

    assert access_token(only_session) == "sess"
    assert access_token(credential) == "tok-1"


def test_endpoints_resolve() -> None:
    assert resolve_url(None) == "https://openapi-fxg.jinritemai.com"
    assert resolve_url("sandbox") == "http://douyin.sandbox.invalid"
    assert resolve_url("http://127.0.0.1:8766/") == "http://127.0.0.1:8766"


# -- error envelopes ---------------------------------------------------------------------------


def envelope(code: int, sub_code: str = "", msg: str = "x") -> dict[str, Any]:
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": "…", "log_id": "L1"}


@pytest.mark.parametrize(
    ("body", "error", "transient"),
    [
        (envelope(40003, "isv.access-token-expired"), ChannelAuthError, None),
        (envelope(40003, "isv.access-token-no-existed"), ChannelAuthError, None),
        (envelope(40001, "isv.access-token-missing"), ChannelAuthError, None),
        (envelope(50001, "dop.token-generate-failed:token-expired"), ChannelAuthError, None),
        (envelope(30001, "dop.authorization-no-existed"), ChannelAuthError, None),
        (envelope(40003, "isv.signature-invalid"), ChannelSignatureError, False),
        (envelope(40001, "isv.signature-missing"), ChannelSignatureError, False),
        (envelope(60000, "", "触发限流"), ChannelRateLimited, None),
        (envelope(20000, "isp.service-error"), ChannelResponseError, True),
        (envelope(20001), ChannelResponseError, True),
        (envelope(50000), ChannelResponseError, True),
        (envelope(90000, "isp.unknown-error"), ChannelResponseError, True),
        (envelope(40003, "isv.timestamp-invalid"), ChannelResponseError, False),
        (envelope(40004, "isv.business-parameter-invalid"), ChannelResponseError, False),
        (envelope(30001, "isv.app-permissions-insufficient"), ChannelResponseError, False),
        (envelope(30002), ChannelResponseError, False),
        (envelope(70000, "isp.api-service-off"), ChannelResponseError, False),
        (envelope(50002, "isv.business-failed:31009"), ChannelResponseError, False),
    ],
)
def test_error_envelopes_become_typed_errors(
    body: dict[str, Any], error: type[Exception], transient: bool | None
) -> None:
    with pytest.raises(error) as info:
        unwrap("order.searchList", body, shop_id="dy")
    assert type(info.value) is error
    assert "L1" in str(info.value)  # the log id, for the platform's support
    if transient is not None:
        assert isinstance(info.value, ChannelResponseError)
        assert info.value.transient is transient


def test_throttling_waits_the_retry_after_hint_or_the_configured_default() -> None:
    with pytest.raises(ChannelRateLimited) as hinted:
        unwrap("m", envelope(60000), retry_after=7.0)
    assert hinted.value.retry_after == 7.0
    with pytest.raises(ChannelRateLimited) as default:
        unwrap("m", envelope(60000))
    assert default.value.retry_after == 1.0

    def throttled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=envelope(60000))

    client, _ = client_with(throttled, throttle_wait=3.0)
    with pytest.raises(ChannelRateLimited) as configured:
        client.call("order.searchList", {})
    assert configured.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("response", "transient"),
    [
        (httpx.Response(502, text="<html>bad gateway</html>"), True),
        (httpx.Response(404, text="not found"), False),
        (httpx.Response(200, json=[1, 2]), False),
    ],
)
def test_answers_without_an_envelope(response: httpx.Response, transient: bool) -> None:
    client, _ = client_with(lambda request: response)
    with pytest.raises(ChannelResponseError) as info:
        client.call("order.searchList", {})
    assert info.value.transient is transient


def test_network_failures_are_transient() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    client, _ = client_with(broken)
    with pytest.raises(ChannelResponseError) as info:
        client.call("order.searchList", {})
    assert info.value.transient


def test_http_429_is_throttling() -> None:
    client, _ = client_with(lambda request: httpx.Response(429, headers={"Retry-After": "4"}))
    with pytest.raises(ChannelRateLimited) as info:
        client.call("order.searchList", {})
    assert info.value.retry_after == 4.0


def test_success_data_comes_back_as_is() -> None:
    body = json.loads('{"code": 10000, "data": {"id": 6920011000000000770}}')
    assert unwrap("m", body) == {"id": 6920011000000000770}
    assert unwrap("m", {"code": 10000}) == {}
