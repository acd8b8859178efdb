"""Embedding: the ERP hands orderkit a live ``Connection`` or ORM ``Session``
and orderkit's writes join the ERP's transaction. The ERP's rollback removes
orderkit's rows (orders, timeline, outbox, dead letters) with its own; its
commit keeps both. On SQLite, PostgreSQL and MariaDB.

orderkit's tables are created beforehand through an engine (``erp_engine``):
DDL commits implicitly on MySQL, so migrations never run inside the
transaction a test rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from orderkit import hookimpl
from orderkit.kit import OrderKit
from tests import test_legacy_erp as legacy  # puts examples/legacy_erp on sys.path
from tests.conftest import make_order_payload
from tests.test_legacy_erp import PREFIX, available, make_kit, order_payload

# the ERP's fixtures: a database of its own per test, schema and orderkit's tables in it
erp_url = legacy.erp_url
erp_engine = legacy.erp_engine

from legacy_erp import KC_KCB, XS_DDMX, XS_DDZB  # noqa: E402
from legacy_erp.erp import receive_stock  # noqa: E402

ORDERKIT_TABLES = ("orders", "timeline", "outbox", "dead_letters", "stock_balances", "reservations")
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "embedding.md"


def counts(engine: sa.Engine) -> dict[str, int]:
    """Committed rows per table, seen from a connection of its own."""
    tables = [sa.table(f"{PREFIX}{name}") for name in ORDERKIT_TABLES]
    tables += [XS_DDZB, XS_DDMX, KC_KCB]
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in tables
        }


@contextmanager
def erp_transaction(engine: sa.Engine, how: str, outcome: str) -> Iterator[Any]:
    """What the ERP holds during its unit of work: a connection in a begun
    transaction, or an ORM session; committed or rolled back at the end."""
    if how == "connection":
        with engine.connect() as conn:
            trans = conn.begin()
            yield conn
            trans.commit() if outcome == "commit" else trans.rollback()
    else:
        with Session(engine) as session:
            yield session
            session.commit() if outcome == "commit" else session.rollback()


def erp_connection(bind: Any) -> sa.Connection:
    return bind.connection() if isinstance(bind, Session) else bind


@pytest.mark.parametrize("how", ["connection", "session"])
@pytest.mark.parametrize("outcome", ["rollback", "commit"])
def test_orderkit_rows_follow_the_erps_transaction(
    erp_url: str, erp_engine: sa.Engine, how: str, outcome: str
) -> None:
    empty = counts(erp_engine)
    assert set(empty.values()) == {0}

    with erp_transaction(erp_engine, how, outcome) as bind:
        kit = make_kit(erp_url, bind)
        result = kit.ingest(
            [
                order_payload("T1"),
                make_order_payload(external_id="T2"),
                {"channel": "own", "shop_id": "own-mini", "external_id": "BAD"},  # dead letter
            ]
        )
        assert (result.created, len(result.rejected)) == (2, 1)
        receive_stock(erp_connection(bind), "SKU-SHCH-50", "HZ01", 5)
        assert kit.refresh_stock() == 1
        assert kit.reserve_stock("own-mini/T1", [("L1", "SKU-SHCH-50", "HZ01", 2)])
        # inside the transaction everything is visible to the ERP and to orderkit
        assert kit.get("own-mini/T1").version == 1
        assert (
            erp_connection(bind)
            .execute(sa.select(sa.func.count()).select_from(XS_DDZB))
            .scalar_one()
            == 2
        )
        # ...and nothing has leaked out of it yet
        if erp_engine.dialect.name != "sqlite":  # SQLite: one writer locks the file
            assert counts(erp_engine) == empty

    after = counts(erp_engine)
    if outcome == "rollback":
        assert after == empty
    else:
        assert after == {
            f"{PREFIX}orders": 2,
            f"{PREFIX}timeline": 2,
            f"{PREFIX}outbox": 2,
            f"{PREFIX}dead_letters": 1,
            f"{PREFIX}stock_balances": 1,
            f"{PREFIX}reservations": 1,
            "XS_DDZB": 2,
            "XS_DDMX": 3,
            "KC_KCB": 1,
        }
        events = make_kit(erp_url, erp_engine).outbox.poll(10)
        assert sorted(e.topic for e in events) == ["order.created", "order.created"]


def test_the_erps_own_write_and_the_ingest_commit_together(
    erp_url: str, erp_engine: sa.Engine
) -> None:
    # the ERP's unit of work: receive goods, take in an order, in one transaction
    with erp_engine.begin() as conn:
        receive_stock(conn, "SKU-SHCH-50", "HZ01", 5)
        kit = make_kit(erp_url, conn)
        assert kit.ingest([order_payload("T1")]).created == 1
        assert kit.refresh_stock() == 1
        assert kit.reserve_stock("own-mini/T1", [("L1", "SKU-SHCH-50", "HZ01", 2)])
    assert counts(erp_engine) == {
        f"{PREFIX}orders": 1,
        f"{PREFIX}timeline": 1,
        f"{PREFIX}outbox": 1,
        f"{PREFIX}dead_letters": 0,
        f"{PREFIX}stock_balances": 1,
        f"{PREFIX}reservations": 1,
        "XS_DDZB": 1,
        "XS_DDMX": 2,
        "KC_KCB": 1,
    }
    assert available(make_kit(erp_url, erp_engine)) == {("SKU-SHCH-50", "HZ01"): (5, 2)}

    # the same unit of work failing in the ERP's own code takes orderkit's rows with it
    before = counts(erp_engine)
    with pytest.raises(sa.exc.IntegrityError), erp_engine.begin() as conn:
        kit = make_kit(erp_url, conn)
        assert kit.ingest([order_payload("T2")]).created == 1
        conn.execute(KC_KCB.insert().values(SPBM="SKU-SHCH-50", CKDM="HZ01", KCSL=1))  # duplicate
    assert counts(erp_engine) == before


def test_a_failing_erp_plugin_leaves_nothing_after_the_erps_rollback(
    erp_url: str, erp_engine: sa.Engine
) -> None:
    class BrokenErp:
        @hookimpl
        def persist_order(self, order: Any, connection: sa.Connection, created: bool) -> None:
            raise RuntimeError("ERP table locked by the month-end close")

    with pytest.raises(RuntimeError, match="month-end"), erp_engine.begin() as conn:
        kit = OrderKit.from_config(
            {"version": 1, "database": {"url": erp_url}},
            engine=conn,
            entrypoints=False,
            plugins=[("broken_erp", BrokenErp())],
        )
        kit.ingest([order_payload("T1")])
    assert set(counts(erp_engine).values()) == {0}


def test_a_short_reservation_takes_nothing_inside_the_erps_transaction(
    erp_url: str, erp_engine: sa.Engine
) -> None:
    with erp_engine.begin() as conn:
        receive_stock(conn, "SKU-SHCH-50", "HZ01", 5)
        receive_stock(conn, "SKU-CUP", "HZ01", 0)
    with erp_engine.connect() as conn, conn.begin():
        kit = make_kit(erp_url, conn)
        (order_id,) = kit.ingest([order_payload("T1")]).created_ids
        kit.refresh_stock()
        both = [("L1", "SKU-SHCH-50", "HZ01", 2), ("L2", "SKU-CUP", "HZ01", 1)]
        assert not kit.reserve_stock(order_id, both)
        assert available(kit)[("SKU-SHCH-50", "HZ01")] == (5, 0)
        # a line reserved by an earlier call stays reserved when a later one is short
        assert kit.reserve_stock(order_id, both[:1])
        assert not kit.reserve_stock(order_id, both)
        assert available(kit)[("SKU-SHCH-50", "HZ01")] == (5, 2)


def test_the_embedding_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every snippet of docs/embedding.md, in order, against the example (SQLite)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORDERKIT_LOAD_PLUGINS", "")  # only the plugins the guide registers
    namespace: dict[str, Any] = {}
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    for block in blocks:
        exec(compile(block, str(GUIDE), "exec"), namespace)
    engine = namespace["engine"]
    try:
        with engine.connect() as conn:
            headers = conn.execute(sa.select(XS_DDZB.c.WBDH, XS_DDZB.c.DDZT)).all()
        assert sorted(headers) == [("T1001", "20"), ("T1002", "10")]  # T1003 rolled back
        assert available(namespace["kit"]) == {("SKU-SHCH-50", "HZ01"): (5, 0)}
    finally:
        engine.dispose()


@pytest.mark.parametrize("outcome", ["rollback", "commit"])
def test_batched_process_and_ship_follow_the_erps_transaction(
    erp_url: str, erp_engine: sa.Engine, outcome: str
) -> None:
    """``process_many`` and ``ship_many`` write whole batches at once; inside
    the ERP's transaction those writes are the ERP's to keep or roll back."""
    from orderkit.clock import FakeClock
    from orderkit.ship import Waybill
    from tests.conftest import kit_config
    from tests.test_legacy_erp import LegacyErpPlugin, erp_plugin

    empty = counts(erp_engine)
    with erp_transaction(erp_engine, "connection", outcome) as bind:
        kit = OrderKit.from_config(
            kit_config(
                erp_url,
                PREFIX,
                warehouses=[{"code": "HZ01", "name": "杭州仓", "regions": ["浙江"]}],
            ),
            engine=bind,
            entrypoints=False,
            clock=FakeClock(),
            plugins=[(erp_plugin.NAME, LegacyErpPlugin(bind))],
        )
        kit.ingest([order_payload(f"B{i}") for i in range(3)])
        receive_stock(erp_connection(bind), "SKU-SHCH-50", "HZ01", 100)
        receive_stock(erp_connection(bind), "SKU-CUP", "HZ01", 100)
        kit.refresh_stock()
        ids = [kit.get(f"own-mini/B{i}").order.id or "" for i in range(3)]
        batch = kit.processor.process_many(ids)
        assert [o.status for o in batch.outcomes] == ["allocated"] * 3, batch
        shipped = kit.shipper.ship_many(
            [Waybill(oid, "zto", f"ZT{n}") for n, oid in enumerate(ids)], actor="wh:1"
        )
        assert [o.state for o in shipped.outcomes] == ["uploaded"] * 3 and not shipped.failed
        assert {kit.get(oid).lifecycle.value for oid in ids} == {"shipped"}
    after = counts(erp_engine)
    if outcome == "rollback":
        assert after == empty
    else:
        assert after[f"{PREFIX}orders"] == 3
        assert after[f"{PREFIX}reservations"] == 6  # two lines each, consumed when shipped
        balances = available(make_kit(erp_url, erp_engine))
        assert balances[("SKU-SHCH-50", "HZ01")] == (94, 0)  # 3 x 2 left the shelf
