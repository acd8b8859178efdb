"""Try a rule change on past orders before it goes live: replay them through
the current and the new rule set, with no side effects, and diff the outcomes."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import yaml

from orderkit.config import load_config
from orderkit.models import Order
from orderkit.process.address_step import clean_receiver
from orderkit.process.context import gather_context
from orderkit.rules import RuleSet
from orderkit.rules.ruleset import SECTIONS
from orderkit.store.db import utcnow_naive
from orderkit.store.merge import GIFT_LINE_PREFIX

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

#: Hold reasons that come from ingest, not from the rules: kept when replaying.
_PLATFORM_HOLDS = {"unmapped_status", "address_changed_after_payment"}


@dataclass
class OrderDiff:
    order_id: str
    gifts_added: list[str] = field(default_factory=list)
    gifts_removed: list[str] = field(default_factory=list)
    warehouse: tuple[str, str] | None = None
    courier: tuple[str, str] | None = None
    hold: str | None = None  # "newly held" | "released"
    holds_before: list[str] = field(default_factory=list)
    holds_after: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.gifts_added
            or self.gifts_removed
            or self.warehouse
            or self.courier
            or self.hold
            or self.holds_before != self.holds_after
        )


@dataclass
class SimulationReport:
    orders: int = 0
    diffs: list[OrderDiff] = field(default_factory=list)
    summary: Counter[str] = field(default_factory=Counter)
    version_before: str = ""
    version_after: str = ""


def load_rules(kit: OrderKit, path: Path) -> RuleSet:
    """The new rules: a whole config, or just its ``rules`` section.

    Each rule family the file gives (``holds``, ``gifts``, ``allocation``,
    ``courier``) replaces the current one; a family it leaves out stays as it
    is, so trying a gift change takes a file with only ``gifts:`` (and
    ``gifts: []`` tries having none). Everything else (SKUs, warehouses...)
    comes from the current config. Validated fully."""
    rules = _rules_in(path)
    merged = kit.config.model_dump(mode="json", exclude_none=True)
    if isinstance(rules, dict):
        rules = {**(merged.get("rules") or {}), **rules}
    merged["rules"] = rules  # anything else: the schema says what is wrong
    config = load_config(
        merged, known_channels=set(kit.host.channels), known_couriers=set(kit.host.couriers)
    )
    return RuleSet.from_config(config)


def replaced_sections(path: Path) -> list[str]:
    """The rule families a new-rules file gives (the rest are kept)."""
    rules = _rules_in(path)
    return [name for name in SECTIONS if isinstance(rules, dict) and name in rules]


def _rules_in(path: Path) -> Any:
    """A new-rules file's ``rules`` section (the file itself when it has none)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get("rules", data) if isinstance(data, dict) else data


def base_order(order: Order) -> Order:
    """The order as the platform sent it, before orderkit's decisions."""
    lines = [line for line in order.lines if not line.line_id.startswith(GIFT_LINE_PREFIX)]
    holds = [h for h in order.hold_reasons if h.code in _PLATFORM_HOLDS]
    return order.model_copy(
        update={"lines": lines, "shipments": [], "hold_reasons": holds, "traces": []}
    )


def stored_orders(kit: OrderKit, since: timedelta) -> Iterable[Order]:
    o = kit.store.tables.orders
    cutoff = utcnow_naive(kit.clock.now() - since)
    with kit.store.db.transaction() as conn:
        snapshots = (
            conn.execute(
                sa.select(o.c.snapshot).where(o.c.platform_modified_at >= cutoff).order_by(o.c.id)
            )
            .scalars()
            .all()
        )
    for snapshot in snapshots:
        yield Order.model_validate_json(snapshot)


def simulate(kit: OrderKit, new: RuleSet, orders: Iterable[Order]) -> SimulationReport:
    current = kit.processor.rules
    report = SimulationReport(version_before=current.version, version_after=new.version)
    for stored in orders:
        order = clean_receiver(kit, base_order(stored))
        context = gather_context(kit, current, order)
        before = current.decide(order, context).summary()
        after = new.decide(order, context).summary()
        diff = _diff(stored.id or f"{stored.shop_id}/{stored.external_id}", before, after)
        report.orders += 1
        if diff.changed:
            report.diffs.append(diff)
            report.summary.update(_kinds(diff))
    return report


def _first(summary: dict[str, Any], key: str) -> str:
    shipments = summary["shipments"]
    return ",".join(sorted({str(s[key]) for s in shipments})) if shipments else "-"


def _diff(order_id: str, before: dict[str, Any], after: dict[str, Any]) -> OrderDiff:
    diff = OrderDiff(order_id)
    diff.gifts_added = sorted(set(after["gifts"]) - set(before["gifts"]))
    diff.gifts_removed = sorted(set(before["gifts"]) - set(after["gifts"]))
    for key in ("warehouse", "courier"):
        old, new = _first(before, key), _first(after, key)
        if old != new:
            setattr(diff, key, (old, new))
    if before["blocked"] != after["blocked"]:
        diff.hold = "newly held" if after["blocked"] else "released"
    diff.holds_before, diff.holds_after = before["holds"], after["holds"]
    return diff


def _kinds(diff: OrderDiff) -> list[str]:
    kinds = []
    if diff.gifts_added:
        kinds.append("gifts added")
    if diff.gifts_removed:
        kinds.append("gifts removed")
    if diff.warehouse:
        kinds.append("warehouse changed")
    if diff.courier:
        kinds.append("courier changed")
    if diff.hold:
        kinds.append(diff.hold)
    return kinds


def write_diff(report: SimulationReport, directory: Path) -> tuple[Path, Path]:
    """Per-order diff as CSV (for a spreadsheet) and JSON (for scripts)."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "order_id": d.order_id,
            "gifts_added": " ".join(d.gifts_added),
            "gifts_removed": " ".join(d.gifts_removed),
            "warehouse_before": d.warehouse[0] if d.warehouse else "",
            "warehouse_after": d.warehouse[1] if d.warehouse else "",
            "courier_before": d.courier[0] if d.courier else "",
            "courier_after": d.courier[1] if d.courier else "",
            "hold": d.hold or "",
            "holds_before": " ".join(d.holds_before),
            "holds_after": " ".join(d.holds_after),
        }
        for d in report.diffs
    ]
    csv_path, json_path = directory / "simulate.csv", directory / "simulate.json"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["order_id"])
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(
        json.dumps(
            {
                "orders": report.orders,
                "changed": len(report.diffs),
                "summary": dict(report.summary),
                "rule_set_before": report.version_before,
                "rule_set_after": report.version_after,
                "diffs": rows,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return csv_path, json_path
