# ruff: noqa: SIM300  (the ERP's upper-case column names are not constants)
"""The legacy ERP example (``examples/legacy_erp``): orderkit feeds an old
ERP's own tables through ``persist_order`` and reads its stock through
``stock_levels``, without changing its schema. On SQLite, PostgreSQL and
MariaDB; the ERP gets a database of its own, since its table names are fixed.
"""

from __future__ import annotations

import re
import sys
import tomllib
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from orderkit.clock import FakeClock
from orderkit.errors import PluginError
from orderkit.kit import OrderKit
from orderkit.models import Lifecycle, RefundState
from orderkit.store import create_engine
from tests.conftest import kit_config, make_order_payload
from tests.databases import server_url

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "legacy_erp"
sys.path.insert(0, str(EXAMPLE))

from legacy_erp import (  # noqa: E402
    ERP_TABLES,
    KC_KCB,
    XS_DDMX,
    XS_DDZB,
    LegacyErpPlugin,
    create_erp_schema,
)
from legacy_erp import plugin as erp_plugin  # noqa: E402
from legacy_erp.erp import receive_stock, write_memo  # noqa: E402
from legacy_erp.mapping import ORDER_STATUS, REFUND_STATUS, yuan  # noqa: E402
from legacy_erp.schema import ORDER_STATUS_NAMES, REFUND_STATUS_NAMES  # noqa: E402

PREFIX = "ok_"  # the ERP's database is ours alone here, so the real default


# -- fixtures (test_embedding.py imports them too) ------------------------------


@pytest.fixture()
def erp_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database for the ERP on ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'erp.db'}"
        return
    server = sa.make_url(server_url(backend))
    name = f"erp_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    charset = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if backend == "mysql" else ""
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}{charset}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if backend == "postgres" else ""
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}{force}")
        admin.dispose()


@pytest.fixture()
def erp_engine(erp_url: str) -> Iterator[sa.Engine]:
    """The ERP's engine: its schema created, then orderkit's tables beside it."""
    engine = create_engine(erp_url)
    create_erp_schema(engine)
    make_kit(erp_url, engine).upgrade_database()
    yield engine
    engine.dispose()


def make_kit(url: str, bind: Any) -> OrderKit:
    """A kit on ``bind`` (engine, connection or session) with the ERP plugin on the same bind."""
    return OrderKit.from_config(
        kit_config(url, PREFIX),
        engine=bind,
        entrypoints=False,
        clock=FakeClock(),
        plugins=[(erp_plugin.NAME, LegacyErpPlugin(bind))],
    )


def rows(bind: sa.Engine | sa.Connection, table: sa.Table, *order_by: str) -> list[Any]:
    columns = [table.c[name] for name in order_by] or list(table.primary_key)
    query = sa.select(table).order_by(*columns)
    if isinstance(bind, sa.Connection):
        return list(bind.execute(query).all())
    with bind.connect() as conn:
        return list(conn.execute(query).all())


def order_payload(external_id: str = "T1", **overrides: Any) -> dict[str, Any]:
    """A two-line Tmall-like order with a gift, odd fen and a Chinese address."""
    payload = make_order_payload(
        external_id=external_id,
        paid_at="2026-11-11T10:01:00+08:00",
        amounts={"goods_total": 65901, "discount": 1001, "post_fee": 800, "paid": 65700},
        lines=[
            {
                "line_id": "L1",
                "sku": "SKU-SHCH-50",
                "title": "手冲咖啡 50 包",
                "quantity": 2,
                "unit_price": 32900,
                "discount": 1001,
                "paid": 64799,
            },
            {
                "line_id": "L2",
                "sku": "SKU-CUP",
                "title": "赠品杯",
                "quantity": 1,
                "unit_price": 101,
                "is_gift": True,
                "parent_line_id": "L1",
                "paid": 101,
            },
        ],
        receiver={
            "raw": "浙江省杭州市西湖区文三路 90 号东门保安室",
            "name_masked": "张**",
            "phone_masked": "138****0000",
        },
        buyer={"message": "周末送"},
    )
    payload.update(overrides)
    return payload


