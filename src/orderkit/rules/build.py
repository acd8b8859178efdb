"""The canonical models this package outputs, built in one place.

Every value here was made by this package from validated input (a validated
order, a compiled rule set), so validating it again only costs time: a
``DecisionTrace`` used to be a third of a decision's model cost, pydantic
walking every step of it. The models are therefore assembled the way
pydantic's own ``model_construct`` does (``__dict__``, fields set, no extra,
no private state), but from a complete mapping written out here: measured on
pydantic 2.13, ``model_construct`` itself is slower than validating (it looks
every field and default up in Python), this is 3-5x faster than either.

The result is the same object validation gives: every field present, in
declaration order, with the same values and the same ``model_fields_set``
(``exclude_unset`` dumps are unchanged). ``_assembler`` checks once, at
import, that each model is one this shortcut is valid for and that the
mapping names exactly the model's fields, so a new field fails loudly here
instead of going missing; ``tests/test_rules_trace.py`` compares each
builder with the validating constructor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from orderkit.models.order import (
    DecisionTrace,
    HoldReason,
    HoldSeverity,
    Line,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from orderkit.models.status import RefundState

M = TypeVar("M", bound=BaseModel)

# BaseModel's slots, written through their descriptors: what object.__setattr__
# would find after a lookup by name on every call.
_set_attribute = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _assembler(
    model: type[M], fields: Iterable[str], given: Iterable[str]
) -> Callable[[dict[str, Any]], M]:
    """A function turning a complete field mapping into a ``model`` without validation.

    :param fields: every field the builder writes, in declaration order.
    :param given: the fields a validating call would have been passed (its fields set).
    :raises TypeError: ``model`` has state the shortcut would skip, or ``fields``
        is not exactly its fields.
    """
    declared = tuple(model.model_fields)
    if tuple(fields) != declared:
        raise TypeError(f"build: {model.__name__} has fields {declared}, not {tuple(fields)}")
    extra = model.model_config.get("extra")
    if model.__pydantic_root_model__ or model.__pydantic_post_init__ or extra == "allow":
        raise TypeError(f"build: {model.__name__} needs its ordinary constructor")
    if model.__private_attributes__:
        raise TypeError(f"build: {model.__name__} has private attributes")
    fields_set = frozenset(given)
    new = model.__new__

    def assemble(values: dict[str, Any]) -> M:
        instance = new(model)
        _set_attribute(instance, "__dict__", values)
        _set_fields_set(instance, set(fields_set))
        _set_extra(instance, None)
        _set_private(instance, None)
        return instance

    return assemble


_LINE_FIELDS = (
    "line_id",
    "sku",
    "item_id",
    "sku_id",
    "title",
    "quantity",
    "unit_price",
    "discount",
    "paid",
    "is_gift",
    "parent_line_id",
    "platform_status",
    "lifecycle",
    "refund",
)
_GIFT_LINE_GIVEN = (
    "line_id",
    "sku",
    "title",
    "quantity",
    "unit_price",
    "paid",
    "is_gift",
    "parent_line_id",
)
_gift_line = _assembler(Line, _LINE_FIELDS, _GIFT_LINE_GIVEN)

_SHIPMENT_FIELDS = ("shipment_id", "warehouse", "lines", "courier", "waybill", "status", "reason")
_SHIPMENT_GIVEN = ("shipment_id", "warehouse", "lines", "courier", "reason")
_shipment = _assembler(Shipment, _SHIPMENT_FIELDS, _SHIPMENT_GIVEN)
_shipment_line = _assembler(ShipmentLine, ("line_id", "quantity"), ("line_id", "quantity"))

_HOLD_FIELDS = ("code", "detail", "severity", "rule_id", "released_by")
_hold_reason = _assembler(HoldReason, _HOLD_FIELDS, ("code", "detail", "severity", "rule_id"))

_TRACE_FIELDS = ("stage", "rule_set_version", "outcome", "steps", "not_triggered")
_trace = _assembler(DecisionTrace, _TRACE_FIELDS, _TRACE_FIELDS)


def gift_line(line_id: str, sku: str, quantity: int, parent: str, title: str) -> Line:
    """A gift line: free, bound to ``parent``."""
    return _gift_line(
        {
            "line_id": line_id,
            "sku": sku,
            "item_id": None,
            "sku_id": None,
            "title": title,
            "quantity": quantity,
            "unit_price": 0,
            "discount": 0,
            "paid": 0,
            "is_gift": True,
            "parent_line_id": parent,
            "platform_status": None,
            "lifecycle": None,
            "refund": RefundState.NONE,
        }
    )


def shipment(
    shipment_id: str,
    warehouse: str,
    lines: dict[str, int],
    reason: str,
    courier: str | None = None,
) -> Shipment:
    """A planned shipment of ``lines`` (line id -> quantity)."""
    return _shipment(
        {
            "shipment_id": shipment_id,
            "warehouse": warehouse,
            "lines": [_shipment_line({"line_id": i, "quantity": q}) for i, q in lines.items()],
            "courier": courier,
            "waybill": None,
            "status": ShipmentStatus.PLANNED,
            "reason": reason,
        }
    )


def hold_reason(code: str, detail: str, severity: HoldSeverity, rule_id: str) -> HoldReason:
    return _hold_reason(
        {
            "code": code,
            "detail": detail,
            "severity": severity,
            "rule_id": rule_id,
            "released_by": None,
        }
    )


def trace(
    stage: str, version: str, outcome: dict[str, Any], steps: list[dict[str, Any]], skipped: int
) -> DecisionTrace:
    """A trace of ``steps``; they become the trace's own (the caller keeps no handle)."""
    return _trace(
        {
            "stage": stage,
            "rule_set_version": version,
            "outcome": outcome,
            "steps": steps,
            "not_triggered": skipped,
        }
    )
