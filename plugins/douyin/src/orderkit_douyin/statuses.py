"""Douyin's status codes: the packaged table and the documented code lists.

``status.json`` (next to this module) is the channel's status table; the core
``map_status`` reads it through ``ChannelSpec.status_table``. The mapping also
reads it for SKU-order (line) lifecycles and refunds, so a code is mapped in
one place. ``DOCUMENTED_CODES`` is what the platform documents (§2.7, §2.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from orderkit.status import StatusTable, load_status_table

STATUS_TABLE_PATH: Final = Path(__file__).with_name("status.json")

#: ``order_status`` codes (§2.7); SKU orders use the same.
ORDER_STATUSES: Final = ("1", "105", "2", "101", "3", "4", "5")
#: ``main_status``: the order statuses plus the main_status-only codes.
MAIN_STATUSES: Final = (*ORDER_STATUSES, "103", "21", "22", "39")
#: ``after_sale_info.after_sale_status`` (§2.8).
AFTER_SALE_STATUSES: Final = (
    "0", "6", "7", "8", "11", "12", "13", "14", "27", "28", "29", "51", "53",
)  # fmt: skip
#: ``after_sale_info.refund_status`` (§2.8).
REFUND_STATUSES: Final = ("1", "3", "4")

#: Raw field -> every code the platform documents for it.
DOCUMENTED_CODES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "main_status": MAIN_STATUSES,
        "order_status": ORDER_STATUSES,
        "after_sale_status": AFTER_SALE_STATUSES,
        "refund_status": REFUND_STATUSES,
    }
)
#: Fields the plugin derives itself (no platform documentation to check against).
DERIVED_FIELDS: Final = ("refund_scope", "presale_phase")

#: ``after_sale_type`` (§2.8) -> what it is. Money goes back for the refund
#: kinds; the others are tagged on the order, not put on the refund axis.
AFTER_SALE_TYPES: Final[Mapping[int, str]] = MappingProxyType(
    {
        0: "return_refund",
        1: "refund_shipped",
        2: "refund_unshipped",
        3: "exchange",
        4: "system_cancel",
        5: "user_cancel",
        6: "price_protection",
        7: "resend",
        8: "repair",
    }
)
REFUND_TYPES: Final = frozenset({0, 1, 2, 4, 5, 6})
PRICE_PROTECTION: Final = 6

#: Order-level codes meaning "goods left the warehouse" (a cancelled SKU order
#: after one of them was shipped is closed, not cancelled).
SHIPPED_CODES: Final = frozenset({"101", "3", "5", "22", "39"})


@cache
def status_table() -> StatusTable:
    """The packaged table, loaded and validated once."""
    return load_status_table(STATUS_TABLE_PATH)