# -- feeding the ERP's order tables ------------------------------------------------


def test_ingest_writes_erp_header_and_lines_in_yuan(erp_url: str, erp_engine: sa.Engine) -> None:
    kit = make_kit(erp_url, erp_engine)
    result = kit.ingest(
        [
            order_payload("T1"),
            make_order_payload(external_id="T2", platform_status={"status": "WAIT_PAY"}),
        ]
    )
    assert (result.created, result.rejected) == (2, [])

    first, second = rows(erp_engine, XS_DDZB, "WBDH")
    assert (first.PTDM, first.DPDM, first.WBDH) == ("ZY", "own-mini", "T1")
    assert first.DDBH == f"XS261111{first.DDID:06d}"
    assert (first.DDZT, first.TKZT, first.GQBZ) == ("10", "0", "N")
    assert (second.WBDH, second.DDZT) == ("T2", "00")
    assert (first.SPJE, first.YHJE, first.YF, first.SFJE) == (
        Decimal("659.01"),
        Decimal("10.01"),
        Decimal("8.00"),
        Decimal("657.00"),
    )
    # the ERP keeps naive Beijing wall-clock time
    assert (first.XDSJ, first.FKSJ) == (
        datetime(2026, 11, 11, 10, 0),
        datetime(2026, 11, 11, 10, 1),
    )
    assert (first.SHR, first.SJHM, first.MJLY) == ("张**", "138****0000", "周末送")
    assert first.SHDZ.startswith("浙江省杭州市西湖区")
    assert first.ZDR == "ORDERKIT"

    lines = [r for r in rows(erp_engine, XS_DDMX, "DDID", "HH") if r.DDID == first.DDID]
    assert [(r.HH, r.WBHH, r.SPBM, r.SPMC, r.SL, r.DJ, r.YHJE, r.JE, r.ZPBZ) for r in lines] == [
        (
            1,
            "L1",
            "SKU-SHCH-50",
            "手冲咖啡 50 包",
            2,
            Decimal("329.00"),
            Decimal("10.01"),
            Decimal("647.99"),
            "N",
        ),
        (2, "L2", "SKU-CUP", "赠品杯", 1, Decimal("1.01"), Decimal("0.00"), Decimal("1.01"), "Y"),
    ]


def test_platform_update_changes_the_erp_row_without_a_duplicate(
    erp_url: str, erp_engine: sa.Engine
) -> None:
    kit = make_kit(erp_url, erp_engine)
    kit.ingest([order_payload("T1")])
    (before,) = rows(erp_engine, XS_DDZB)
    with erp_engine.begin() as conn:  # the ERP's staff note something on the order
        write_memo(conn, before.DDBH, "老客户, 优先发")

    shipped = order_payload(
        "T1",
        modified_at="2026-11-12T09:00:00+08:00",
        platform_status={"status": "SHIPPED"},
        amounts={"goods_total": 32900, "discount": 0, "post_fee": 0, "paid": 32900},
        lines=[
            {
                "line_id": "L1",
                "sku": "SKU-SHCH-50",
                "title": "手冲咖啡 50 包",
                "quantity": 1,
                "unit_price": 32900,
            }
        ],
    )
    assert kit.ingest([shipped]).updated == 1
    # replays and a stale poll change nothing
    again = kit.ingest([shipped, order_payload("T1")])
    assert (again.updated, again.unchanged) == (0, 2)

    (after,) = rows(erp_engine, XS_DDZB)
    assert (after.DDID, after.DDBH) == (before.DDID, before.DDBH)
    assert (after.DDZT, after.SFJE, after.XGSJ) == (
        "50",
        Decimal("329.00"),
        datetime(2026, 11, 12, 9, 0),
    )
    assert after.BZ == "老客户, 优先发"  # the ERP's own column is never overwritten
    assert [(r.DDID, r.HH, r.SL, r.JE) for r in rows(erp_engine, XS_DDMX)] == [
        (before.DDID, 1, 1, Decimal("329.00"))
    ]


