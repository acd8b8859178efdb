"""YTO HTTP: one signed JSON POST to the ``privacy_create_adapter`` path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from orderkit_couriers.common import endpoint_base, epoch_millis, json_object, json_text, send
from orderkit_couriers.yto.mapping import create_order_param, parse_response
from orderkit_couriers.yto.protocol import (
    CREATE_ORDER,
    FORMAT_JSON,
    JSON_CONTENT_TYPE,
    LOCAL_SANDBOX_URL,
    PRODUCTION_URL,
    VERSION,
    api_path,
    sign,
)

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext


def create_order_request(courier: CourierContext, request: PickupRequest) -> httpx.Request:
    """The signed ``privacy_create_adapter`` POST (nothing is sent).

    Credentials: ``customer_code`` and ``app_secret`` (YTO issues a pair per
    API), ``app_key`` = the per-API token in the URL path.
    """
    customer_code = courier.credential("customer_code")
    token = courier.credential("app_key")
    secret = courier.credential("app_secret")
    param = json_text(create_order_param(request, courier.settings))
    body = {
        "timestamp": epoch_millis(courier),
        "param": param,
        "sign": sign(param, CREATE_ORDER, VERSION, secret),
        "format": FORMAT_JSON,
    }
    path = api_path(CREATE_ORDER, token, customer_code)
    base = endpoint_base(courier.endpoint, production=PRODUCTION_URL, sandbox=LOCAL_SANDBOX_URL)
    return courier.http.build_request(
        "POST",
        base + path,
        content=json_text(body).encode("utf-8"),
        headers={"Content-Type": JSON_CONTENT_TYPE},
    )


def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    """Create the YTO order and return its ``mailNo``."""
    response = send(courier, create_order_request(courier, request))
    return parse_response(json_object(response, courier.code))
