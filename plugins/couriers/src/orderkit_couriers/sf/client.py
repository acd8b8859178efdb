"""SF HTTP: the form envelope, ``msgDigest``, one POST to ``/std/service``."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx

from orderkit_couriers.common import (
    endpoint_url,
    epoch_millis,
    json_object,
    json_text,
    optional_credential,
    send,
)
from orderkit_couriers.sf.mapping import msg_data, parse_response
from orderkit_couriers.sf.protocol import (
    CREATE_ORDER,
    FORM_CONTENT_TYPE,
    LOCAL_SANDBOX_URL,
    PRODUCTION_URL,
    SERVICE_PATH,
    msg_digest,
)

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.specs import CourierContext


def create_order_request(courier: CourierContext, request: PickupRequest) -> httpx.Request:
    """The signed ``EXP_RECE_CREATE_ORDER`` form POST (nothing is sent)."""
    partner_id = courier.credential("partner_id")
    check_word = courier.credential("check_word")
    monthly_card = optional_credential(courier, "account")
    data = json_text(msg_data(request, courier.settings, monthly_card))
    timestamp = str(epoch_millis(courier))
    form = {
        "partnerID": partner_id,
        "requestID": uuid.uuid4().hex,  # per call: SF refuses a repeated requestID (A1007)
        "serviceCode": CREATE_ORDER,
        "timestamp": timestamp,
        "msgDigest": msg_digest(data, timestamp, check_word),
        "msgData": data,
    }
    url = endpoint_url(
        courier.endpoint, production=PRODUCTION_URL, sandbox=LOCAL_SANDBOX_URL, path=SERVICE_PATH
    )
    return courier.http.build_request(
        "POST", url, data=form, headers={"Content-Type": FORM_CONTENT_TYPE}
    )


def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    """Create the SF order (idempotent per ``orderId``) and return its waybill."""
    response = send(courier, create_order_request(courier, request))
    return parse_response(json_object(response, courier.code))
