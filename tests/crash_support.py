"""Workspaces for the process-level tests: a Taobao sandbox and courier
sandboxes in processes of their own (the platforms outlive our crashes), a
config pointing at them, stock on the shelves, and a fingerprint of
everything ``orderkit run`` writes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from orderkit.demo.workspace import BULKY, SKUS
from orderkit.kit import OrderKit
from orderkit.store import StockLevel

REPO = Path(__file__).resolve().parents[1]

COURIERS: dict[str, dict[str, str]] = {
    "zto": {"app_key": "crash-zto", "app_secret": "crash-zto-secret"},
    "yto": {"customer_code": "CRASH01", "app_key": "crash-yto", "app_secret": "crash-yto-secret"},
    "jd": {"customer_code": "CRASH01", "app_key": "crash-jd", "app_secret": "crash-jd-secret",
           "access_token": "crash-jd-token"},
    "sf": {"partner_id": "CRASH_PARTNER", "check_word": "crash-sf-check"},
}  # fmt: skip
SECRET_NAMES = {"app_secret", "check_word", "access_token", "session"}
RULES: dict[str, Any] = {
    "holds": [
        {"id": "refund", "check": "refund_in_progress"},
        {"id": "big", "check": "amount_above", "limit": 2000},
        {"id": "memo", "check": "seller_memo", "severity": "warn"},
    ],
    "gifts": [
        {"id": "spring-299", "add": ["G2026-01"],
         "when": {"paid": {"gte": 299}, "sku": {"any": ["SCH-200ML", "SCH-50ML"]}}},
    ],
    "allocation": [
        {"id": "east", "when": {"region": {"province": ["华东"]}}, "warehouses": ["HZ", "GZ"],
         "split": "fewest_packages", "thresholds": [{"sku": "SCH-200ML", "warehouse": "HZ",
                                                     "min_stock": 500}]},
    ],
    "courier": [
        {"id": "bulky", "when": {"bulky": True}, "courier": "jd", "priority": 1},
        {"id": "remote", "when": {"region": {"remote_area": True}}, "courier": "yto"},
        {"id": "jzh", "when": {"region": {"province": ["江浙沪"]}}, "courier": "zto"},
    ],
}  # fmt: skip


@dataclass
class Servers:
    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def start(self, code: str, options: dict[str, Any]) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.sandbox_server", code, json.dumps(options, default=str)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("PORT "):
            process.kill()
            raise RuntimeError(f"sandbox {code} did not start: {line!r}")
        self.processes.append(process)
        self.urls[code] = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


def start_sandboxes(t0: datetime, orders: int, shops: int = 1) -> Servers:
    """Taobao shops (one sandbox each) and the four courier sandboxes, with
    clocks pinned at ``t0`` so two sets of them answer alike."""
    servers = Servers()
    for n in range(shops):
        servers.start(
            "taobao",
            {
                "seed": 11 + n,
                "orders": orders,
                "start": (t0 - timedelta(hours=6)).isoformat(),
                "end": (t0 - timedelta(hours=1)).isoformat(),
                "frozen_at": t0.isoformat(),
                "churn_rate": 0.0,
                "max_skew": 86400.0,
                "app_key": "crash-app",
                "app_secret": "crash-secret",
                "session": "crash-session",
            },
        )
        servers.urls[f"tb{n}"] = servers.urls.pop("taobao")
    for code, credentials in COURIERS.items():
        servers.start(
            code, {"seed": 5, "frozen_at": t0.isoformat(), "max_skew": 86400.0, **credentials}
        )
    return servers


def write_config(
    directory: Path, url: str, servers: Servers, *, shops: int = 1, prefix: str = "ok_"
) -> Path:
    config: dict[str, Any] = {
        "version": 1,
        "database": {"url": url, "table_prefix": prefix},
        "shops": [
            {
                "id": f"tb{n}",
                "channel": "taobao",
                "endpoint": servers.urls[f"tb{n}"],
                "app_key": "crash-app",
                "app_secret": "sandbox:crash-secret",
                "session": "sandbox:crash-session",
                # the sandbox's clock stands still at t0; the last hour is re-read on
                # every pass, so the platform's "shipped" echoes are always seen
                "overlap": "1h",
                "settings": {"initial_lookback_hours": 8, "calls_per_second": 1000, "burst": 1000},
            }
            for n in range(shops)
        ],
        "warehouses": [
            {
                "code": "HZ",
                "name": "杭州仓",
                "regions": ["浙江", "江苏", "上海", "安徽"],
                "province": "浙江省",
                "city": "杭州市",
                "district": "余杭区",
                "address": "仓前街道1号",
                "contact": "王仓管",
                "phone": "0571-88880000",
            },
            {
                "code": "GZ",
                "name": "广州仓",
                "regions": ["广东", "广西", "湖南"],
                "province": "广东省",
                "city": "广州市",
                "district": "白云区",
                "address": "太和镇2号",
                "contact": "李仓管",
                "phone": "020-66660000",
            },
        ],
        "skus": {sku: {"weight_g": g, "bulky": sku in BULKY} for sku, g in SKUS.items()},
        "couriers": [
            {
                "code": code,
                "endpoint": servers.urls[code],
                **{k: (f"sandbox:{v}" if k in SECRET_NAMES else v) for k, v in credentials.items()},
            }
            for code, credentials in COURIERS.items()
        ],
        "run": {"book_pickups": True, "process_shards": 4},
        "rules": RULES,
        "logging": {"level": "warning"},
    }
    path = directory / "orderkit.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    kit = OrderKit.from_config(path)
    kit.upgrade_database()
    kit.store.stock.refresh([StockLevel(sku, wh, 100_000) for sku in SKUS for wh in ("HZ", "GZ")])
    if kit.engine is not None:
        kit.engine.dispose()
    return path


@contextmanager
def workspace(root: Path, name: str, t0: datetime, orders: int) -> Iterator[tuple[Path, str]]:
    """One run's directory, sandboxes of its own (the same seeds and clock as
    every other run's) and its config: yields (config path, database URL)."""
    workdir = root / name
    workdir.mkdir()
    servers = start_sandboxes(t0, orders)
    try:
        url = f"sqlite:///{workdir / 'orderkit.db'}"
        yield write_config(workdir, url, servers), url
    finally:
        servers.stop()


