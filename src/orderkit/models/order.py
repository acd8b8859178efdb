"""Pydantic v2 models of the canonical order.

``schemas/order.schema.json`` is the contract; these models are the fast path
in Python and must agree with it (``tests/test_schema_drift.py`` fails when
they drift). Money is integer fen; times are timezone-aware and normalised to
UTC; platform ids are strings because Taobao and Douyin ids overflow 2^53.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from orderkit.models.status import Lifecycle, PresaleState, RefundState

SCHEMA_ID = "https://orderkit.dev/schemas/order/1.0.0/order.schema.json"
SCHEMA_VERSION = "1.0.0"

# Strict: a yuan string such as "20.00" or "20" must never become 20 fen silently.
Fen = Annotated[StrictInt, Field(ge=0, description="Amount in fen (1/100 yuan)")]
NonEmpty = Annotated[str, Field(min_length=1)]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class _Model(BaseModel):
    # Unknown keys are refused so a typo in a plugin's mapping fails loudly.
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


def _aware_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must be timezone-aware (platforms speak Asia/Shanghai)")
    return value.astimezone(UTC)


class OrderType(StrEnum):
    NORMAL = "normal"
    PRESALE = "presale"


class SellerFlag(StrEnum):
    """Seller flag colours (Taobao seller_flag 0-5 and their equivalents)."""

    NONE = "none"
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"


class ShipmentStatus(StrEnum):
    PLANNED = "planned"  # warehouse chosen, nothing booked
    BOOKED = "booked"  # courier waybill obtained
    UPLOAD_FAILED = "upload_failed"  # channel refused the tracking number
    SHIPPED = "shipped"  # tracking number accepted by the channel
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Amounts(_Model):
    """Order-level money, all in fen of ``Order.currency``."""

    goods_total: Fen = Field(description="Sum of unit price x quantity before discounts")
    discount: Fen = 0
    post_fee: Fen = 0
    paid: Fen = Field(description="What the buyer actually paid (实付)")


class StatusAxes(_Model):
    lifecycle: Lifecycle
    refund: RefundState = RefundState.NONE
    presale: PresaleState = PresaleState.NONE


class Line(_Model):
    line_id: NonEmpty = Field(description="Platform sub-order id (oid) or an orderkit id for gifts")
    sku: str | None = Field(
        default=None, description="Merchant SKU code (outer_sku_id / out_sku_id)"
    )
    item_id: str | None = Field(default=None, description="Platform item id")
    sku_id: str | None = Field(default=None, description="Platform SKU id")
    title: str = ""
    quantity: StrictInt = Field(ge=1)
    unit_price: Fen
    discount: Fen = 0
    paid: Fen | None = Field(default=None, description="Paid amount allocated to this line")
    is_gift: StrictBool = False
    parent_line_id: str | None = Field(default=None, description="Line a gift is bound to")
    platform_status: str | None = None
    lifecycle: Lifecycle | None = None
    refund: RefundState = RefundState.NONE


class ShipmentLine(_Model):
    line_id: NonEmpty
    quantity: StrictInt = Field(ge=1)


class Shipment(_Model):
    shipment_id: NonEmpty
    warehouse: str | None = None
    lines: list[ShipmentLine] = Field(default_factory=list)
    courier: str | None = None
    waybill: str | None = None
    status: ShipmentStatus = ShipmentStatus.PLANNED
    reason: str | None = Field(default=None, description="Why this warehouse/courier was chosen")


class Receiver(_Model):
    raw: str | None = Field(default=None, description="Address text as the platform sent it")
    province: str | None = None
    city: str | None = Field(
        default=None,
        description="Municipality name for 北京/上海/天津/重庆; null for county-level units "
        "directly under a province",
    )
    district: str | None = None
    street: str | None = None
    detail: str | None = None
    remark: str | None = Field(default=None, description="Delivery instructions split off")
    province_code: RegionCode | None = None
    city_code: RegionCode | None = None
    district_code: RegionCode | None = None
    street_code: str | None = Field(default=None, pattern=r"^[0-9]{9,12}$")
    platform_region_ids: dict[str, str] = Field(
        default_factory=dict, description="Platform-specific region ids, e.g. Douyin post_addr ids"
    )
    zip: str | None = None
    name_masked: str | None = None
    phone_masked: str | None = None
    name_encrypted: str | None = None
    phone_encrypted: str | None = None
    address_encrypted: str | None = None
    address_token: str | None = Field(
        default=None, description="Platform address token: Taobao OAID, Douyin open_address_id"
    )
    confidence: float | None = Field(default=None, ge=0, le=1)
    flags: list[str] = Field(default_factory=list)


class Buyer(_Model):
    buyer_id: str | None = Field(default=None, description="Platform buyer id or open id")
    nick: str | None = None
    message: str | None = Field(default=None, description="Buyer's message (买家留言)")


class HoldSeverity(StrEnum):
    BLOCK = "block"  # the order stops until released
    WARN = "warn"  # flagged, processing goes on


class HoldReason(_Model):
    code: NonEmpty
    detail: str = ""
    severity: HoldSeverity = HoldSeverity.BLOCK
    rule_id: str | None = None
    released_by: str | None = Field(
        default=None, description="Who released this hold; a released hold no longer blocks"
    )


class DecisionTrace(_Model):
    stage: NonEmpty = Field(description="address, holds, gifts, allocation, courier, status...")
    rule_set_version: str | None = None
    outcome: dict[str, Any] = Field(default_factory=dict)
    steps: list[dict[str, Any]] = Field(default_factory=list)
    not_triggered: int = Field(default=0, ge=0)


class Order(_Model):
    """One canonical order, whatever channel it came from."""

    schema_version: str = SCHEMA_VERSION
    id: str | None = Field(default=None, description="orderkit's internal id, set by the store")
    channel: NonEmpty
    shop_id: NonEmpty
    external_id: NonEmpty = Field(description="Platform order id as a string (tid_str, order_id)")
    order_type: OrderType = OrderType.NORMAL
    created_at: datetime
    paid_at: datetime | None = None
    modified_at: datetime = Field(description="Platform-modified time; newer wins on ingest")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    amounts: Amounts
    lines: list[Line] = Field(min_length=1)
    shipments: list[Shipment] = Field(default_factory=list)
    receiver: Receiver = Field(default_factory=Receiver)
    buyer: Buyer = Field(default_factory=Buyer)
    seller_memo: str | None = None
    seller_flag: SellerFlag = SellerFlag.NONE
    tags: list[str] = Field(default_factory=list)
    platform_status: dict[str, str] = Field(
        default_factory=dict,
        description="Raw platform status fields, e.g. {'status': 'WAIT_SELLER_SEND_GOODS'}",
    )
    status: StatusAxes | None = Field(default=None, description="Set by map_status")
    hold_reasons: list[HoldReason] = Field(default_factory=list)
    traces: list[DecisionTrace] = Field(default_factory=list)
    raw_ref: str | None = Field(default=None, description="Reference to the raw platform payload")

    _aware = field_validator("created_at", "paid_at", "modified_at")(_aware_utc)

    @field_validator("lines")
    @classmethod
    def _lines_consistent(cls, lines: list[Line]) -> list[Line]:
        ids = [line.line_id for line in lines]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate line_id")
        known = set(ids)
        for line in lines:
            if line.parent_line_id == line.line_id:
                raise ValueError(f"line {line.line_id!r} is its own parent")
            if line.parent_line_id is not None and line.parent_line_id not in known:
                raise ValueError(f"parent_line_id {line.parent_line_id!r} is not a line")
        return lines

    @field_validator("shipments")
    @classmethod
    def _shipments_consistent(
        cls, shipments: list[Shipment], info: ValidationInfo
    ) -> list[Shipment]:
        lines: list[Line] = info.data.get("lines") or []
        ordered = {line.line_id: line.quantity for line in lines}
        shipped: dict[str, int] = {}
        seen: set[str] = set()
        for index, shipment in enumerate(shipments):
            if shipment.shipment_id in seen:
                raise ValueError(f"[{index}] duplicate shipment_id {shipment.shipment_id!r}")
            seen.add(shipment.shipment_id)
            for sl in shipment.lines:
                if lines and sl.line_id not in ordered:
                    raise ValueError(f"[{index}] line {sl.line_id!r} is not a line of the order")
                shipped[sl.line_id] = shipped.get(sl.line_id, 0) + sl.quantity
        for line_id, quantity in shipped.items():
            if line_id in ordered and quantity > ordered[line_id]:
                raise ValueError(
                    f"line {line_id!r}: {quantity} shipped but only {ordered[line_id]} ordered"
                )
        return shipments

    @property
    def key(self) -> tuple[str, str, str]:
        """The unique binding (channel, shop_id, external_id)."""
        return (self.channel, self.shop_id, self.external_id)
