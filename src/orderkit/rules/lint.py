"""Rule lint for ``orderkit config validate``: mistakes the schema cannot see.

Warnings (``severity="warning"``), each with its path and YAML line:

- exclusive gift rules of equal priority whose conditions can overlap (which
  one gives then depends on the order in the file);
- rules that can never match (``gte`` above ``lte``, a window that ends before
  it starts, an allocation rule behind one that always decides first, a gift
  rule with nothing to give, ``amount_above`` without a limit);
- windows that have already ended (``now`` is injectable for tests);
- SKUs, warehouses and couriers the config does not declare.

A value the schema lets through but no rule can use (``2026-02-30``) is an
error. Runs on the parsed document, defensively: it is called even when the
schema already found problems, so one run reports everything.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orderkit.config.yaml_lines import LineMap, PathKey, line_for, render_path
from orderkit.errors import ConfigProblem
from orderkit.rules.common import DEFAULT_PRIORITY
from orderkit.rules.conditions import FEN, GRAMS
from orderkit.rules.regions import expand_provinces
from orderkit.rules.units import Bounds, bounds, china_time, is_exact, time_point

WARNING = "warning"
_RANGES = {"paid": FEN, "goods_total": FEN, "items": 1, "weight_kg": GRAMS}
_SETS = ("shop", "channel", "order_type", "seller_flag", "warehouse")

Found = Iterator[tuple[PathKey, str, str]]  # path, message, severity


def lint_rules(
    config_doc: Any, lines: LineMap | None = None, *, now: datetime | None = None
) -> list[ConfigProblem]:
    """Lint problems of the ``rules`` section of a parsed config document.

    :param config_doc: the whole config as plain data (``semantic.plain_data``).
    :param lines: YAML line of each path (``orderkit.config.yaml_lines``).
    :param now: the moment windows are judged against (default: now, UTC).
    """
    if not isinstance(config_doc, Mapping) or not isinstance(config_doc.get("rules"), Mapping):
        return []
    moment = (now or datetime.now(UTC)).timestamp()
    known = _Known.of(config_doc)
    found: list[tuple[PathKey, str, str]] = []
    for section, path, rule in _rules(config_doc):
        found.extend(_conditions(rule, path, moment))
        found.extend(_references(section, rule, path, known))
        found.extend(_family(section, rule, path))
    found.extend(_exclusive_overlaps(config_doc))
    found.extend(_shadowed_allocation(config_doc))
    return [
        ConfigProblem(render_path(p), message, line_for(lines, p), severity)
        for p, message, severity in found
    ]


def _rules(doc: Mapping[str, Any]) -> Iterator[tuple[str, PathKey, Mapping[str, Any]]]:
    for section, items in doc["rules"].items():
        if isinstance(items, list):
            for i, rule in enumerate(items):
                if isinstance(rule, Mapping) and rule.get("enabled", True) is not False:
                    yield str(section), ("rules", str(section), i), rule


# -- conditions ----------------------------------------------------------------------


def _walk(spec: Any, path: PathKey, top: bool = True) -> Iterator[tuple[str, Any, PathKey, bool]]:
    """(key, value, path, in the top-level conjunction) of every condition leaf."""
    if not isinstance(spec, Mapping):
        return
    for key, value in spec.items():
        here = (*path, str(key))
        if key == "all" and isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(item, (*here, i), top)
        elif key == "any" and isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(item, (*here, i), False)
        elif key == "not":
            yield from _walk(value, here, False)
        else:
            yield str(key), value, here, top


def _when_paths(rule: Mapping[str, Any], path: PathKey) -> Iterator[tuple[Any, PathKey]]:
    yield rule.get("when"), (*path, "when")
    tiers = rule.get("tiers")
    if isinstance(tiers, list):
        for i, tier in enumerate(tiers):
            if isinstance(tier, Mapping):
                yield tier.get("when"), (*path, "tiers", i, "when")


def _conditions(rule: Mapping[str, Any], path: PathKey, now: float) -> Found:
    for spec, where in _when_paths(rule, path):
        for key, value, here, top in _walk(spec, where):
            if key in _RANGES and isinstance(value, Mapping):
                yield from _range_problems(key, value, here)
            elif key == "window" and isinstance(value, Mapping):
                yield from _window_problems(value, here, now, top)
            elif key == "sku" and isinstance(value, Mapping):
                wanted = set(_skus(value.get("any"))) | set(_skus(value.get("all")))
                both = sorted(wanted & set(_skus(value.get("none"))))
                if both:
                    yield (
                        here,
                        f"can never match: {', '.join(both)} both wanted and excluded",
                        WARNING,
                    )


def _range_problems(key: str, value: Mapping[str, Any], path: PathKey) -> Found:
    factor = _RANGES[key]
    for name in ("gte", "lte"):
        if name in value and factor > 1 and not is_exact(value[name], factor):
            yield (
                (*path, name),
                f"{value[name]} has more digits than {key} can hold; it is rounded",
                WARNING,
            )
    between = value.get("between")
    try:
        if (
            isinstance(between, list)
            and len(between) == 2
            and bounds({"gte": between[0], "lte": between[1]}).empty
        ):
            yield (
                (*path, "between"),
                f"can never match: {between[0]} is above {between[1]}",
                WARNING,
            )
        elif bounds(value, factor).empty:
            yield (
                path,
                f"can never match: the lower bound is above the upper bound ({dict(value)})",
                WARNING,
            )
    except (ValueError, TypeError):
        return  # the schema reports the types


def _window_problems(value: Mapping[str, Any], path: PathKey, now: float, top: bool) -> Found:
    start = end = None
    for name in ("from", "until"):
        if value.get(name) is None:
            continue
        try:
            point = time_point(value[name], end_of_day=name == "until")
        except ValueError as exc:
            yield (*path, name), str(exc), "error"
            continue
        start, end = (point, end) if name == "from" else (start, point)
    if start is not None and end is not None and start > end:
        yield path, "can never match: the window ends before it starts", WARNING
    elif end is not None and end < now and top:
        yield (
            (*path, "until"),
            f"expired: the window ended {china_time(end)}; the rule no longer applies",
            WARNING,
        )


def _skus(value: Any) -> list[str]:
    out = []
    for item in value if isinstance(value, list) else []:
        sku = item.get("sku") if isinstance(item, Mapping) else item
        if isinstance(sku, str):
            out.append(sku)
    return out


# -- references ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    skus: frozenset[str] = field(default_factory=frozenset)
    warehouses: frozenset[str] = field(default_factory=frozenset)
    couriers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> _Known:
        def codes(section: str) -> frozenset[str]:
            items = doc.get(section)
            if not isinstance(items, list):
                return frozenset()
            return frozenset(
                str(i["code"]) for i in items if isinstance(i, Mapping) and "code" in i
            )

        skus = doc.get("skus")
        return cls(
            skus=frozenset(skus) if isinstance(skus, Mapping) else frozenset(),
            warehouses=codes("warehouses"),
            couriers=codes("couriers"),
        )


def _unknown(what: str, code: Any, known: frozenset[str], path: PathKey) -> Found:
    # An empty section declares nothing to compare against: no warning then.
    if not known or not isinstance(code, str) or code in known:
        return
    close = difflib.get_close_matches(code, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    yield path, f"unknown {what} {code!r}: not declared in {what}s{hint}", WARNING


def _references(section: str, rule: Mapping[str, Any], path: PathKey, known: _Known) -> Found:
    for spec, where in _when_paths(rule, path):
        for key, value, here, _ in _walk(spec, where):
            if key == "sku" and isinstance(value, Mapping):
                for op in ("any", "all", "none"):
                    for i, item in enumerate(value.get(op) or []):
                        code = item.get("sku") if isinstance(item, Mapping) else item
                        yield from _unknown("sku", code, known.skus, (*here, op, i))
            elif key == "warehouse":
                for i, code in enumerate(value if isinstance(value, list) else [value]):
                    yield from _unknown("warehouse", code, known.warehouses, (*here, i))
    if section == "gifts":
        yield from _gift_references(rule, path, known)
    elif section == "allocation":
        for i, code in enumerate(rule.get("warehouses") or []):
            yield from _unknown("warehouse", code, known.warehouses, (*path, "warehouses", i))
        for i, item in enumerate(rule.get("thresholds") or []):
            if isinstance(item, Mapping):
                here = (*path, "thresholds", i)
                yield from _unknown("sku", item.get("sku"), known.skus, (*here, "sku"))
                yield from _unknown(
                    "warehouse", item.get("warehouse"), known.warehouses, (*here, "warehouse")
                )
    elif section == "courier":
        yield from _unknown("courier", rule.get("courier"), known.couriers, (*path, "courier"))
        for key in ("couriers", "allow", "deny"):
            for i, code in enumerate(rule.get(key) or []):
                yield from _unknown("courier", code, known.couriers, (*path, key, i))


def _gift_references(rule: Mapping[str, Any], path: PathKey, known: _Known) -> Found:
    lists = [(rule.get("add"), (*path, "add"))]
    for i, tier in enumerate(rule.get("tiers") or []):
        if isinstance(tier, Mapping):
            lists.append((tier.get("add"), (*path, "tiers", i, "add")))
    for items, where in lists:
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping):
                yield from _unknown("sku", item.get("sku"), known.skus, (*where, i, "sku"))
                for j, code in enumerate(item.get("pool") or []):
                    yield from _unknown("sku", code, known.skus, (*where, i, "pool", j))
            else:
                yield from _unknown("sku", item, known.skus, (*where, i))
    multiply = rule.get("multiply")
    if isinstance(multiply, Mapping):
        for i, code in enumerate(multiply.get("of") or []):
            yield from _unknown("sku", code, known.skus, (*path, "multiply", "of", i))


# -- per family ----------------------------------------------------------------------


def _family(section: str, rule: Mapping[str, Any], path: PathKey) -> Found:
    if section == "gifts" and not rule.get("add") and not rule.get("tiers"):
        yield path, "gives no gift: write add or tiers", WARNING
    if section == "holds" and rule.get("check") == "amount_above" and rule.get("limit") is None:
        yield path, "never holds: amount_above needs a limit", WARNING


def _shadowed_allocation(doc: Mapping[str, Any]) -> Found:
    ranked = sorted(
        (_priority(rule), path[2], path, rule)
        for section, path, rule in _rules(doc)
        if section == "allocation"
    )
    for index, (_, _, path, rule) in enumerate(ranked):
        if rule.get("when"):
            continue
        first = f"{render_path(path)} ({rule.get('id')})"
        for _, _, later_path, _ in ranked[index + 1 :]:
            yield later_path, f"never used: {first} has no condition and decides first", WARNING
        return


def _priority(rule: Mapping[str, Any]) -> int:
    value = rule.get("priority", DEFAULT_PRIORITY)
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_PRIORITY


# -- exclusive overlaps ----------------------------------------------------------------


def _exclusive_overlaps(doc: Mapping[str, Any]) -> Found:
    gifts = [(path, rule) for section, path, rule in _rules(doc) if section == "gifts"]
    for i, (path, rule) in enumerate(gifts):
        for earlier_path, earlier in gifts[:i]:
            if not (rule.get("exclusive") or earlier.get("exclusive")):
                continue
            if _priority(rule) != _priority(earlier):
                continue
            if _disjoint(_constraints(rule.get("when")), _constraints(earlier.get("when"))):
                continue
            yield (
                path,
                f"overlaps {earlier.get('id')} ({render_path(earlier_path)}), same priority "
                f"{_priority(rule)} and one of them exclusive: which gives depends on the order "
                "in the file; give them different priorities",
                WARNING,
            )


@dataclass
class _Constraints:
    sets: dict[str, frozenset[str]] = field(default_factory=dict)
    ranges: dict[str, Bounds] = field(default_factory=dict)
    windows: dict[str, Bounds] = field(default_factory=dict)
    needs: set[str] = field(default_factory=set)
    excludes: set[str] = field(default_factory=set)
    flags: dict[str, bool] = field(default_factory=dict)


def _constraints(spec: Any) -> _Constraints:
    """What the top-level conjunction of ``spec`` pins down (a safe under-approximation)."""
    found = _Constraints()
    for key, value, _, top in _walk(spec, ()):
        if not top:
            continue
        try:
            _constrain(found, key, value)
        except (ValueError, TypeError, KeyError):
            continue  # malformed: the schema reports it
    return found


def _constrain(found: _Constraints, key: str, value: Any) -> None:
    if key in _SETS:
        found.sets[key] = frozenset([value] if isinstance(value, str) else value)
    elif key in _RANGES and isinstance(value, Mapping):
        found.ranges[key] = bounds(value, _RANGES[key])
    elif key == "window" and isinstance(value, Mapping):
        start = time_point(value["from"]) if value.get("from") is not None else None
        end = (
            time_point(value["until"], end_of_day=True) if value.get("until") is not None else None
        )
        found.windows[str(value.get("clock", "paid"))] = Bounds(
            int(start) if start is not None else None, int(end) if end is not None else None
        )
    elif key == "region" and isinstance(value, Mapping):
        if "province" in value:
            province = value["province"]
            found.sets["province"] = expand_provinces(
                [province] if isinstance(province, str) else province
            )
        if "remote_area" in value:
            found.flags["remote_area"] = bool(value["remote_area"])
    elif key == "sku" and isinstance(value, Mapping):
        found.needs.update(_skus(value.get("all")))
        if len(_skus(value.get("any"))) == 1:
            found.needs.update(_skus(value.get("any")))
        found.excludes.update(_skus(value.get("none")))
    elif key == "buyer" and isinstance(value, Mapping):
        for name in ("first_purchase", "blacklisted"):
            if name in value:
                found.flags[name] = bool(value[name])
    elif key == "bulky":
        found.flags["bulky"] = bool(value)


def _disjoint(a: _Constraints, b: _Constraints) -> bool:
    """True only when no order can satisfy both."""
    for key in a.sets.keys() & b.sets.keys():
        if not a.sets[key] & b.sets[key]:
            return True
    for key in a.ranges.keys() & b.ranges.keys():
        if not a.ranges[key].overlaps(b.ranges[key]):
            return True
    for key in a.windows.keys() & b.windows.keys():
        if not a.windows[key].overlaps(b.windows[key]):
            return True
    for key in a.flags.keys() & b.flags.keys():
        if a.flags[key] != b.flags[key]:
            return True
    return bool(a.needs & b.excludes or b.needs & a.excludes)
