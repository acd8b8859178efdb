# ruff: noqa: SIM300  (the ERP's upper-case column names are not constants)
"""The ERP as an orderkit plugin: ``persist_order``, ``stock_levels`` and its
warehouse's waybill printing as a job of ``orderkit run`` (``register_jobs``).

Two ways to plug it in:

- embedded (the usual case): the ERP builds its kit with
  ``plugins=[("legacy_erp", LegacyErpPlugin(bind))]``, where ``bind`` is the
  same engine, connection or session it gives orderkit;
- installed: the ``orderkit`` entry point loads this module; its module-level
  hookimpls read stock from ``LEGACY_ERP_DATABASE_URL``.

Either way orders are written with the connection orderkit hands to
``persist_order``, so the ERP's rows commit or roll back with orderkit's.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from legacy_erp.mapping import erp_order_number, header_values, line_values, order_key
from legacy_erp.schema import KC_KCB, XS_DDMX, XS_DDZB
from legacy_erp.warehouse import print_waybills, write_shipping_notes
from orderkit import hookimpl
from orderkit.errors import PluginError
from orderkit.models import Order
from orderkit.specs import JobSpec
from orderkit.store import StockLevel

NAME = "legacy_erp"
DATABASE_URL_ENV = "LEGACY_ERP_DATABASE_URL"

Bind = sa.Engine | sa.Connection | Session


def write_order(connection: sa.Connection, order: Order) -> int:
    """Upsert the 销售订单主表 row by (平台, 店铺, 外部单号) and replace its lines.

    Only the columns orderkit owns are updated; the ERP's own (订单编号,
    内部备注, 制单人, 制单时间) are set once or left alone. Returns ``DDID``.
    """
    values = header_values(order)
    ddid = connection.execute(_FIND_ORDER, order_key(order)).scalar()
    if ddid is None:
        inserted = connection.execute(XS_DDZB.insert(), {**values, "ZDR": "ORDERKIT"})
        assert inserted.inserted_primary_key is not None
        ddid = inserted.inserted_primary_key[0]
        connection.execute(_UPDATE_ORDER, {"b_ddid": ddid, "DDBH": erp_order_number(ddid, order)})
    else:
        connection.execute(_UPDATE_ORDER, {"b_ddid": ddid, **values})
        connection.execute(_DELETE_LINES, {"b_ddid": ddid})
    connection.execute(XS_DDMX.insert(), [{**row, "DDID": ddid} for row in line_values(order)])
    write_shipping_notes(connection, int(ddid), order)
    return int(ddid)


# Built once: an ERP writes every order orderkit changes, and building a
# statement costs SQLAlchemy more than running it (the values are parameters).
_FIND_ORDER = sa.select(XS_DDZB.c.DDID).where(
    *(XS_DDZB.c[column] == sa.bindparam(column) for column in ("PTDM", "DPDM", "WBDH"))
)
# the SET columns come from the parameters' keys
_UPDATE_ORDER = XS_DDZB.update().where(XS_DDZB.c.DDID == sa.bindparam("b_ddid"))
_DELETE_LINES = XS_DDMX.delete().where(XS_DDMX.c.DDID == sa.bindparam("b_ddid"))


def read_stock(connection: sa.Connection, skus: Sequence[str] | None) -> list[StockLevel]:
    """库存表 -> sellable stock: on hand (库存数量) minus the ERP's own locks (锁定数量)."""
    k = KC_KCB
    query = sa.select(k.c.SPBM, k.c.CKDM, k.c.KCSL, k.c.SDSL).order_by(k.c.SPBM, k.c.CKDM)
    if skus is not None:
        query = query.where(k.c.SPBM.in_(list(skus)))
    return [
        StockLevel(sku=row.SPBM, warehouse=row.CKDM, available=max(row.KCSL - row.SDSL, 0))
        for row in connection.execute(query)
    ]


@contextmanager
def _reading(bind: Bind) -> Iterator[sa.Connection]:
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            yield connection
    elif isinstance(bind, Session):
        yield bind.connection()  # inside the caller's session transaction
    else:
        yield bind  # inside the caller's transaction


class LegacyErpPlugin:
    """The ERP plugin bound to the ERP's database.

    :param bind: the engine, connection or session the ERP also passes to
        ``OrderKit.from_config(engine=...)``; stock is read through it.
    """

    def __init__(self, bind: Bind) -> None:
        self._bind = bind

    @hookimpl
    def persist_order(self, order: Order, connection: sa.Connection, created: bool) -> None:
        # upsert whether or not orderkit saw it before: the ERP may have
        # imported the order itself before orderkit was installed
        write_order(connection, order)

    @hookimpl
    def stock_levels(self, skus: Sequence[str] | None) -> list[StockLevel]:
        with _reading(self._bind) as connection:
            return read_stock(connection, skus)

    @hookimpl
    def register_jobs(self, register: Callable[[JobSpec], None]) -> None:
        # the warehouse prints waybills for allocated orders every minute
        bind = self._bind
        if isinstance(bind, sa.Engine):
            register(
                JobSpec(
                    name="legacy_erp.print-waybills",
                    interval=timedelta(minutes=1),
                    run=lambda kit: print_waybills(kit, bind),
                    description="打单: waybills for 已配货 orders",
                )
            )


# -- module-level hookimpls, for the installed entry point ----------------------


@hookimpl
def persist_order(order: Order, connection: sa.Connection, created: bool) -> None:
    write_order(connection, order)


@hookimpl
def stock_levels(skus: Sequence[str] | None) -> list[StockLevel]:
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise PluginError(
            f"set {DATABASE_URL_ENV} to the ERP's database URL, or register "
            "LegacyErpPlugin(engine) yourself",
            plugin_name=NAME,
            hook_name="stock_levels",
        )
    with _engine(url).connect() as connection:
        return read_stock(connection, skus)


@functools.cache
def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, pool_pre_ping=True)
