"""Pure ZTO mapping: a ``PickupRequest`` -> ``zto.open.createOrder`` body, and
a ZOP answer -> ``WaybillBooking`` or ``CourierError``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderkit.decisions import PickupRequest, WaybillBooking
from orderkit.errors import CourierError
from orderkit_couriers.common import (
    Party,
    cargo_items,
    customer_order_id,
    receiver_party,
    sender_party,
)
from orderkit_couriers.zto.protocol import (
    CODE,
    DEFAULT_ORDER_TYPE,
    DEFAULT_PARTNER_TYPE,
    MAX_ORDER_ID,
    OK_STATUS,
    SYSTEM_CODES,
    TRANSIENT_CODES,
)


def order_id(request: PickupRequest) -> str:
    """ZTO's ``partnerOrderCode`` for the request."""
    return customer_order_id(request.idempotency_key, MAX_ORDER_ID)


def party_info(party: Party, prefix: str) -> dict[str, str]:
    """``senderInfo`` / ``receiveInfo``: the same fields under a role prefix."""
    info = {f"{prefix}Name": party.name}
    info[f"{prefix}Mobile" if party.is_mobile else f"{prefix}Phone"] = party.phone
    info.update(
        {
            f"{prefix}Province": party.province,
            f"{prefix}City": party.city,
            f"{prefix}District": party.district,
            f"{prefix}Address": party.address,
        }
    )
    return {k: v for k, v in info.items() if v}


def create_order_body(
    request: PickupRequest, settings: Mapping[str, Any], account_password: str | None
) -> dict[str, Any]:
    """The ``zto.open.createOrder`` JSON body for one shipment."""
    sender = sender_party(request, settings, CODE)
    receiver = receiver_party(request.order, CODE)
    body: dict[str, Any] = {
        "partnerType": str(settings.get("partner_type", DEFAULT_PARTNER_TYPE)),
        "orderType": str(settings.get("order_type", DEFAULT_ORDER_TYPE)),
        "partnerOrderCode": order_id(request),
        "senderInfo": party_info(sender, "sender"),
        "receiveInfo": party_info(receiver, "receiver"),
        "orderItems": [{"name": name, "quantity": qty} for name, qty in cargo_items(request)],
    }
    if settings.get("account_id"):  # an e-waybill account (电子面单账号), when the shop has one
        account = {
            "accountId": str(settings["account_id"]),
            "type": settings.get("account_type", 1),
        }
        if account_password:
            account["accountPassword"] = account_password
        if settings.get("customer_id"):
            account["customerId"] = str(settings["customer_id"])
        body["accountInfo"] = account
    if request.order.seller_memo:
        body["remark"] = request.order.seller_memo[:100]
    return body


def parse_response(payload: Mapping[str, Any]) -> WaybillBooking:
    """The ``result.billCode`` of a ZOP answer, or the ``CourierError`` it means."""
    status = str(payload.get("statusCode", ""))
    if payload.get("status") is not True or status not in ("", OK_STATUS):
        text = payload.get("message") or SYSTEM_CODES.get(status, "refused")
        hint = " (check app_key and app_secret)" if status in ("S210", "S211") else ""
        raise CourierError(
            f"{status or 'status false'}: {text}{hint}",
            courier=CODE,
            transient=status in TRANSIENT_CODES,
        )
    result = payload.get("result")
    bill = result.get("billCode") if isinstance(result, Mapping) else None
    if not bill:
        raise CourierError("accepted the order but sent no billCode", courier=CODE)
    return WaybillBooking(courier=CODE, waybill=str(bill))
