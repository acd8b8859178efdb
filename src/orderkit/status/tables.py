"""Status-mapping tables: a channel's raw status codes -> canonical axis values.

A table is a JSON or YAML file validated against
``schemas/status_table.schema.json``::

    {"channel": "taobao", "version": "2026-11", "source": "channels.md §1.6/1.7",
     "fields": {
       "status": {"axis": "lifecycle", "codes": {
           "WAIT_BUYER_PAY": {"to": "pending_payment", "note": "awaiting payment"},
           "TRADE_CLOSED": {"to": "closed", "before_shipping": "cancelled"}}},
       "refund_status": {"axis": "refund", "optional": true,
                         "codes": {"NO_REFUND": "none"}}}}

A row is a value name or ``{"to", "before_shipping", "note"}``. The loader
refuses what the schema cannot see: a raw code listed twice, and it explains
refused values (an internal lifecycle state as a target, a value of another
axis, ``before_shipping`` anywhere but on a ``closed`` row). Ops overrides
(``apply_overrides``) go through the same row checks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orderkit.models.status import Lifecycle, PresaleState, RefundState
from orderkit.status._files import Problem, raise_problems, read_document, schema_problems
from orderkit.status.axes import lifecycle_table

STATUS_TABLE_SCHEMA = "status_table.schema.json"


class Axis(StrEnum):
    """The canonical status axes a raw field can feed."""

    LIFECYCLE = "lifecycle"
    REFUND = "refund"
    PRESALE = "presale"


AxisValue = Lifecycle | RefundState | PresaleState

AXIS_VALUES: Mapping[Axis, type[Lifecycle] | type[RefundState] | type[PresaleState]] = (
    MappingProxyType(
        {Axis.LIFECYCLE: Lifecycle, Axis.REFUND: RefundState, Axis.PRESALE: PresaleState}
    )
)


@dataclass(frozen=True)
class CodeRow:
    """What one raw code maps to."""

    to: AxisValue
    #: Used instead of ``to`` while the order has not shipped; only on ``closed`` rows.
    before_shipping: Lifecycle | None = None
    note: str = ""
    #: True when the row comes from config ``status_overrides``, not the table file.
    overridden: bool = False


@dataclass(frozen=True)
class FieldTable:
    """One raw status field and the codes it may carry."""

    name: str
    axis: Axis
    codes: Mapping[str, CodeRow]
    #: The field may be absent from a payload (its unknown codes are still UNMAPPED).
    optional: bool = False
    note: str = ""


@dataclass(frozen=True)
class StatusTable:
    """A channel's status-mapping table. ``fields`` keeps the declared order."""

    channel: str
    version: str
    fields: Mapping[str, FieldTable]
    source: str = ""
    origin: str = ""  # the file it was loaded from, for messages
    overridden: bool = False  # config status_overrides were applied

    @property
    def label(self) -> str:
        """``channel@version``, e.g. ``taobao@2026-11``."""
        return f"{self.channel}@{self.version}"

    def fields_for(self, axis: Axis) -> tuple[FieldTable, ...]:
        """The fields feeding ``axis``, in declared order (the first present one wins)."""
        return tuple(f for f in self.fields.values() if f.axis == axis)


# -- loading ----------------------------------------------------------------


def load_status_table(path: str | Path) -> StatusTable:
    """Load and validate a status table from a ``.json``, ``.yaml`` or ``.yml`` file.

    :raises MappingError: naming the file, the field and the code of every
        problem (syntax, duplicate code, schema, refused value).
    """
    path = Path(path)
    data, problems = read_document(path)
    if problems:
        raise_problems(str(path), problems)
    return parse_status_table(data, origin=str(path))


