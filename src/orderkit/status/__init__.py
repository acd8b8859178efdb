"""Canonical status: lifecycle ranks and rules, status-mapping tables, UNMAPPED.

- ``axes``: the lifecycle data (ranks, internal/terminal states, orderkit's
  own transitions), loaded once from ``orderkit/data/lifecycle.json``;
- ``rules``: the rank rule for platform-reported lifecycles;
- ``tables``: the status-table file format, loader, overrides, completeness;
- ``mapping``: raw fields -> ``StatusResult`` with a table;
- ``plugin``: ``StatusTableMapper``, the core ``map_status`` hookimpl.

See ``docs/status.md``.
"""

from orderkit.status.axes import (
    LifecycleTable,
    allowed_transitions,
    can_transition,
    is_after_shipping,
    is_internal,
    is_terminal,
    lifecycle_table,
    load_lifecycle,
    rank,
)
from orderkit.status.mapping import UNMAPPED_STATUS_HOLD, StatusResult, map_raw
from orderkit.status.plugin import StatusTableMapper
from orderkit.status.rules import LifecycleDecision, Outcome, apply_platform_lifecycle
from orderkit.status.tables import (
    Axis,
    AxisValue,
    CodeRow,
    CompletenessReport,
    FieldTable,
    StatusTable,
    apply_overrides,
    check_completeness,
    load_status_table,
    parse_status_table,
)

__all__ = [
    "UNMAPPED_STATUS_HOLD",
    "Axis",
    "AxisValue",
    "CodeRow",
    "CompletenessReport",
    "FieldTable",
    "LifecycleDecision",
    "LifecycleTable",
    "Outcome",
    "StatusResult",
    "StatusTable",
    "StatusTableMapper",
    "allowed_transitions",
    "apply_overrides",
    "apply_platform_lifecycle",
    "can_transition",
    "check_completeness",
    "is_after_shipping",
    "is_internal",
    "is_terminal",
    "lifecycle_table",
    "load_lifecycle",
    "load_status_table",
    "map_raw",
    "parse_status_table",
    "rank",
]
