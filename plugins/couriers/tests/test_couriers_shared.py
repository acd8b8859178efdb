"""The shared helpers and the sandbox base: order ids, parties, HTTP failures,
injected failures, the WSGI app, and factories that ignore unknown options."""

from __future__ import annotations

import importlib
import io
import json
from typing import Any

import httpx
import pytest
from couriers_testkit import context, pickup

from orderkit.clock import FakeClock
from orderkit.errors import CourierError
from orderkit.testing.courier_contract import NOW
from orderkit_couriers import jd, sf, yto, zto
from orderkit_couriers.common import (
    Party,
    customer_order_id,
    endpoint_url,
    receiver_party,
    send,
)
from orderkit_couriers.sandboxing import CourierSandbox

PLUGINS = {"sf": sf, "zto": zto, "yto": yto, "jd": jd}


def test_customer_order_id_keeps_plain_keys_and_digests_the_rest() -> None:
    assert customer_order_id("PKG-0001_a", 32) == "PKG-0001_a"
    slashed = customer_order_id("shop/T1/p1", 32)
    assert slashed.startswith("shop-T1-p1-") and slashed == customer_order_id("shop/T1/p1", 32)
    # "/" and "-" differ: the digest keeps the two keys apart
    assert customer_order_id("shop-T1-p1", 32) == "shop-T1-p1"
    assert customer_order_id("shop/T1-p1", 32) != customer_order_id("shop-T1/p1", 32)
    long = customer_order_id("x" * 80, 32)
    assert len(long) == 32 and long == customer_order_id("x" * 80, 32)
    with pytest.raises(ValueError):
        customer_order_id("", 32)


def test_party_full_address_does_not_repeat_divisions() -> None:
    party = Party("a", "1", "浙江省", "杭州市", "西湖区", "文三路1号")
    assert party.full_address == "浙江省杭州市西湖区文三路1号"
    assert Party("a", "1", "浙江省", "杭州市", "", "浙江省杭州市文三路").full_address == (
        "浙江省杭州市文三路"
    )
    assert Party("a", "138****5678", "", "", "", "x").is_mobile
    assert not Party("a", "0571-8888****", "", "", "", "x").is_mobile


def test_a_receiver_without_a_phone_is_refused() -> None:
    order = pickup("sf").order
    order = order.model_copy(
        update={"receiver": order.receiver.model_copy(update={"phone_masked": None})}
    )
    with pytest.raises(CourierError, match="receiver has no phone"):
        receiver_party(order, "sf")


def test_endpoint_url() -> None:
    kw: dict[str, str] = {"production": "https://p.example", "sandbox": "http://s.invalid"}
    assert endpoint_url(None, path="/x", **kw) == "https://p.example/x"
    assert endpoint_url("sandbox", path="/x", **kw) == "http://s.invalid/x"
    assert endpoint_url("http://127.0.0.1:9/", path="/x", **kw) == "http://127.0.0.1:9/x"
    assert endpoint_url("https://h.example/x", path="/x", **kw) == "https://h.example/x"


@pytest.mark.parametrize(
    ("failure", "transient"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.Response(503), True),
        (httpx.Response(429), True),
        (httpx.Response(403, text="forbidden"), False),
    ],
)
def test_send_maps_transport_failures(failure: Any, transient: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(failure, Exception):
            raise failure
        return failure  # type: ignore[no-any-return]

    ctx = context("sf", {}, handler=handler)
    with pytest.raises(CourierError) as caught:
        send(ctx, ctx.http.build_request("POST", "http://x.invalid/"))
    assert caught.value.transient is transient and caught.value.courier == "sf"


def test_a_page_that_is_not_json_is_transient() -> None:
    ctx = context(
        "zto",
        {"app_key": "k", "app_secret": "s"},
        handler=lambda request: httpx.Response(200, text="<html>busy</html>"),
    )
    with pytest.raises(CourierError, match="not a JSON object") as caught:
        zto.book_pickup(ctx, pickup("zto"))
    assert caught.value.transient is True


@pytest.mark.parametrize("code", sorted(PLUGINS))
def test_factory_takes_the_cli_options_and_ignores_unknown_ones(code: str) -> None:
    box = PLUGINS[code].courier_spec().sandbox_factory(orders=1000, seed=1, colour="red")
    assert isinstance(box, CourierSandbox)
    assert box.ignored_options == ["colour", "orders"]
    assert box.base_url.startswith("http://") and box.base_url.endswith(".invalid")


def test_fail_next_refuses_an_unknown_kind() -> None:
    box = sf.sandbox_factory()
    with pytest.raises(ValueError, match="unknown failure kind"):
        box.fail_next(1, "meteor")


def _wsgi(box: CourierSandbox, request: httpx.Request) -> tuple[str, bytes]:
    body = request.read()
    environ = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": request.url.path,
        "QUERY_STRING": request.url.query.decode("ascii"),
        "CONTENT_TYPE": request.headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{
            "HTTP_" + k.upper().replace("-", "_"): v
            for k, v in request.headers.items()
            if k.lower() not in ("content-type", "content-length")
        },
    }
    status: list[str] = []
    chunks = box.wsgi_app(environ, lambda s, headers: status.append(s))
    return status[0], b"".join(chunks)


@pytest.mark.parametrize(
    ("code", "credentials"),
    [
        ("sf", {"partner_id": "sandbox-partner", "check_word": "sandbox-check-word"}),
        ("zto", {"app_key": "sandbox-company", "app_secret": "sandbox-secret"}),
        (
            "yto",
            {"customer_code": "K21000119", "app_key": "Ef4kfE", "app_secret": "sandbox-secret"},
        ),
        (
            "jd",
            {
                "app_key": "sandbox-app",
                "app_secret": "sandbox-secret",
                "access_token": "sandbox-token",
                "customer_code": "010K000001",
            },
        ),
    ],
)
def test_wsgi_app_serves_the_same_handler(code: str, credentials: dict[str, str]) -> None:
    box: CourierSandbox = PLUGINS[code].sandbox_factory(clock=FakeClock(NOW))
    assert box.credentials() == credentials  # type: ignore[attr-defined]
    ctx = context(code, credentials, endpoint="http://127.0.0.1:8500")
    client = importlib.import_module(f"orderkit_couriers.{code}.client")
    request = client.create_order_request(ctx, pickup(code))
    status, body = _wsgi(box, request)
    assert status.startswith("200"), body
    assert box.bookings and box.bookings[0].waybill in body.decode("utf-8")
    box.fail_next(1, "timeout")
    status, _ = _wsgi(box, request)
    assert status.startswith("504")
    assert json.loads(body)  # JSON in every case above