def parse_status_table(data: Any, *, origin: str = "<status table>") -> StatusTable:
    """Validate already-parsed table data (e.g. built in code) and build the table.

    :raises MappingError: as ``load_status_table``; ``origin`` names the source.
    """
    problems, bad_rows, table = _parse(data)
    # A schema error inside a row the row check already explained is noise.
    for problem in schema_problems(STATUS_TABLE_SCHEMA, data):
        if not any(_under(problem.path, row) for row in bad_rows):
            problems.append(problem)
    if problems or table is None:
        raise_problems(origin, problems or [Problem("", "not a status table")])
    return replace(table, origin=origin)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _parse(data: Any) -> tuple[list[Problem], set[str], StatusTable | None]:
    # Tolerant of shapes the schema refuses: the schema reports those.
    problems: list[Problem] = []
    bad_rows: set[str] = set()
    if not isinstance(data, Mapping) or not isinstance(data.get("fields"), Mapping):
        return problems, bad_rows, None
    fields: dict[str, FieldTable] = {}
    for name, spec in data["fields"].items():
        if not isinstance(spec, Mapping) or spec.get("axis") not in set(Axis):
            continue
        axis = Axis(spec["axis"])
        codes: dict[str, CodeRow] = {}
        raw_codes = spec.get("codes")
        for code, raw in raw_codes.items() if isinstance(raw_codes, Mapping) else ():
            row_path = f"fields.{name}.codes.{code}"
            row = _parse_row(axis, raw, row_path, problems)
            if row is None:
                bad_rows.add(row_path)
            else:
                codes[str(code)] = row
        fields[str(name)] = FieldTable(
            name=str(name),
            axis=axis,
            codes=MappingProxyType(codes),
            optional=spec.get("optional") is True,
            note=str(spec.get("note", "")),
        )
    all_parsed = len(fields) == len(data["fields"])
    if all_parsed and fields and not any(f.axis == Axis.LIFECYCLE for f in fields.values()):
        problems.append(Problem("fields", "no field feeds the lifecycle axis"))
    table = StatusTable(
        channel=str(data.get("channel", "")),
        version=str(data.get("version", "")),
        fields=MappingProxyType(fields),
        source=str(data.get("source", "")),
    )
    return problems, bad_rows, table


def _parse_row(
    axis: Axis, raw: Any, path: str, problems: list[Problem], *, overridden: bool = False
) -> CodeRow | None:
    """Check one row against its field's axis; append problems, return the row or None."""
    if isinstance(raw, str):
        raw = {"to": raw}
        where = path
    elif isinstance(raw, Mapping):
        where = f"{path}.to"
    else:
        problems.append(Problem(path, "a row is a value name or an object with 'to'"))
        return None
    before = len(problems)
    unknown = sorted(str(k) for k in raw if k not in ("to", "before_shipping", "note"))
    if unknown:
        problems.append(Problem(path, f"unknown key(s) {', '.join(unknown)}"))
    value = None
    if "to" not in raw:
        problems.append(Problem(path, "a row needs 'to', the value the code maps to"))
    else:
        value = _axis_value(axis, raw["to"], where, problems)
    before_shipping = None
    if raw.get("before_shipping") is not None:
        before_shipping = _before_shipping(axis, value, raw["before_shipping"], path, problems)
    note = raw.get("note", "")
    if not isinstance(note, str):
        problems.append(Problem(f"{path}.note", "note must be text"))
    if len(problems) > before or value is None:
        return None
    return CodeRow(value, before_shipping, str(note), overridden)


def _axis_value(axis: Axis, raw: Any, where: str, problems: list[Problem]) -> AxisValue | None:
    enum = AXIS_VALUES[axis]
    allowed = ", ".join(str(v) for v in enum if not _is_internal(axis, v))
    if not isinstance(raw, str) or raw not in {str(v) for v in enum}:
        other = [str(a) for a, e in AXIS_VALUES.items() if isinstance(raw, str) and raw in set(e)]
        hint = f" ({raw!r} is a {other[0]} value)" if other else ""
        problems.append(
            Problem(where, f"{raw!r} is not a {axis} value{hint}; use one of: {allowed}")
        )
        return None
    value = enum(raw)
    if _is_internal(axis, value):
        problems.append(
            Problem(
                where,
                f"{raw!r} is an internal state, set only by orderkit and never by a platform "
                f"mapping; use one of: {allowed}",
            )
        )
        return None
    return value


def _is_internal(axis: Axis, value: AxisValue) -> bool:
    return axis == Axis.LIFECYCLE and lifecycle_table().is_internal(Lifecycle(value))


def _before_shipping(
    axis: Axis, to: AxisValue | None, raw: Any, path: str, problems: list[Problem]
) -> Lifecycle | None:
    where = f"{path}.before_shipping"
    if axis != Axis.LIFECYCLE:
        problems.append(Problem(where, "before_shipping exists only on the lifecycle axis"))
    elif raw != Lifecycle.CANCELLED:
        problems.append(Problem(where, f"before_shipping must be 'cancelled', not {raw!r}"))
    elif to is not None and to != Lifecycle.CLOSED:
        problems.append(
            Problem(where, f"before_shipping belongs on a row whose 'to' is 'closed', not '{to}'")
        )
    else:
        return Lifecycle.CANCELLED
    return None


