"""The demo pipeline: run the bundled example orders through the stages that
exist and report what each stage did. Later issues extend it until it is the
full pipeline (sync, store, rules, shipping)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orderkit._resources import data_path

if TYPE_CHECKING:
    from orderkit.kit import OrderKit


@dataclass
class StageReport:
    external_id: str
    validated: bool
    error: str | None = None
    lifecycle: str | None = None
    refund: str | None = None
    presale: str | None = None
    unmapped: dict[str, str] = field(default_factory=dict)
    hold_reasons: list[str] = field(default_factory=list)


@dataclass
class DemoReport:
    plugins: list[str]
    channels: list[str]
    orders: list[StageReport]

    @property
    def by_lifecycle(self) -> Counter[str]:
        return Counter(r.lifecycle or "UNMAPPED" for r in self.orders if r.validated)


def demo_orders() -> list[dict[str, Any]]:
    with data_path("demo", "own_orders.json").open(encoding="utf-8") as fh:
        orders: list[dict[str, Any]] = json.load(fh)
    return orders


def run_demo(kit: OrderKit, payloads: list[dict[str, Any]] | None = None) -> DemoReport:
    from orderkit.errors import InvalidOrder
    from orderkit.status import UNMAPPED_STATUS_HOLD
    from orderkit.validation import validate_order

    reports: list[StageReport] = []
    for payload in payloads if payloads is not None else demo_orders():
        external_id = str(payload.get("external_id", "?"))
        try:
            order = validate_order(payload)
        except InvalidOrder as exc:
            first = exc.errors[0] if exc.errors else {"field": exc.field, "message": str(exc)}
            error = f"{first['field']}: {first['message']}"
            reports.append(StageReport(external_id, validated=False, error=error))
            continue
        result = kit.map_status(order)
        report = StageReport(external_id, validated=True, unmapped=dict(result.unmapped))
        if result.axes is not None:
            report.lifecycle = result.axes.lifecycle.value
            report.refund = result.axes.refund.value
            report.presale = result.axes.presale.value
        if result.is_unmapped:
            report.hold_reasons.append(UNMAPPED_STATUS_HOLD)
        reports.append(report)
    info = kit.host.describe()
    return DemoReport(
        plugins=[p["name"] for p in info["plugins"]],
        channels=sorted(kit.host.channels),
        orders=reports,
    )
