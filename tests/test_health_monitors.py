"""Each monitor fires on a crafted case and not on its near miss; alerts are
raised once, resolved once, and a returning condition is a new episode. On
every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from orderkit.health import MONITORS, run_monitors
from orderkit.health.alerts import alert_id
from orderkit.kit import OrderKit

from .conftest import make_order_payload
from .health_support import (
    T0,
    MakeKit,
    at,
    cursor,
    delivery,
    job,
    kit_factory,
    open_subjects,
    outbox_events,
    shipment,
    update,
    write,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture()
def health_kit(db_url: str, table_prefix: str) -> Iterator[MakeKit]:
    yield from kit_factory(db_url, table_prefix)


def oid(kit: OrderKit, external_id: str, shop: str = "own-mini") -> str:
    return kit.get(f"{shop}/{external_id}").order.id or ""


def touch(kit: OrderKit, external_id: str, actor: str) -> None:
    """A change by ``actor`` that keeps the order's state (an edit)."""
    ref = f"own-mini/{external_id}"
    kit.update(
        ref, lambda o: o, actor=actor, reason="checked", expected_version=kit.get(ref).version
    )


def move(kit: OrderKit, external_id: str, to: str, actor: str = "system:process") -> None:
    ref = f"own-mini/{external_id}"
    kit.transition(ref, to, actor=actor, reason="test", expected_version=kit.get(ref).version)


# --- one test per monitor: fires, near miss --------------------------------------