# -- overrides --------------------------------------------------------------


def apply_overrides(
    table: StatusTable, overrides: Mapping[str, Any] | None, *, origin: str | None = None
) -> StatusTable:
    """Return ``table`` with ops' rows from config ``status_overrides`` applied.

    :param overrides: ``{field: {code: "value" | {"to", "before_shipping", "note"}}}``.
        A code already in the table is re-mapped; a new code is added. Fields
        must already exist in the table (their axis comes from it).
    :param origin: the config path for messages; ``status_overrides.<channel>``
        by default.
    :raises MappingError: naming the config path, field and code of each bad row.
    """
    if not overrides:
        return table
    origin = origin or f"status_overrides.{table.channel}"
    problems: list[Problem] = []
    fields = dict(table.fields)
    for name, codes in overrides.items():
        path = f"{origin}.{name}"
        current = table.fields.get(name)
        if current is None:
            known = ", ".join(table.fields) or "none"
            problems.append(
                Problem(path, f"the {table.label} table has no field {name!r} (it has: {known})")
            )
            continue
        if not isinstance(codes, Mapping) or not codes:
            problems.append(Problem(path, "expected a mapping of code -> row"))
            continue
        rows = dict(current.codes)
        seen: set[str] = set()
        for code, raw in codes.items():
            if isinstance(code, bool) or not isinstance(code, str | int):
                problems.append(Problem(f"{path}.{code}", "a code is text (quote it in YAML)"))
                continue
            key = str(code)
            if key in seen:
                problems.append(Problem(f"{path}.{key}", "code given more than once"))
                continue
            seen.add(key)
            row = _parse_row(current.axis, raw, f"{path}.{key}", problems, overridden=True)
            if row is not None:
                rows[key] = row
        fields[name] = replace(current, codes=MappingProxyType(rows))
    if problems:
        raise_problems(origin, problems)
    return replace(table, fields=MappingProxyType(fields), overridden=True)


# -- completeness -----------------------------------------------------------


@dataclass(frozen=True)
class CompletenessReport:
    """How a table compares with a channel's documented codes.

    ``is_complete`` ignores ``extra``: undocumented codes seen in real
    payloads (Taobao's ``NO_REFUND``) belong in a table.
    """

    table: str
    missing: Mapping[str, tuple[str, ...]]  # field -> documented codes with no row
    extra: Mapping[str, tuple[str, ...]]  # field -> rows for codes not documented
    missing_fields: tuple[str, ...]  # documented fields the table lacks
    undocumented_fields: tuple[str, ...]  # table fields not in the documentation

    @property
    def is_complete(self) -> bool:
        """Every documented field and code has a row."""
        return not self.missing and not self.missing_fields

    def __str__(self) -> str:
        lines = [f"{self.table}: " + ("complete" if self.is_complete else "INCOMPLETE")]
        lines += [f"  missing field {name}" for name in self.missing_fields]
        lines += [f"  {name}: missing {', '.join(c)}" for name, c in self.missing.items()]
        lines += [f"  {name}: undocumented {', '.join(c)}" for name, c in self.extra.items()]
        lines += [f"  undocumented field {name}" for name in self.undocumented_fields]
        return "\n".join(lines)


def check_completeness(
    table: StatusTable, documented: Mapping[str, Collection[str]]
) -> CompletenessReport:
    """Compare ``table`` with the documented codes of each raw field.

    :param documented: field -> every code the platform documents for it.
    """
    missing: dict[str, tuple[str, ...]] = {}
    extra: dict[str, tuple[str, ...]] = {}
    for name, codes in documented.items():
        field = table.fields.get(name)
        if field is None:
            continue
        wanted = {str(c) for c in codes}
        if gap := sorted(wanted - set(field.codes)):
            missing[name] = tuple(gap)
        if surplus := sorted(set(field.codes) - wanted):
            extra[name] = tuple(surplus)
    return CompletenessReport(
        table=table.label,
        missing=MappingProxyType(missing),
        extra=MappingProxyType(extra),
        missing_fields=tuple(name for name in documented if name not in table.fields),
        undocumented_fields=tuple(name for name in table.fields if name not in documented),
    )
