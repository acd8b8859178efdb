"""The canonical models this package outputs, built in one place.

Measured on pydantic 2.13: validating these small models in pydantic-core
costs about what ``model_copy`` of a template does and less than
``model_construct`` (which deep-copies every default in Python), so they are
built with their ordinary, validating constructors.
"""

from __future__ import annotations

from typing import Any

from orderkit.models.order import (
    DecisionTrace,
    HoldReason,
    HoldSeverity,
    Line,
    Shipment,
    ShipmentLine,
)


def gift_line(line_id: str, sku: str, quantity: int, parent: str, title: str) -> Line:
    """A gift line: free, bound to ``parent``."""
    return Line(
        line_id=line_id,
        sku=sku,
        title=title,
        quantity=quantity,
        unit_price=0,
        paid=0,
        is_gift=True,
        parent_line_id=parent,
    )


def shipment(
    shipment_id: str,
    warehouse: str,
    lines: dict[str, int],
    reason: str,
    courier: str | None = None,
) -> Shipment:
    """A planned shipment of ``lines`` (line id -> quantity)."""
    return Shipment(
        shipment_id=shipment_id,
        warehouse=warehouse,
        lines=[ShipmentLine(line_id=i, quantity=q) for i, q in lines.items()],
        courier=courier,
        reason=reason,
    )


def hold_reason(code: str, detail: str, severity: HoldSeverity, rule_id: str) -> HoldReason:
    return HoldReason(code=code, detail=detail, severity=severity, rule_id=rule_id)


def trace(
    stage: str, version: str, outcome: dict[str, Any], steps: list[dict[str, Any]], skipped: int
) -> DecisionTrace:
    return DecisionTrace(
        stage=stage,
        rule_set_version=version,
        outcome=outcome,
        steps=steps,
        not_triggered=skipped,
    )