def run_cli(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orderkit", "run", "--once", "-c", str(config), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fingerprint(url: str, prefix: str = "ok_") -> dict[str, Any]:
    """Everything the run decided and wrote, without times."""
    engine = sa.create_engine(url)
    md = sa.MetaData()
    names = ("orders", "reservations", "shipments", "outbox", "timeline", "gift_quota_claims")
    md.reflect(engine, only=[f"{prefix}{name}" for name in names])
    t = {name[len(prefix) :]: table for name, table in md.tables.items()}
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        orders = {}
        o = t["orders"].c
        for row in conn.execute(sa.select(o.id, o.lifecycle, o.version, o.snapshot)):
            snap = json.loads(row.snapshot)
            orders[row.id] = (
                row.lifecycle,
                row.version,
                sorted(line["line_id"] for line in snap["lines"] if line.get("is_gift")),
                sorted(
                    (
                        s["shipment_id"],
                        s.get("warehouse"),
                        s.get("courier"),
                        s.get("waybill"),
                        s.get("status"),
                    )
                    for s in snap.get("shipments", [])
                ),
            )
        out["orders"] = orders
        r = t["reservations"].c
        out["reservations"] = sorted(
            conn.execute(sa.select(r.order_id, r.line_id, r.sku, r.warehouse, r.quantity, r.state))
        )
        s = t["shipments"].c
        out["shipments"] = sorted(
            conn.execute(sa.select(s.order_id, s.shipment_id, s.courier, s.waybill, s.state))
        )
        # monitor alerts read the wall clock (an order crosses "unpaid 2 h" between
        # two runs a minute apart): every other event must be identical
        box = t["outbox"].c
        out["outbox"] = sorted(
            conn.execute(sa.select(box.id).where(~box.topic.startswith("alert."))).scalars()
        )
        g = t["gift_quota_claims"].c
        out["gift_claims"] = sorted(
            conn.execute(sa.select(g.order_id, g.rule_id, g.units, g.state))
        )
        tl = t["timeline"].c
        out["timeline"] = Counter(
            (row.order_id, row.kind) for row in conn.execute(sa.select(tl.order_id, tl.kind))
        )
    engine.dispose()
    return out
