"""ZTO HTTP: one signed JSON POST to ``/zto.open.createOrder``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from orderkit_couriers.common import (
    endpoint_url,
    json_object,
    json_text,
    optional_credential,
    send,
)
from orderkit_couriers.zto.mapping import create_order_body, parse_response
from orderkit_couriers.zto.protocol import (
    COMPANY_HEADER,
    CREATE_ORDER_PATH,
    DIGEST_HEADER,
    JSON_CONTENT_TYPE,
    LOCAL_SANDBOX_URL,
    PRODUCTION_URL,
    data_digest,
)

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext


def create_order_request(courier: CourierContext, request: PickupRequest) -> httpx.Request:
    """The signed ``zto.open.createOrder`` POST (nothing is sent)."""
    app_key = courier.credential("app_key")
    app_secret = courier.credential("app_secret")
    password = optional_credential(courier, "account")
    body = json_text(create_order_body(request, courier.settings, password))
    url = endpoint_url(
        courier.endpoint,
        production=PRODUCTION_URL,
        sandbox=LOCAL_SANDBOX_URL,
        path=CREATE_ORDER_PATH,
    )
    headers = {
        "Content-Type": JSON_CONTENT_TYPE,
        COMPANY_HEADER: app_key,
        DIGEST_HEADER: data_digest(body, app_secret),
    }
    # The digest covers these exact bytes: send them, not a re-encoding.
    return courier.http.build_request("POST", url, content=body.encode("utf-8"), headers=headers)


def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    """Create the ZTO order and return its ``billCode``."""
    response = send(courier, create_order_request(courier, request))
    return parse_response(json_object(response, courier.code))