def test_unpaid_fires_after_two_hours_not_before(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.ingest(
        [
            make_order_payload(external_id="U1", platform_status={"status": "WAIT_PAY"}),
            make_order_payload(
                external_id="U2",
                platform_status={"status": "WAIT_PAY"},
                created_at="2026-11-11T10:30:00+08:00",
                modified_at="2026-11-11T10:30:00+08:00",
            ),
            make_order_payload(external_id="P1"),  # paid: never "unpaid"
        ]
    )
    at(kit, T0 + H + M)  # U1 placed 2h01m ago, U2 1h31m ago

    report = run_monitors(kit)

    unpaid = [a for a in report.raised if a.monitor == "unpaid"]
    assert [a.subject for a in unpaid] == [oid(kit, "U1")]
    assert unpaid[0].message == "order own-mini/U1 is still unpaid 2h 1m after it was placed"
    assert unpaid[0].severity == "info"


def test_not_shipped_fires_48_hours_after_payment(health_kit: MakeKit) -> None:
    kit = health_kit()
    paid = {"paid_at": "2026-11-11T10:00:00+08:00"}
    kit.ingest(
        [
            make_order_payload(external_id="N1", **paid),
            make_order_payload(external_id="N2", paid_at="2026-11-11T11:00:00+08:00"),
            make_order_payload(external_id="N3", **paid),
            make_order_payload(external_id="N4", **paid),
        ]
    )
    for to in ("approved", "allocated", "shipped"):  # N3 shipped in time
        move(kit, "N3", to)
    move(kit, "N4", "approved")  # internal states still owe a parcel
    at(kit, T0 + 47 * H + 30 * M)  # N1 and N4 paid 48h30m ago, N2 47h30m ago

    report = run_monitors(kit)

    found = {a.subject for a in report.raised if a.monitor == "not_shipped"}
    assert found == {oid(kit, "N1"), oid(kit, "N4")}


def test_stuck_counts_time_since_the_order_entered_its_state(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.ingest([make_order_payload(external_id=x) for x in ("S1", "S2", "S3", "S4")])
    at(kit, T0 + 10 * M)
    move(kit, "S1", "approved")  # approved since T0+10m
    move(kit, "S4", "on_hold")
    update(  # a hold with a running timer waits on purpose
        kit, "orders", {"id": oid(kit, "S4")}, hold_until=(T0 + 5 * H).replace(tzinfo=None)
    )
    at(kit, T0 + 30 * M)
    move(kit, "S2", "approved")  # approved since T0+30m: the near miss
    at(kit, T0 + H + 30 * M)
    touch(kit, "S3", "user:ops")  # an edit keeps the state: S3 is paid since T0

    at(kit, T0 + 2 * H + 15 * M)
    report = run_monitors(kit)

    stuck = {a.subject: a for a in report.raised if a.monitor == "stuck"}
    assert set(stuck) == {oid(kit, "S1"), oid(kit, "S3")}
    assert stuck[oid(kit, "S1")].message == (
        "order own-mini/S1 has been approved for 2h 5m with no status change"
    )
    # the timer ran out: now S4 waits on nobody
    at(kit, T0 + 5 * H + M)
    assert oid(kit, "S4") in {a.subject for a in run_monitors(kit).raised}


def test_stuck_watches_only_the_configured_states(health_kit: MakeKit) -> None:
    kit = health_kit(monitors={"stuck": {"states": ["approved"], "after": "30m"}})
    kit.ingest([make_order_payload(external_id=x) for x in ("S1", "S2")])
    move(kit, "S1", "approved")
    at(kit, T0 + 31 * M)
    found = {a.subject for a in run_monitors(kit).raised if a.monitor == "stuck"}
    assert found == {oid(kit, "S1")}  # S2 is paid: not watched here


def test_three_different_actors_within_24_hours(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.ingest([make_order_payload(external_id=x) for x in ("C1", "C2", "C3")])
    # C3: three people, but the first change is 24h01m old when we look
    touch(kit, "C3", "user:a")
    at(kit, T0 + 2 * H)
    touch(kit, "C3", "user:b")
    touch(kit, "C3", "user:c")
    # C1: customer service, the warehouse and the WMS plugin: three roles
    for actor in ("user:cs-li", "user:wh-wang", "erp-wms", "user:cs-li"):
        touch(kit, "C1", actor)
    # C2: two people plus orderkit's whole automatic life: not counted
    for actor in ("user:cs-li", "system:process", "system:ship", "system:hold-timer"):
        touch(kit, "C2", actor)
    touch(kit, "C2", "user:wh-wang")
    at(kit, T0 + 24 * H + M)

    report = run_monitors(kit)

    edits = [a for a in report.raised if a.monitor == "concurrent_edits"]
    assert [a.subject for a in edits] == [oid(kit, "C1")]
    assert edits[0].detail["actors"] == ["erp-wms", "user:cs-li", "user:wh-wang"]
    assert "changed by 3 different actors within 1d" in edits[0].message
    # once the window slides past the changes, the alert resolves
    at(kit, T0 + 26 * H + M)
    assert [a.subject for a in run_monitors(kit).resolved] == [oid(kit, "C1")]


def test_automatic_life_never_counts_as_concurrent_edits(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.ingest([make_order_payload(external_id="A1")])
    for to in ("approved", "allocated", "packed", "shipped"):
        move(kit, "A1", to, actor="system:process" if to != "shipped" else "system:ship")
    kit.ingest(
        [
            make_order_payload(
                external_id="A1",
                modified_at="2026-11-11T12:00:00+08:00",
                platform_status={"status": "IN_TRANSIT"},
            )
        ]
    )
    report = run_monitors(kit)
    assert not [a for a in report.raised if a.monitor == "concurrent_edits"]


def test_concurrent_edit_settings(health_kit: MakeKit) -> None:
    # two actors are enough, and plugins do not count either
    kit = health_kit(
        monitors={"concurrent_edits": {"actors": 2, "ignore_actors": ["system:", "erp-"]}}
    )
    kit.ingest([make_order_payload(external_id=x) for x in ("C1", "C2")])
    for actor in ("user:a", "user:b"):
        touch(kit, "C1", actor)
    for actor in ("user:a", "erp-wms"):
        touch(kit, "C2", actor)
    found = {a.subject for a in run_monitors(kit).raised if a.monitor == "concurrent_edits"}
    assert found == {oid(kit, "C1")}


def test_tracking_not_uploaded_an_hour_after_the_waybill(health_kit: MakeKit) -> None:
    kit = health_kit()
    write(
        kit,
        "shipments",
        [
            shipment("o1", "p1", "booked"),  # due, still not uploaded
            shipment("o2", "p1", "booked", waybill_at=T0 + 30 * M),  # 31 min: near miss
            shipment("o3", "p1", "uploaded"),
            shipment("o4", "p1", "upload_failed", last_error="waybill not recognised"),
            shipment("o5", "p1", "manual_entry", waybill=None, waybill_at=None),
        ],
    )
    at(kit, T0 + H + M)

    report = run_monitors(kit)

    found = {a.subject: a for a in report.raised if a.monitor == "tracking_not_uploaded"}
    assert set(found) == {"o1/p1", "o4/p1"}
    assert found["o4/p1"].severity == "critical"
    assert "upload_failed: waybill not recognised" in found["o4/p1"].message
    # the channel accepts o1's tracking: its alert resolves, o4's stays
    update(kit, "shipments", {"order_id": "o1"}, state="uploaded")
    again = run_monitors(kit)
    assert [a.subject for a in again.resolved] == ["o1/p1"]
    assert open_subjects(kit, "tracking_not_uploaded") == {"o4/p1"}


def test_sync_failing_from_three_failures_and_only_for_synced_shops(
    health_kit: MakeKit,
) -> None:
    kit = health_kit()
    write(
        kit,
        "sync_cursors",
        [
            cursor("own-mini", failures=3, last_error="ChannelAuthError: token expired"),
            cursor("own-b", failures=2, last_error="timeout"),
            cursor("paused", failures=9, last_error="timeout"),  # paused: nobody syncs it
        ],
    )
    report = run_monitors(kit)
    found = [a for a in report.raised if a.monitor == "sync_failing"]
    assert [a.subject for a in found] == ["own-mini"]
    assert found[0].message == (
        "shop own-mini: the last 3 syncs failed (last success 1h ago): "
        "ChannelAuthError: token expired"
    )


def test_token_expiring_within_three_days(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.save_credentials("own-mini", {"access_token": "t"}, T0 + 71 * H)
    kit.save_credentials("own-b", {"access_token": "t"}, T0 + 73 * H)
    kit.save_credentials("paused", {"access_token": "t"}, T0 - H)

    found = [a for a in run_monitors(kit).raised if a.monitor == "token_expiring"]

    assert [a.subject for a in found] == ["own-mini"]
    assert "expires in 2d 23h" in found[0].message
    # refreshed: resolved
    kit.save_credentials("own-mini", {"access_token": "t2"}, T0 + 30 * 24 * H)
    assert [a.subject for a in run_monitors(kit).resolved] == ["own-mini"]


def test_dead_letters_waiting_per_shop_until_replayed(health_kit: MakeKit) -> None:
    kit = health_kit()
    bad = make_order_payload(external_id="D1", amounts={"goods_total": "lots"})
    kit.ingest([bad, make_order_payload(external_id="OK", shop_id="own-b")])

    found = [a for a in run_monitors(kit).raised if a.monitor == "dead_letters"]
    assert [a.subject for a in found] == ["own-mini"]
    assert found[0].detail["count"] == 1

    letter = kit.dead_letters()[0]
    kit.store.dead_letters.fix(letter.id, make_order_payload(external_id="D1"))
    kit.replay_dead_letters()
    assert [a.subject for a in run_monitors(kit).resolved] == ["own-mini"]


def test_notifier_failing(health_kit: MakeKit) -> None:
    kit = health_kit()
    write(
        kit,
        "deliveries",
        [
            delivery("e1", "ops-robot", attempts=8, gave_up_at=T0 - H),
            delivery("e1", "erp-hook", attempts=2),  # retrying, 2 < 3: near miss
            delivery("e2", "erp-hook", attempts=4, delivered_at=T0),  # recovered
            delivery("e1", "old-hook", attempts=8, gave_up_at=T0 - 25 * H),  # long ago
        ],
    )
    found = [a for a in run_monitors(kit).raised if a.monitor == "notifier_failing"]
    assert [a.subject for a in found] == ["ops-robot"]
    assert "1 event(s) given up" in found[0].message and "HTTP 502" in found[0].message

    update(kit, "deliveries", {"event_id": "e1", "notifier": "erp-hook"}, attempts=3)
    found = [a for a in run_monitors(kit).raised if a.monitor == "notifier_failing"]
    assert [a.subject for a in found] == ["erp-hook"]


def test_job_failing(health_kit: MakeKit) -> None:
    kit = health_kit()
    write(kit, "jobs", [job("process", 3), job("ship", 2), job("sync:own-mini", 0)])
    found = [a for a in run_monitors(kit).raised if a.monitor == "job_failing"]
    assert [a.subject for a in found] == ["process"]
    assert found[0].message == "job process failed 3 times in a row: RuntimeError: boom"


# --- alerts: once, resolved once, new episodes --------------------------------------


def test_rerunning_raises_nothing_twice(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.ingest([make_order_payload(external_id="U1", platform_status={"status": "WAIT_PAY"})])
    write(kit, "jobs", [job("process", 3)])
    at(kit, T0 + 2 * H)

    first = run_monitors(kit)
    at(kit, T0 + 3 * H)
    second = run_monitors(kit)

    assert {a.monitor for a in first.raised} == {"unpaid", "job_failing"}
    assert second.raised == [] and second.resolved == []
    assert {a.id for a in second.still_open} == {a.id for a in first.raised}
    # the message follows the facts, the alert stays the same one
    kept = next(a for a in second.still_open if a.monitor == "unpaid")
    assert "unpaid 4h after" in kept.message and kept.first_seen_at == T0 + 2 * H
    events = outbox_events(kit)
    assert sorted(e["topic"] for e in events) == ["alert.job_failing", "alert.unpaid"]
    unpaid = next(e for e in events if e["topic"] == "alert.unpaid")
    assert unpaid["order_id"] == oid(kit, "U1")
    assert unpaid["alert_id"] == kept.id and unpaid["severity"] == "info"


def test_resolution_and_a_new_episode(health_kit: MakeKit) -> None:
    kit = health_kit()
    write(kit, "sync_cursors", [cursor("own-mini", failures=3, last_error="timeout")])
    first = run_monitors(kit).raised[0]
    assert first.id == alert_id("sync_failing", "own-mini", 1)

    update(kit, "sync_cursors", {"shop_id": "own-mini"}, consecutive_failures=0)
    at(kit, T0 + H)
    resolved = run_monitors(kit).resolved
    assert [a.id for a in resolved] == [first.id]
    assert resolved[0].resolved_at == T0 + H
    assert run_monitors(kit).resolved == []  # resolved once

    update(kit, "sync_cursors", {"shop_id": "own-mini"}, consecutive_failures=4)
    at(kit, T0 + 2 * H)
    second = run_monitors(kit).raised
    assert [a.id for a in second] == [alert_id("sync_failing", "own-mini", 2)]
    topics = [(e["topic"], e["alert_id"]) for e in outbox_events(kit)]
    assert topics == [
        ("alert.sync_failing", first.id),
        ("alert.resolved", first.id),
        ("alert.sync_failing", second[0].id),
    ]
    resolved_event = outbox_events(kit, "alert.resolved")[0]
    assert resolved_event["resolution"] == "cleared" and resolved_event["monitor"] == "sync_failing"


def test_a_resolved_order_alert_event_carries_the_order(health_kit: MakeKit) -> None:
    kit = health_kit()
    kit.ingest([make_order_payload(external_id="U1", platform_status={"status": "WAIT_PAY"})])
    at(kit, T0 + 2 * H)
    run_monitors(kit)
    kit.ingest(
        [make_order_payload(external_id="U1", modified_at="2026-11-11T13:00:00+08:00")]
    )  # paid now
    resolved = run_monitors(kit).resolved
    assert [a.monitor for a in resolved] == ["unpaid"]
    event = outbox_events(kit, "alert.resolved")[0]
    assert event["order_id"] == oid(kit, "U1")


def test_two_runners_raise_one_alert_and_one_event(health_kit: MakeKit) -> None:
    # two orderkit run processes with their own kits on one database
    one, two = health_kit(), health_kit()
    write(one, "jobs", [job("ship", 5)])
    run_monitors(one)
    a = one.store.tables.alerts
    # pretend the second runner decided before the first one wrote: same id
    with two.store.db.transaction() as conn:
        conn.execute(a.delete())
    run_monitors(two)
    run_monitors(one)
    with one.store.db.transaction() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(a)).scalar() == 1
    assert len(outbox_events(one)) == 1


def test_disabling_a_monitor_stops_it_and_resolves_its_alerts(health_kit: MakeKit) -> None:
    kit = health_kit()
    write(kit, "jobs", [job("ship", 5)])
    raised = run_monitors(kit).raised
    assert [a.monitor for a in raised] == ["job_failing"]

    off = health_kit(monitors={"job_failing": {"enabled": False}})
    report = run_monitors(off)

    assert report.disabled == ["job_failing"]
    assert [a.id for a in report.resolved] == [raised[0].id]
    assert outbox_events(off, "alert.resolved")[0]["resolution"] == "monitor disabled"
    assert run_monitors(off).raised == []


def test_a_quiet_database_raises_nothing(health_kit: MakeKit) -> None:
    kit = health_kit()
    report = run_monitors(kit)
    assert (report.raised, report.still_open, report.resolved) == ([], [], [])
    assert report.to_dict()["raised"] == []


def test_every_monitor_has_a_config_section() -> None:
    from orderkit.config.model import MonitorsConfig

    assert [m.name for m in MONITORS] == list(MonitorsConfig.model_fields)
