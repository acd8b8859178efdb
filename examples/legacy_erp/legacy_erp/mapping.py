"""Pure mapping: a canonical orderkit order -> the ERP's row values.

No database here, so every conversion is testable on its own: fen -> yuan
(exact ``Decimal``), UTC -> the naive Beijing time the ERP stores, canonical
status axes -> the ERP's status codes, channel codes -> its platform codes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from orderkit.models import Lifecycle, Order, RefundState

#: China has had no daylight saving since 1991: a fixed +08:00 is exact.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

#: Largest amount a ``NUMERIC(12,2)`` column holds, in fen.
MAX_FEN = 10**12 - 1

#: Canonical lifecycle -> 订单状态. The ERP has no "in transit": still 已发货.
ORDER_STATUS: dict[Lifecycle, str] = {
    Lifecycle.PENDING_PAYMENT: "00",
    Lifecycle.PAID: "10",
    Lifecycle.ON_HOLD: "11",
    Lifecycle.APPROVED: "20",
    Lifecycle.ALLOCATED: "30",
    Lifecycle.PACKED: "40",
    Lifecycle.PARTIALLY_SHIPPED: "45",
    Lifecycle.SHIPPED: "50",
    Lifecycle.IN_TRANSIT: "50",
    Lifecycle.DELIVERED: "60",
    Lifecycle.COMPLETED: "70",
    Lifecycle.CANCELLED: "90",
    Lifecycle.CLOSED: "91",
}

#: Canonical refund axis -> 退款状态.
REFUND_STATUS: dict[RefundState, str] = {
    RefundState.NONE: "0",
    RefundState.REQUESTED: "1",
    RefundState.IN_PROGRESS: "1",
    RefundState.PARTIALLY_REFUNDED: "2",
    RefundState.REFUNDED: "3",
    RefundState.REJECTED: "4",
}

#: orderkit channel code -> 平台代码; a channel not listed keeps its code, upper-cased.
PLATFORM_CODES = {
    "taobao": "TB",
    "tmall": "TM",
    "douyin": "DY",
    "pinduoduo": "PDD",
    "own": "ZY",  # 自营: the merchant's own site or mini-program
}


def yuan(fen: int) -> Decimal:
    """Integer fen -> yuan with exactly two decimals (``32901`` -> ``329.01``)."""
    if not 0 <= fen <= MAX_FEN:
        raise ValueError(f"{fen} fen does not fit the ERP's NUMERIC(12,2)")
    return Decimal(fen).scaleb(-2)


def beijing(value: datetime | None) -> datetime | None:
    """Aware time -> the naive Beijing wall-clock time the ERP stores."""
    return None if value is None else value.astimezone(BEIJING).replace(tzinfo=None)


def platform_code(channel: str) -> str:
    return PLATFORM_CODES.get(channel, channel.upper()[:10])


def order_key(order: Order) -> dict[str, str]:
    """The ERP's natural key of a platform order: (平台代码, 店铺代码, 外部单号)."""
    return {"PTDM": platform_code(order.channel), "DPDM": order.shop_id, "WBDH": order.external_id}


def status_codes(order: Order) -> dict[str, str]:
    """订单状态, 退款状态 and 挂起标志 for the order as orderkit stored it."""
    if order.status is None:
        raise ValueError(f"order {order.external_id}: no status axes (not a stored order)")
    held = any(h.severity == "block" for h in order.hold_reasons)
    return {
        "DDZT": ORDER_STATUS[order.status.lifecycle],
        "TKZT": REFUND_STATUS[order.status.refund],
        "GQBZ": "Y" if held else "N",
    }


def header_values(order: Order) -> dict[str, Any]:
    """The 销售订单主表 columns orderkit owns. ``DDBH``, ``BZ``, ``ZDR`` and
    ``ZDSJ`` are the ERP's: set once on insert or never touched."""
    receiver, amounts = order.receiver, order.amounts
    address = receiver.raw or " ".join(
        part
        for part in (receiver.province, receiver.city, receiver.district, receiver.detail)
        if part
    )
    return {
        **order_key(order),
        **status_codes(order),
        "XDSJ": beijing(order.created_at),
        "FKSJ": beijing(order.paid_at),
        "SPJE": yuan(amounts.goods_total),
        "YHJE": yuan(amounts.discount),
        "YF": yuan(amounts.post_fee),
        "SFJE": yuan(amounts.paid),
        "SHR": _fit(receiver.name_masked, 50),
        "SJHM": _fit(receiver.phone_masked, 30),
        "SHDZ": _fit(address or None, 255),
        "MJLY": _fit(order.buyer.message, 255),
        "XGSJ": beijing(order.modified_at),
    }


def line_values(order: Order) -> list[dict[str, Any]]:
    """One 销售订单明细 row per line, numbered 1..n in the order's line order."""
    rows = []
    for number, line in enumerate(order.lines, start=1):
        amount = (
            line.paid if line.paid is not None else line.unit_price * line.quantity - line.discount
        )
        rows.append(
            {
                "HH": number,
                "WBHH": line.line_id,
                "SPBM": line.sku,
                "SPMC": _fit(line.title or None, 200),
                "SL": line.quantity,
                "DJ": yuan(line.unit_price),
                "YHJE": yuan(line.discount),
                "JE": yuan(max(amount, 0)),
                "ZPBZ": "Y" if line.is_gift else "N",
            }
        )
    return rows


def erp_order_number(ddid: int, order: Order) -> str:
    """订单编号 as the ERP numbers its documents: XS + yymmdd + DDID."""
    created = beijing(order.created_at)
    assert created is not None
    return f"XS{created:%y%m%d}{ddid:06d}"


def _fit(text: str | None, length: int) -> str | None:
    # the ERP's VARCHARs are short; MySQL in strict mode refuses longer text
    return None if text is None else text[:length]
