"""The Taobao status table: complete against the documented codes, loaded by
the host, and mapping what the plugin puts in ``platform_status``."""

from __future__ import annotations

import pytest

from orderkit.host import PluginHost
from orderkit.models import Lifecycle, PresaleState, RefundState, StatusAxes
from orderkit.status import StatusResult, check_completeness, load_status_table
from orderkit_taobao.statuses import (
    DERIVED_FIELDS,
    DOCUMENTED_CODES,
    REFUND_STATUSES,
    STATUS_TABLE_PATH,
    TRADE_STATUSES,
)

#: channels.md §1.6 and §1.7, verbatim: the test's own copy of the documentation.
DOC_TRADE_STATUSES = {
    "TRADE_NO_CREATE_PAY", "WAIT_BUYER_PAY", "SELLER_CONSIGNED_PART", "WAIT_SELLER_SEND_GOODS",
    "WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED", "TRADE_FINISHED", "TRADE_CLOSED",
    "TRADE_CLOSED_BY_TAOBAO", "PAY_PENDING", "WAIT_PRE_AUTH_CONFIRM", "PAID_FORBID_CONSIGN",
}  # fmt: skip
DOC_REFUND_STATUSES = {
    "WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS",
    "SELLER_REFUSE_BUYER", "CLOSED", "SUCCESS",
}  # fmt: skip


def test_documented_lists_match_the_reference() -> None:
    assert set(TRADE_STATUSES) == DOC_TRADE_STATUSES
    assert set(REFUND_STATUSES) == DOC_REFUND_STATUSES


def test_table_is_complete() -> None:
    table = load_status_table(STATUS_TABLE_PATH)
    report = check_completeness(
        table, {"status": DOC_TRADE_STATUSES, "refund_status": DOC_REFUND_STATUSES}
    )
    assert report.is_complete, str(report)
    assert report.extra == {"refund_status": ("NO_REFUND",)}  # undocumented, seen in payloads
    full = check_completeness(table, DOCUMENTED_CODES)
    assert full.is_complete and not full.missing
    assert set(full.undocumented_fields) == set(DERIVED_FIELDS)


def test_the_host_loads_the_table(host: PluginHost) -> None:
    table = host.status_table("taobao")
    assert table is not None and table.label == "taobao@2026-11"


def axes(host: PluginHost, raw: dict[str, str], current: StatusAxes | None = None) -> StatusAxes:
    result: StatusResult = host.pm.hook.map_status(channel="taobao", raw=raw, current=current)
    assert not result.is_unmapped, result
    assert result.axes is not None
    return result.axes


@pytest.mark.parametrize(
    ("status", "lifecycle"),
    [
        ("TRADE_NO_CREATE_PAY", Lifecycle.PENDING_PAYMENT),
        ("WAIT_BUYER_PAY", Lifecycle.PENDING_PAYMENT),
        ("PAY_PENDING", Lifecycle.PENDING_PAYMENT),
        ("WAIT_PRE_AUTH_CONFIRM", Lifecycle.PENDING_PAYMENT),
        ("PAID_FORBID_CONSIGN", Lifecycle.PAID),
        ("WAIT_SELLER_SEND_GOODS", Lifecycle.PAID),
        ("SELLER_CONSIGNED_PART", Lifecycle.PARTIALLY_SHIPPED),
        # Taobao counts a trade shipped once the tracking number is uploaded.
        ("WAIT_BUYER_CONFIRM_GOODS", Lifecycle.SHIPPED),
        ("TRADE_BUYER_SIGNED", Lifecycle.DELIVERED),
        ("TRADE_FINISHED", Lifecycle.COMPLETED),
        ("TRADE_CLOSED", Lifecycle.CANCELLED),  # a new order that never shipped
        ("TRADE_CLOSED_BY_TAOBAO", Lifecycle.CANCELLED),
    ],
)
def test_trade_statuses(host: PluginHost, status: str, lifecycle: Lifecycle) -> None:
    assert axes(host, {"status": status}).lifecycle == lifecycle


def test_trade_closed_after_shipping_is_closed(host: PluginHost) -> None:
    shipped = StatusAxes(lifecycle=Lifecycle.SHIPPED)
    assert axes(host, {"status": "TRADE_CLOSED"}, shipped).lifecycle == Lifecycle.CLOSED
    # Seen for the first time already closed: consign_time tells it shipped.
    derived = {"status": "TRADE_CLOSED", "closed_after_consign": "TRADE_CLOSED"}
    assert axes(host, derived).lifecycle == Lifecycle.CLOSED


@pytest.mark.parametrize(
    ("raw", "refund"),
    [
        ({"refund_status": "NO_REFUND"}, RefundState.NONE),
        ({"refund_status": "WAIT_SELLER_AGREE"}, RefundState.REQUESTED),
        ({"refund_status": "WAIT_BUYER_RETURN_GOODS"}, RefundState.IN_PROGRESS),
        ({"refund_status": "WAIT_SELLER_CONFIRM_GOODS"}, RefundState.IN_PROGRESS),
        ({"refund_status": "SELLER_REFUSE_BUYER"}, RefundState.REJECTED),
        ({"refund_status": "CLOSED"}, RefundState.NONE),
        ({"refund_status": "SUCCESS"}, RefundState.REFUNDED),
        ({"refund_status": "SUCCESS", "refund_scope": "PARTIAL"}, RefundState.PARTIALLY_REFUNDED),
    ],
)
def test_refund_statuses(host: PluginHost, raw: dict[str, str], refund: RefundState) -> None:
    assert axes(host, {"status": "WAIT_SELLER_SEND_GOODS", **raw}).refund == refund


@pytest.mark.parametrize(
    ("step", "presale"),
    [
        ("FRONT_NOPAID_FINAL_NOPAID", PresaleState.NONE),
        ("FRONT_PAID_FINAL_NOPAID", PresaleState.DEPOSIT_PAID),
        ("FRONT_PAID_FINAL_PAID", PresaleState.BALANCE_PAID),
        ("FRONT_PAID_FRONT_FORFEITED", PresaleState.DEPOSIT_PAID),
    ],
)
def test_presale_statuses(host: PluginHost, step: str, presale: PresaleState) -> None:
    assert axes(host, {"status": "WAIT_BUYER_PAY", "step_trade_status": step}).presale == presale


def test_unknown_codes_are_unmapped_not_guessed(host: PluginHost) -> None:
    result = host.pm.hook.map_status(
        channel="taobao", raw={"status": "TRADE_SOMETHING_NEW"}, current=None
    )
    assert result.is_unmapped and result.hold_reason() is not None
    refund = host.pm.hook.map_status(
        channel="taobao",
        raw={"status": "WAIT_SELLER_SEND_GOODS", "refund_status": "REFUND_NEW"},
        current=None,
    )
    assert refund.is_unmapped and refund.unmapped == {"refund_status": "REFUND_NEW"}
