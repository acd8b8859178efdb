"""The demo's acceptance: ``run --once`` over sandbox shops with the legacy
ERP printing waybills ships orders for real, and a second ``run --once``
right after changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from orderkit.demo import open_kit, run_demo
from orderkit.run import Runner


def footprint(kit: Any) -> dict[str, Any]:
    """Everything a run could change, summed up."""
    t = kit.store.tables
    with kit.store.db.transaction() as conn:
        return {
            "versions": conn.execute(sa.select(sa.func.sum(t.orders.c.version))).scalar(),
            "orders": conn.execute(sa.select(sa.func.count()).select_from(t.orders)).scalar(),
            "timeline": conn.execute(sa.select(sa.func.max(t.timeline.c.id))).scalar(),
            "outbox": sorted(conn.execute(sa.select(t.outbox.c.id)).scalars()),
            "shipments": sorted(
                conn.execute(
                    sa.select(
                        t.shipments.c.order_id,
                        t.shipments.c.shipment_id,
                        t.shipments.c.waybill,
                        t.shipments.c.state,
                    )
                ).all()
            ),
            "reservations": sorted(
                conn.execute(
                    sa.select(
                        t.reservations.c.order_id, t.reservations.c.line_id, t.reservations.c.state
                    )
                ).all()
            ),
        }


def test_demo_ships_for_real_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    report = run_demo(tmp_path, orders=250)
    assert report.erp == "legacy ERP example"
    assert report.run is not None and not report.run.errors, report.run.errors
    assert report.tracking["uploaded"] > 50  # waybills printed by the ERP, accepted by channels
    assert report.statuses[("taobao", "shipped")] > 0
    assert sum(report.gifts.values()) > 0 and sum(report.couriers.values()) > 0
    assert report.health is not None
    kit = open_kit(tmp_path)
    before = footprint(kit)
    again = Runner(kit).run_once()
    assert not again.errors
    assert footprint(kit) == before
    # the ERP's 发货单 agree with orderkit's shipments
    with kit.store.db.transaction() as conn:
        printed = conn.execute(sa.text("SELECT COUNT(*) FROM CK_FHD WHERE SCZT = '1'")).scalar()
    assert printed == report.tracking["uploaded"]
