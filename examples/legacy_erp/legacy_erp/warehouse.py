# ruff: noqa: SIM300  (the ERP's upper-case column names are not constants)
"""The ERP's warehouse: 打单 (printing waybills) and the 发货单 it keeps.

``print_waybills`` is the ERP's job in ``orderkit run``: every order the ERP
shows as 已配货 (allocated) gets a waybill from its courier through orderkit
(``kit.book_pickups``, one print run), which records it and uploads the
tracking number to the platform. The 发货单 rows are written by ``persist_order`` from the order's
shipments, inside orderkit's transaction, so they never disagree with it even
when a run is killed halfway.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog

from legacy_erp.mapping import ORDER_STATUS
from legacy_erp.schema import CK_FHD, XS_DDZB
from orderkit.models import Lifecycle, Order, ShipmentStatus

ACTOR = "legacy_erp:warehouse"
log = structlog.get_logger("legacy_erp.warehouse")
#: Shipment status -> 上传状态.
UPLOAD_STATUS = {ShipmentStatus.SHIPPED: "1", ShipmentStatus.UPLOAD_FAILED: "2"}


def write_shipping_notes(connection: sa.Connection, ddid: int, order: Order) -> None:
    """Upsert one 发货单 per shipment that has a waybill."""
    for shipment in order.shipments:
        if not shipment.waybill:
            continue
        values = {
            "CKDM": shipment.warehouse,
            "KDGS": (shipment.courier or "").upper()[:20],
            "YDH": shipment.waybill,
            "SCZT": UPLOAD_STATUS.get(shipment.status, "0"),
        }
        key = {"b_ddid": ddid, "b_bgh": shipment.shipment_id}
        if not connection.execute(_UPDATE_NOTE, {**key, **values}).rowcount:
            note = {"DDID": ddid, "BGH": shipment.shipment_id, **values}
            connection.execute(CK_FHD.insert(), note)


# built once (see ``plugin._FIND_ORDER``); the SET columns come from the parameters
_UPDATE_NOTE = CK_FHD.update().where(
    CK_FHD.c.DDID == sa.bindparam("b_ddid"), CK_FHD.c.BGH == sa.bindparam("b_bgh")
)


def print_waybills(kit: Any, bind: sa.Engine | sa.Connection, *, limit: int = 500) -> int:
    """打单 for allocated orders; returns how many shipments got a waybill."""
    h = XS_DDZB
    allocated = ORDER_STATUS[Lifecycle.ALLOCATED]
    query = (
        sa.select(h.c.DPDM, h.c.WBDH).where(h.c.DDZT == allocated).order_by(h.c.DDID).limit(limit)
    )
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            refs = [f"{row.DPDM}/{row.WBDH}" for row in connection.execute(query)]
    else:
        refs = [f"{row.DPDM}/{row.WBDH}" for row in bind.execute(query)]
    wanted = []
    for ref in refs:
        order = kit.get(ref).order
        wanted += [
            (order, shipment.shipment_id)
            for shipment in order.shipments
            if shipment.courier and not shipment.waybill
        ]
    # one print run: each courier booked, the waybills recorded and uploaded in chunks
    batch = kit.book_pickups(wanted, actor=ACTOR)
    for waybill, error in batch.failed:  # the run loop retries them; say so meanwhile
        log.warning("erp.print_failed", order=waybill.order_id, shipment=waybill.shipment,
                    error=str(error))  # fmt: skip
    return sum(1 for outcome in batch.outcomes if outcome.waybill is not None)