def test_guarded_changes_reach_the_erp(erp_url: str, erp_engine: sa.Engine) -> None:
    kit = make_kit(erp_url, erp_engine)
    (order_id,) = kit.ingest([order_payload("T1")]).created_ids
    kit.transition(
        order_id, Lifecycle.ON_HOLD, actor="user:42", reason="address check", expected_version=1
    )
    assert rows(erp_engine, XS_DDZB)[0].DDZT == "11"
    kit.transition(
        order_id, Lifecycle.APPROVED, actor="user:42", reason="address ok", expected_version=2
    )
    assert rows(erp_engine, XS_DDZB)[0].DDZT == "20"

    cancelled = order_payload(
        "T1",
        modified_at="2026-11-11T12:00:00+08:00",
        platform_status={"status": "CANCELLED", "refund_status": "REFUNDED"},
    )
    kit.ingest([cancelled])
    (header,) = rows(erp_engine, XS_DDZB)
    assert (header.DDZT, header.TKZT) == ("90", "3")


# -- reading the ERP's stock ---------------------------------------------------------


def test_erp_stock_feeds_balances_and_reservations(erp_url: str, erp_engine: sa.Engine) -> None:
    with erp_engine.begin() as conn:
        conn.execute(
            KC_KCB.insert(),
            [
                {"SPBM": "SKU-SHCH-50", "CKDM": "HZ01", "KCSL": 10, "SDSL": 2},
                {"SPBM": "SKU-SHCH-50", "CKDM": "SH02", "KCSL": 3, "SDSL": 0},
                {"SPBM": "SKU-CUP", "CKDM": "HZ01", "KCSL": 1, "SDSL": 5},  # over-locked: none
            ],
        )
    kit = make_kit(erp_url, erp_engine)
    assert kit.refresh_stock() == 3
    assert available(kit) == {
        ("SKU-SHCH-50", "HZ01"): (8, 0),
        ("SKU-SHCH-50", "SH02"): (3, 0),
        ("SKU-CUP", "HZ01"): (0, 0),
    }

    (order_id,) = kit.ingest([order_payload("T1")]).created_ids
    assert kit.reserve_stock(order_id, [("L1", "SKU-SHCH-50", "HZ01", 2)])
    assert kit.reserve_stock(order_id, [("L1", "SKU-SHCH-50", "HZ01", 2)])  # idempotent
    (other,) = kit.ingest([order_payload("T2")]).created_ids
    assert not kit.reserve_stock(other, [("L1", "SKU-SHCH-50", "HZ01", 7)])  # 6 free
    assert kit.reserve_stock(other, [("L1", "SKU-SHCH-50", "HZ01", 6)])
    assert available(kit)[("SKU-SHCH-50", "HZ01")] == (8, 8)

    # a goods receipt in the ERP shows up on the next refresh; reservations stay
    with erp_engine.begin() as conn:
        receive_stock(conn, "SKU-SHCH-50", "HZ01", 5)
        receive_stock(conn, "SKU-NEW", "HZ01", 4)
    assert kit.refresh_stock(["SKU-SHCH-50"]) == 2
    assert available(kit)[("SKU-SHCH-50", "HZ01")] == (13, 8)
    assert ("SKU-NEW", "HZ01") not in available(kit)

    assert kit.release_stock(order_id) == 1
    assert available(kit)[("SKU-SHCH-50", "HZ01")] == (13, 6)


def available(kit: OrderKit) -> dict[tuple[str, str], tuple[int, int]]:
    return {key: (b.available, b.reserved) for key, b in kit.store.stock.balances().items()}


# -- the ERP's schema stays the ERP's --------------------------------------------------


