"""Taobao's status codes: the packaged table and the documented code lists.

``status.json`` (next to this module) is the channel's status table; the core
``map_status`` reads it through ``ChannelSpec.status_table``. The mapping also
reads it for per-line lifecycle and refund, so a code is mapped in one place.
``DOCUMENTED_CODES`` is what the platform documents, for completeness checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from orderkit.status import StatusTable, load_status_table

STATUS_TABLE_PATH: Final = Path(__file__).with_name("status.json")

#: Trade ``status`` codes (channels.md §1.6).
TRADE_STATUSES: Final = (
    "TRADE_NO_CREATE_PAY",
    "WAIT_BUYER_PAY",
    "SELLER_CONSIGNED_PART",
    "WAIT_SELLER_SEND_GOODS",
    "WAIT_BUYER_CONFIRM_GOODS",
    "TRADE_BUYER_SIGNED",
    "TRADE_FINISHED",
    "TRADE_CLOSED",
    "TRADE_CLOSED_BY_TAOBAO",
    "PAY_PENDING",
    "WAIT_PRE_AUTH_CONFIRM",
    "PAID_FORBID_CONSIGN",
)
#: Sub-order ``refund_status`` codes as the metadata enum lists them (§1.7);
#: ``NO_REFUND`` is undocumented but common and is in the table as an extra.
REFUND_STATUSES: Final = (
    "WAIT_SELLER_AGREE",
    "WAIT_BUYER_RETURN_GOODS",
    "WAIT_SELLER_CONFIRM_GOODS",
    "SELLER_REFUSE_BUYER",
    "CLOSED",
    "SUCCESS",
)
#: ``step_trade_status`` (presale) codes from the TOP trade field docs.
STEP_STATUSES: Final = (
    "FRONT_NOPAID_FINAL_NOPAID",
    "FRONT_PAID_FINAL_NOPAID",
    "FRONT_PAID_FINAL_PAID",
    "FRONT_PAID_FRONT_FORFEITED",
)

#: Raw field -> every code the platform documents for it.
DOCUMENTED_CODES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "status": TRADE_STATUSES,
        "refund_status": REFUND_STATUSES,
        "step_trade_status": STEP_STATUSES,
    }
)
#: Fields the plugin derives itself (no platform documentation to check against).
DERIVED_FIELDS: Final = ("closed_after_consign", "refund_scope")


@cache
def status_table() -> StatusTable:
    """The packaged table, loaded and validated once."""
    return load_status_table(STATUS_TABLE_PATH)
