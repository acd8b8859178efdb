"""Pure YTO mapping: a ``PickupRequest`` -> ``privacy_create_adapter`` param,
and a YTO answer -> ``WaybillBooking`` or ``CourierError``."""

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
from orderkit_couriers.yto.protocol import (
    CODE,
    ERROR_CODES,
    MAX_GOODS,
    MAX_ORDER_ID,
    TRANSIENT_CODES,
)


def order_id(request: PickupRequest) -> str:
    """YTO's ``logisticsNo`` for the request (also the cancel key)."""
    return customer_order_id(request.idempotency_key, MAX_ORDER_ID)


def party_fields(party: Party, prefix: str) -> dict[str, str]:
    """``sender*`` / ``recipient*``: the same six fields under a role prefix."""
    return {
        f"{prefix}Name": party.name,
        f"{prefix}ProvinceName": party.province,
        f"{prefix}CityName": party.city,
        f"{prefix}CountyName": party.district,
        f"{prefix}Address": party.address,
        f"{prefix}Mobile": party.phone,
    }


def goods(request: PickupRequest) -> list[dict[str, Any]]:
    """``goods[]``, at most 20: the rest folded into the last entry."""
    items = cargo_items(request)
    if len(items) > MAX_GOODS:
        rest = items[MAX_GOODS - 1 :]
        folded = (f"{rest[0][0]}等{len(rest)}种", sum(qty for _, qty in rest))
        items = [*items[: MAX_GOODS - 1], folded]
    return [{"name": name, "quantity": qty} for name, qty in items]


def create_order_param(request: PickupRequest, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``privacy_create_adapter`` param object for one shipment."""
    sender = sender_party(request, settings, CODE)
    receiver = receiver_party(request.order, CODE)
    param: dict[str, Any] = {
        "logisticsNo": order_id(request),
        **party_fields(sender, "sender"),
        **party_fields(receiver, "recipient"),
        "goods": goods(request),
        "productCode": str(settings.get("product_code", "PK")),  # PK 普快 / YZD 圆准达
        "cstOrderNo": request.order.external_id,
    }
    return param


def parse_response(payload: Mapping[str, Any]) -> WaybillBooking:
    """The top-level ``mailNo`` of a YTO answer, or the ``CourierError`` it means."""
    mail_no = payload.get("mailNo")
    if mail_no and payload.get("success", True) is not False:
        return WaybillBooking(courier=CODE, waybill=str(mail_no))
    code = str(payload.get("code") or "")
    # "reason" is what a client in the wild reads; apiErrorMsg its fallback.
    text = payload.get("reason") or payload.get("apiErrorMsg") or ERROR_CODES.get(code, "refused")
    hint = (
        " (check customer_code, app_key and app_secret)"
        if code in ("AUTH_ERROR", "SIGN_ERROR")
        else ""
    )
    raise CourierError(
        f"{code or 'no mailNo'}: {text}{hint}", courier=CODE, transient=code in TRANSIENT_CODES
    )
