"""Request and result of ``clean_address``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AddressHints:
    """Structured parts a channel already knows (e.g. Douyin ``post_addr``)."""

    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    platform_ids: dict[str, str] = field(default_factory=dict)


@dataclass
class AddressRequest:
    """Input of ``clean_address``. Mutable on purpose: a channel's ``wrapper=True``
    impl may set ``hints`` before yielding to the core cleaner."""

    text: str
    channel: str | None = None
    shop_id: str | None = None
    hints: AddressHints | None = None


@dataclass
class AddressResult:
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    detail: str | None = None
    remark: str | None = None
    province_code: str | None = None
    city_code: str | None = None
    district_code: str | None = None
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    confidence: float = 0.0
