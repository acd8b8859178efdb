"""The health index on a small crafted population, with exact figures, on
every backend; and the agreement table behind status consistency."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from orderkit.health import HealthReport, health_report, run_monitors
from orderkit.health.states import agrees
from orderkit.kit import OrderKit

from .conftest import make_order_payload
from .health_support import (
    T0,
    MakeKit,
    at,
    cursor,
    job,
    kit_factory,
    shipment,
    write,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture()
def health_kit(db_url: str, table_prefix: str) -> Iterator[MakeKit]:
    yield from kit_factory(db_url, table_prefix)


def move(kit: OrderKit, external_id: str, to: str, actor: str) -> None:
    ref = f"own-mini/{external_id}"
    kit.transition(ref, to, actor=actor, reason="test", expected_version=kit.get(ref).version)


def population(kit: OrderKit) -> None:
    """Eight orders, five shipment orders, three shops' cursors, two jobs.

    At T0+3h: A approved since T0 (stuck), B held by a person at T0+2h, C
    shipped, D unpaid, E cancelled by a person while the platform still says
    paid (drift), F paid at T0+2h30m, G with a status orderkit cannot read
    (drift), H completed two days ago (out of view)."""
    at(kit, T0 - 48 * H)
    kit.ingest([make_order_payload(external_id="H", platform_status={"status": "FINISHED"})])
    at(kit, T0)
    kit.ingest(
        [
            make_order_payload(external_id="A"),
            make_order_payload(external_id="B"),
            make_order_payload(external_id="C", platform_status={"status": "SHIPPED"}),
            make_order_payload(external_id="D", platform_status={"status": "WAIT_PAY"}),
            make_order_payload(external_id="E"),
            make_order_payload(external_id="G", platform_status={"status": "WEIRD"}),
            make_order_payload(external_id="BAD", shop_id="own-b", amounts={"paid": "x"}),
        ]
    )
    move(kit, "A", "approved", "system:process")
    at(kit, T0 + H)
    move(kit, "E", "cancelled", "user:ops")
    at(kit, T0 + 2 * H)
    move(kit, "B", "on_hold", "user:ops")
    at(kit, T0 + 2 * H + 30 * M)
    kit.ingest([make_order_payload(external_id="F")])
    c = kit.get("own-mini/C").order.id or ""
    write(
        kit,
        "shipments",
        [
            shipment(c, "p1", "uploaded"),
            shipment("o-two", "p1", "uploaded"),
            shipment("o-two", "p2", "booked"),  # o-two is incomplete
            shipment("o-young", "p1", "booked", waybill_at=T0 + 2 * H + 30 * M),  # in grace
            shipment("o-old", "p1", "upload_failed", waybill_at=T0 - 48 * H),  # out of window
            shipment("o-manual", "p1", "manual_entry", waybill=None, waybill_at=None),
        ],
    )
    write(
        kit,
        "sync_cursors",
        [
            cursor("own-mini", watermark=T0 + 2 * H),
            cursor("own-b", watermark=T0 + 2 * H + 45 * M, failures=1, last_error="timeout"),
            cursor("paused", watermark=T0 - 48 * H),
        ],
    )
    write(kit, "jobs", [job("process", 3), job("ship", 1)])
    at(kit, T0 + 3 * H)


def rate(report: HealthReport, name: str) -> tuple[int | None, int | None, float | None]:
    f = report.figure(name)
    return f.numerator, f.denominator, f.value


def test_figures_on_a_crafted_population(health_kit: MakeKit) -> None:
    kit = health_kit()
    population(kit)

    report = health_report(kit)

    assert rate(report, "status_consistency") == (5, 7, pytest.approx(500 / 7))
    assert rate(report, "dwell") == (1, 6, pytest.approx(100 / 6))
    assert rate(report, "manual_intervention") == (2, 7, pytest.approx(200 / 7))
    assert rate(report, "tracking_completeness") == (1, 2, 50.0)
    assert rate(report, "hold_rate") == (1, 2, 50.0)  # A approved, B held
    assert [(s.shop_id, s.lag.value) for s in report.shops] == [
        ("own-mini", 3600.0),
        ("own-b", 900.0),
    ]
    own_b = report.figure("sync_lag", "own-b")
    assert own_b.explanation == (
        "shop own-b: orders fetched up to 15m ago; 1 failed sync(s) in a row: timeout"
    )
    assert report.shops[1].consecutive_failures == 1
    assert report.figure("failing_jobs").value == 1
    assert [j.name for j in report.failing_jobs] == ["process"]
    assert report.figure("failing_notifiers").value == 0
    assert report.figure("dead_letters_waiting").value == 1
    assert [(d.shop_id, d.count) for d in report.dead_letters] == [("own-b", 1)]
    assert report.figure("dwell").explanation == (
        "1 of 6 open orders sat over 2h in paid/on_hold/approved/allocated/packed "
        "with no status change"
    )
    # every default threshold is crossed except the notifier one
    assert {f.name if f.subject is None else f"{f.name}[{f.subject}]" for f in report.alarms} == {
        "status_consistency",
        "dwell",
        "manual_intervention",
        "tracking_completeness",
        "hold_rate",
        "sync_lag[own-mini]",
        "failing_jobs",
    }
    assert report.alarm


def test_thresholds_come_from_the_config_and_equal_is_no_alarm(health_kit: MakeKit) -> None:
    kit = health_kit(
        health={
            "status_consistency_below": 70,
            "dwell_above": 20,
            "manual_intervention_above": 30,
            "tracking_completeness_below": 50,  # exactly the value: no alarm
            "hold_rate_above": 50,  # exactly the value: no alarm
            "sync_lag_above": "1h",  # exactly own-mini's lag: no alarm
        }
    )
    population(kit)
    report = health_report(kit)
    assert [f.name for f in report.alarms] == ["failing_jobs"]
    tracking = report.figure("tracking_completeness")
    assert (tracking.threshold, tracking.alarm_when, tracking.alarm) == (50, "below", False)


def test_open_alerts_after_the_monitors_ran(health_kit: MakeKit) -> None:
    kit = health_kit()
    population(kit)
    run_monitors(kit)

    report = health_report(kit)

    assert report.open_alerts_by_monitor == {
        "dead_letters": 1,
        "job_failing": 1,
        "stuck": 1,
        "tracking_not_uploaded": 2,
        "unpaid": 2,
    }
    assert report.figure("open_alerts").value == 7
    assert len(report.open_alerts) == 7
    assert len(health_report(kit, alert_limit=3).open_alerts) == 3


def test_the_report_is_json(health_kit: MakeKit) -> None:
    kit = health_kit()
    population(kit)
    run_monitors(kit)
    data = json.loads(json.dumps(health_report(kit).to_dict()))
    assert data["alarm"] is True
    assert "sync_lag[own-mini]" in data["alarms"]
    figure = next(f for f in data["index"] if f["name"] == "hold_rate")
    assert (figure["numerator"], figure["denominator"], figure["threshold"]) == (1, 2, 10.0)
    assert figure["explanation"] == "1 of 2 orders reviewed in the last 1d were put on hold"
    assert data["shops"][0]["lag"]["alarm"] is True
    assert data["failing_jobs"][0]["name"] == "process"
    assert data["open_alerts"][0]["monitor"]


def test_a_new_installation_has_nothing_to_measure_and_no_alarm(health_kit: MakeKit) -> None:
    report = health_report(health_kit())
    assert all(f.value is None for f in report.index)
    assert [s.lag.explanation for s in report.shops] == [
        "shop own-mini: never synced yet",
        "shop own-b: never synced yet",
    ]
    assert not report.alarm


def test_dwell_follows_the_stuck_monitor_settings(health_kit: MakeKit) -> None:
    kit = health_kit(monitors={"stuck": {"after": "4h"}})
    population(kit)
    assert rate(health_report(kit), "dwell") == (0, 6, 0.0)


@pytest.mark.parametrize(
    ("canonical", "platform", "agree"),
    [
        ("paid", "paid", True),
        ("packed", "paid", True),  # warehouse work the platform has no word for
        ("shipped", "paid", True),  # Douyin says shipped only at the first scan
        ("in_transit", "paid", False),  # the courier moves it; the platform never saw it
        ("delivered", "shipped", True),  # Taobao says shipped until receipt
        ("completed", "delivered", True),
        ("completed", "shipped", False),
        ("closed", "cancelled", True),  # cancelled after shipping is recorded as closed
        ("cancelled", "paid", False),  # orderkit ended what the platform still sells
        ("pending_payment", None, False),  # orderkit cannot read the platform's status
        ("shipped", "in_transit", False),
    ],
)
def test_which_statuses_agree(canonical: str, platform: str | None, agree: bool) -> None:
    assert agrees(canonical, platform) is agree


def test_a_kit_without_shops(kit: OrderKit) -> None:
    # no shops configured: the shop monitors and sync lags look at nothing
    kit.save_credentials("gone", {"access_token": "t"}, kit.clock.now())
    assert run_monitors(kit).raised == []
    report = health_report(kit)
    assert report.shops == [] and not report.alarm


def test_a_fresh_upload_counts_at_once_a_fresh_pending_one_not_yet(health_kit: MakeKit) -> None:
    kit = health_kit()
    at(kit, T0 + 10 * M)
    write(
        kit,
        "shipments",
        [
            shipment("o-done", "p1", "uploaded"),  # 10 minutes old, on the channel
            shipment("o-going", "p1", "booked"),  # 10 minutes old, still uploading
        ],
    )
    assert rate(health_report(kit), "tracking_completeness") == (1, 1, 100.0)
    at(kit, T0 + 2 * H)  # now the pending one is late
    assert rate(health_report(kit), "tracking_completeness") == (1, 2, 50.0)
