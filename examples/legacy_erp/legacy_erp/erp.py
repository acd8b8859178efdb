# ruff: noqa: SIM300  (the ERP's upper-case column names are not constants)
"""A little of the ERP's own business code, which knows nothing of orderkit.

The tests use it to show the ERP's writes and orderkit's sharing one
transaction: a goods receipt (入库) and a staff memo on an order.
"""

from __future__ import annotations

import sqlalchemy as sa

from legacy_erp.schema import KC_KCB, XS_DDZB


def receive_stock(connection: sa.Connection, sku: str, warehouse: str, quantity: int) -> None:
    """入库: add ``quantity`` on hand of ``sku`` in ``warehouse``."""
    k = KC_KCB
    where = (k.c.SPBM == sku, k.c.CKDM == warehouse)
    moved = connection.execute(
        k.update().where(*where).values(KCSL=k.c.KCSL + quantity, GXSJ=sa.func.current_timestamp())
    ).rowcount
    if moved == 0:
        connection.execute(
            k.insert().values(
                SPBM=sku, CKDM=warehouse, KCSL=quantity, GXSJ=sa.func.current_timestamp()
            )
        )


def write_memo(connection: sa.Connection, order_number: str, memo: str) -> None:
    """内部备注: what the ERP's staff type on an order (orderkit never overwrites it)."""
    connection.execute(XS_DDZB.update().where(XS_DDZB.c.DDBH == order_number).values(BZ=memo))
