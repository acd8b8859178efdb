"""JD HTTP: one signed POST to ``/ecap/v1/orders/create``, auth in the query."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from orderkit_couriers.common import endpoint_base, json_object, json_text, send
from orderkit_couriers.jd.mapping import create_order, parse_response
from orderkit_couriers.jd.protocol import (
    ALGORITHM,
    API_VERSION,
    CREATE_ORDER_PATH,
    JSON_CONTENT_TYPE,
    LOCAL_SANDBOX_URL,
    LOP_DN,
    PRODUCTION_URL,
    TIMEZONE_HOURS,
    USER_AGENT,
    lop_timestamp,
    sign,
)

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext


def create_order_request(courier: CourierContext, request: PickupRequest) -> httpx.Request:
    """The signed ``/ecap/v1/orders/create`` POST (nothing is sent)."""
    app_key = courier.credential("app_key")
    app_secret = courier.credential("app_secret")
    access_token = courier.credential("access_token")
    customer_code = courier.credential("customer_code")
    # The official sample sends a JSON array wrapping the one order.
    body = json_text([create_order(request, courier.settings, customer_code)])
    timestamp = lop_timestamp(courier.clock.now())
    query = {
        "LOP-DN": LOP_DN,
        "app_key": app_key,
        "access_token": access_token,
        "timestamp": timestamp,
        "v": API_VERSION,
        "sign": sign(
            app_secret=app_secret,
            access_token=access_token,
            app_key=app_key,
            method=CREATE_ORDER_PATH,
            param_json=body,
            timestamp=timestamp,
        ),
        "algorithm": ALGORITHM,
    }
    base = endpoint_base(courier.endpoint, production=PRODUCTION_URL, sandbox=LOCAL_SANDBOX_URL)
    headers = {
        "Content-Type": JSON_CONTENT_TYPE,
        "lop-tz": str(TIMEZONE_HOURS),
        "User-Agent": USER_AGENT,
    }
    return courier.http.build_request(
        "POST",
        base + CREATE_ORDER_PATH,
        params=query,
        content=body.encode("utf-8"),
        headers=headers,
    )


def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    """Create the JD order (idempotent per ``orderId``) and return its waybill."""
    response = send(courier, create_order_request(courier, request))
    return parse_response(json_object(response, courier.code))
