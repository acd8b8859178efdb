"""Map a channel's raw status fields to the canonical axes with its table.

``map_raw`` reports what the *platform* says; the rank rule (``rules.py``) is
applied later by the store. An unknown code is never guessed: it yields an
explicit UNMAPPED result, a ``status.unmapped`` warning and, through
``StatusResult.hold_reason``, an ``unmapped_status`` hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import structlog

from orderkit.errors import MappingError
from orderkit.models.order import HoldReason, StatusAxes
from orderkit.models.status import Lifecycle, PresaleState, RefundState
from orderkit.status.axes import lifecycle_table
from orderkit.status.tables import Axis, AxisValue, CodeRow, StatusTable

#: Hold-reason code for an order whose raw status has no table row.
UNMAPPED_STATUS_HOLD: Final = "unmapped_status"


@dataclass(frozen=True)
class StatusResult:
    """What ``map_status`` returns for one order.

    ``axes`` is None when the lifecycle itself is unknown. When only another
    axis is unknown, ``axes`` keeps that axis at the order's current value (or
    its default for a new order) and ``unmapped`` names the field: the result
    is still UNMAPPED and the order must be held.
    """

    axes: StatusAxes | None
    unmapped: dict[str, str] = field(default_factory=dict)  # raw field -> code with no row
    matched: dict[str, str] = field(default_factory=dict)  # raw field -> code used
    source: str = ""  # "table:taobao@2026-11", "override:taobao@2026-11", a plugin name...

    @property
    def is_unmapped(self) -> bool:
        """True when the status could not be (fully) mapped: hold the order."""
        return self.axes is None or bool(self.unmapped)

    @classmethod
    def unmapped_for(
        cls,
        channel: str,
        unmapped: Mapping[str, str],
        *,
        source: str | None = None,
        axes: StatusAxes | None = None,
        matched: Mapping[str, str] | None = None,
    ) -> StatusResult:
        """The explicit UNMAPPED outcome.

        :param unmapped: raw field -> code nothing could map; pass the whole
            raw status when no table or plugin knows the channel at all.
        :param source: who gave up; ``unmapped:<channel>`` by default.
        :param axes: the axes that *could* be mapped, if the lifecycle could.
        """
        return cls(axes, dict(unmapped), dict(matched or {}), source or f"unmapped:{channel}")

    def hold_reason(self) -> HoldReason | None:
        """The ``unmapped_status`` hold reason for an UNMAPPED result, else None."""
        if not self.is_unmapped:
            return None
        codes = ", ".join(f"{name}={code!r}" for name, code in self.unmapped.items())
        detail = f"no status-table row for {codes}" if codes else "no status mapping"
        return HoldReason(code=UNMAPPED_STATUS_HOLD, detail=f"{detail} ({self.source})")


_DEFAULTS: Mapping[Axis, AxisValue] = {
    Axis.REFUND: RefundState.NONE,
    Axis.PRESALE: PresaleState.NONE,
}


def map_raw(table: StatusTable, raw: Mapping[str, str], current: StatusAxes | None) -> StatusResult:
    """Map raw status fields to axes with ``table``.

    Per axis, the first of its fields present in ``raw`` (declared order) gives
    the value; an empty value counts as absent. An axis with no field present
    keeps ``current``'s value (refund/presale default to none for a new order).
    Every present field's code is looked up, not only the winner's: an unknown
    code anywhere is UNMAPPED, optional field or not.

    :raises MappingError: a non-optional field is absent, or a new order has
        no lifecycle field at all; the payload is malformed (dead-letter it).
    """
    present = {name: _text(raw.get(name)) for name in table.fields}
    present = {name: code for name, code in present.items() if code}
    _require_fields(table, present, current)
    current_lifecycle = current.lifecycle if current is not None else None
    values: dict[Axis, AxisValue] = {}
    matched: dict[str, str] = {}
    unmapped: dict[str, str] = {}
    overridden = False
    for axis in Axis:
        winner_seen = False
        for spec in table.fields_for(axis):
            code = present.get(spec.name)
            if code is None:
                continue
            row = spec.codes.get(code)
            if row is None:
                unmapped[spec.name] = code
                _warn_unmapped(table, spec.name, code)
            elif not winner_seen:
                values[axis] = _resolve(row, current_lifecycle)
                matched[spec.name] = code
                overridden = overridden or row.overridden
            winner_seen = True  # later fields are checked, never used
    source = f"{'override' if overridden else 'table'}:{table.label}"
    lifecycle_unmapped = Axis.LIFECYCLE not in values and any(
        table.fields[name].axis == Axis.LIFECYCLE for name in unmapped
    )
    lifecycle = values.get(Axis.LIFECYCLE, current_lifecycle)
    if lifecycle_unmapped or lifecycle is None:  # None only with a lifecycle code unknown
        return StatusResult.unmapped_for(table.channel, unmapped, source=source, matched=matched)
    axes = StatusAxes(
        lifecycle=Lifecycle(lifecycle),
        refund=RefundState(_value(values, current, Axis.REFUND)),
        presale=PresaleState(_value(values, current, Axis.PRESALE)),
    )
    return StatusResult(axes, unmapped, matched, source)


def _warn_unmapped(table: StatusTable, field_name: str, code: str) -> None:
    # Looked up per call so structlog.testing.capture_logs sees it.
    structlog.get_logger("orderkit.status").warning(
        "status.unmapped", channel=table.channel, field=field_name, code=code, table=table.label
    )


def _text(value: object) -> str:
    # Raw values are text; a plugin passing Douyin's int codes gets them as text.
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _require_fields(
    table: StatusTable, present: Mapping[str, str], current: StatusAxes | None
) -> None:
    absent = [f.name for f in table.fields.values() if not f.optional and f.name not in present]
    if absent:
        raise MappingError(
            f"raw status lacks required field(s) {', '.join(absent)} ({table.label} table)",
            field=absent[0],
        )
    lifecycle_fields = [f.name for f in table.fields_for(Axis.LIFECYCLE)]
    if current is None and not any(name in present for name in lifecycle_fields):
        raise MappingError(
            f"a new order needs a lifecycle status; none of {', '.join(lifecycle_fields)} "
            f"is present ({table.label} table)",
            field=lifecycle_fields[0],
        )


def _resolve(row: CodeRow, current: Lifecycle | None) -> AxisValue:
    # "closed" from a platform that uses one code for both phases (Taobao
    # TRADE_CLOSED) means cancelled while nothing has shipped yet.
    if row.before_shipping is not None and (
        current is None or not lifecycle_table().is_after_shipping(current)
    ):
        return row.before_shipping
    return row.to


def _value(values: Mapping[Axis, AxisValue], current: StatusAxes | None, axis: Axis) -> str:
    if axis in values:
        return values[axis]
    if current is not None:
        return current.refund if axis == Axis.REFUND else current.presale
    return _DEFAULTS[axis]