def erp_schema(engine: sa.Engine) -> dict[str, Any]:
    """Everything about the ERP's tables a migration could change."""
    inspector = sa.inspect(engine)
    return {
        name: {
            "columns": [
                (c["name"], repr(c["type"]), c["nullable"], c.get("default"), c.get("comment"))
                for c in inspector.get_columns(name)
            ],
            "pk": inspector.get_pk_constraint(name)["constrained_columns"],
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
            ),
            "indexes": sorted(
                (tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)
            ),
            "fks": [
                (f["constrained_columns"], f["referred_table"])
                for f in inspector.get_foreign_keys(name)
            ],
        }
        for name in ERP_TABLES
    }


def test_orderkit_leaves_the_erp_schema_as_it_was(erp_url: str) -> None:
    engine = create_engine(erp_url)
    try:
        create_erp_schema(engine)
        before = erp_schema(engine)
        kit = make_kit(erp_url, engine)
        kit.upgrade_database()
        kit.upgrade_database()  # a second upgrade is a no-op
        with engine.begin() as conn:
            receive_stock(conn, "SKU-SHCH-50", "HZ01", 5)
        kit.ingest([order_payload("T1")])
        kit.refresh_stock()

        assert erp_schema(engine) == before
        added = set(sa.inspect(engine).get_table_names()) - set(ERP_TABLES)
        assert added and all(name.startswith(PREFIX) for name in added)
        assert f"{PREFIX}orders" in added
    finally:
        engine.dispose()


# -- the mapping and the packaging (no database) ----------------------------------------


def test_every_canonical_state_has_an_erp_code() -> None:
    assert set(ORDER_STATUS) == set(Lifecycle)
    assert set(ORDER_STATUS.values()) <= set(ORDER_STATUS_NAMES)
    assert set(REFUND_STATUS) == set(RefundState)
    assert set(REFUND_STATUS.values()) <= set(REFUND_STATUS_NAMES)


@pytest.mark.parametrize("fen", [0, 1, 10, 99, 100, 32901, 10**12 - 1])
def test_fen_become_exact_yuan(fen: int) -> None:
    assert yuan(fen) == Decimal(fen) / 100
    assert str(yuan(fen)) == f"{fen // 100}.{fen % 100:02d}"


def test_amounts_beyond_the_erp_column_are_refused() -> None:
    with pytest.raises(ValueError, match="NUMERIC"):
        yuan(10**12)


def test_entry_point_module_plugs_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["orderkit"] == {"legacy_erp": "legacy_erp.plugin"}

    url = f"sqlite:///{tmp_path / 'erp.db'}"
    engine = sa.create_engine(url)
    create_erp_schema(engine)
    with engine.begin() as conn:
        receive_stock(conn, "SKU-CUP", "HZ01", 4)
    engine.dispose()
    kit = OrderKit.from_config(
        kit_config(url, PREFIX), entrypoints=False, plugins=[(erp_plugin.NAME, erp_plugin)]
    )
    try:
        kit.upgrade_database()
        monkeypatch.delenv(erp_plugin.DATABASE_URL_ENV, raising=False)
        with pytest.raises(PluginError, match=erp_plugin.DATABASE_URL_ENV):
            kit.refresh_stock()

        monkeypatch.setenv(erp_plugin.DATABASE_URL_ENV, url)
        assert kit.refresh_stock() == 1
        assert available(kit) == {("SKU-CUP", "HZ01"): (4, 0)}
    finally:
        kit.engine.dispose()
        erp_plugin._engine(url).dispose()
        erp_plugin._engine.cache_clear()


def test_the_readme_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORDERKIT_LOAD_PLUGINS", "")
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    for block in re.findall(r"```python\n(.*?)```", readme, re.S):
        exec(compile(block, "README.md", "exec"), namespace)
    engine = namespace["engine"]
    try:
        tables = set(sa.inspect(engine).get_table_names())
        assert set(ERP_TABLES) < tables and f"{PREFIX}orders" in tables
    finally:
        engine.dispose()
