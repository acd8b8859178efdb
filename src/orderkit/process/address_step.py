"""The address stage of processing: clean the receiver once, keep the result
on the order. Channel plugins pass structured parts as hints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderkit.address.types import AddressHints, AddressRequest

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.models import Order


def receiver_text(order: Order) -> str:
    r = order.receiver
    if r.raw:
        return r.raw
    return "".join(part for part in (r.province, r.city, r.district, r.street, r.detail) if part)


def clean_receiver(kit: OrderKit, order: Order) -> Order:
    """``order`` with its receiver cleaned; unchanged if already cleaned or
    there is nothing to clean (encrypted-only receivers stay as they came)."""
    receiver = order.receiver
    text = receiver_text(order)
    if receiver.confidence is not None or not text:
        return order
    hints = None
    if receiver.province or receiver.city or receiver.district:
        hints = AddressHints(
            province=receiver.province,
            city=receiver.city,
            district=receiver.district,
            street=receiver.street,
            platform_ids=dict(receiver.platform_region_ids),
        )
    result = kit.clean_address(
        AddressRequest(text=text, channel=order.channel, shop_id=order.shop_id, hints=hints)
    )
    if result is None:
        return order
    cleaned = receiver.model_copy(
        update={
            "province": result.province,
            "city": result.city,
            "district": result.district,
            "street": result.street,
            "detail": result.detail,
            "remark": result.remark,
            "province_code": result.province_code,
            "city_code": result.city_code,
            "district_code": result.district_code,
            "street_code": result.street_code if getattr(result, "street_code", None) else None,
            "flags": sorted(set(receiver.flags) | set(result.flags)),
            "confidence": round(float(result.confidence), 4),
        }
    )
    return order.model_copy(update={"receiver": cleaned})
