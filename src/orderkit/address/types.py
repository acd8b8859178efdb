"""Request and result of ``clean_address``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass(slots=True)
class AddressResult:
    """A cleaned address.

    ``city`` is the municipality's own name for 北京/天津/上海/重庆 and
    ``None`` for county-level units directly under a province (仙桃, 济源,
    石河子…). ``city_code`` is then the GB/T 2260 "市辖区/县" code (110100)
    and ``None`` respectively. ``phones`` hold numbers without extensions;
    a platform privacy extension (``-1234`` / ``转1234``) is in
    ``phone_extensions[number]``. ``unsure`` is ``confidence <
    address.min_confidence``: rules treat such an address as not known.
    """

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
    street_code: str | None = None
    phone_extensions: dict[str, str] = field(default_factory=dict)
    unsure: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``--json``, logs, the timeline)."""
        return asdict(self)
