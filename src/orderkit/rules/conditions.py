"""One condition vocabulary for every rule family, compiled once into closures.

A condition is a mapping; its keys must all hold (an implicit ``all``)::

    when:
      paid: {gte: 299}                 # yuan, compared in fen exactly
      sku: {any: [山茶花润肤霜]}
      region: {province: [华东], remote_area: false}
      not: {tags: [刷单]}

Each key is one dropdown of a form. ``compile_condition`` turns the mapping
into a ``Condition``: a closure per key, chained with short-circuit ``and``.
Evaluating it appends one record per key it looked at to ``out`` -- the fact
it read (``got``), what the rule wanted (``want``) and the result (``ok``) --
which is what a trace stores and ``explain_text`` renders. Keys after the
first failing one are not evaluated (and not recorded): the first failure is
the answer to "why not?".

The compiler also reports a ``Trigger``: a fact the order must have for the
condition to possibly hold (one of these SKUs, this shop...). The rule index
uses it so that an order only meets the rules it could trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from orderkit.errors import ConfigError, ConfigProblem
from orderkit.rules.facts import OrderFacts
from orderkit.rules.regions import expand_provinces, is_code, local_name
from orderkit.rules.units import Bounds, bounds, china_time, time_point

Record = dict[str, Any]
Check = Callable[[OrderFacts, list[Record]], bool]

#: Index dimensions, most selective first; a rule is indexed on its best one.
DIMENSIONS = ("sku", "warehouse", "shop", "province", "channel", "order_type")
_RANK = {name: rank for rank, name in enumerate(DIMENSIONS)}

#: Fen per yuan, grams per kilogram.
FEN = 100
GRAMS = 1000


@dataclass(frozen=True, slots=True)
class Trigger:
    """The order must have one of ``values`` on ``dimension`` to match."""

    dimension: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition: call it with facts and a list to record into."""

    test: Check
    trigger: Trigger | None = None
    #: SKUs the condition asks for (not under ``not``/``none``): a gift binds to them.
    skus: tuple[str, ...] = ()

    def __call__(self, facts: OrderFacts, out: list[Record]) -> bool:
        return self.test(facts, out)


def _always(facts: OrderFacts, out: list[Record]) -> bool:
    return True


ALWAYS = Condition(_always)
"""The condition of a rule with no ``when``: it holds for every order."""


def compile_condition(spec: Any, path: str = "when") -> Condition:
    """Compile a condition mapping (as validated by the config schema).

    :param spec: the mapping, or None for "always".
    :param path: where it is written, for error messages (``rules.gifts[0].when``).
    :raises ConfigError: a value the schema cannot check (a date that does not exist).
    """
    if spec is None:
        return ALWAYS
    if not isinstance(spec, Mapping):
        raise _error(path, "must be a mapping of conditions")
    parts = [_compile_key(str(key), value, f"{path}.{key}") for key, value in spec.items()]
    return _all_of(parts)


def _error(path: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(path, message)])


def _all_of(parts: Sequence[Condition]) -> Condition:
    if not parts:
        return ALWAYS
    if len(parts) == 1:
        return parts[0]
    return Condition(
        _chain([part.test for part in parts]), _best([p.trigger for p in parts]), _skus(parts)
    )


def _chain(tests: Sequence[Check]) -> Check:
    """``tests`` joined by a short-circuit ``and``, in order."""
    if len(tests) == 2:  # the usual size ("paid and sku"): no loop to run
        first, second = tests

        def both(facts: OrderFacts, out: list[Record]) -> bool:
            return first(facts, out) and second(facts, out)

        return both
    chained = tuple(tests)

    # A plain loop: all() over a generator costs a frame per rule evaluated.
    def every(facts: OrderFacts, out: list[Record]) -> bool:
        for test in chained:  # noqa: SIM110
            if not test(facts, out):
                return False
        return True

    return every


def _best(triggers: Sequence[Trigger | None]) -> Trigger | None:
    found = [t for t in triggers if t is not None]
    return min(found, key=lambda t: (_RANK[t.dimension], len(t.values))) if found else None


def _skus(parts: Sequence[Condition]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(sku for part in parts for sku in part.skus))


def _compile_key(key: str, value: Any, path: str) -> Condition:
    builder = _BUILDERS.get(key)
    if builder is None:
        raise _error(path, f"unknown condition {key!r}")
    return builder(value, path)


# -- combinators ----------------------------------------------------------------


def _all(value: Any, path: str) -> Condition:
    items = value if isinstance(value, list) else []
    return _all_of([compile_condition(item, f"{path}[{i}]") for i, item in enumerate(items)])


def _any(value: Any, path: str) -> Condition:
    items = value if isinstance(value, list) else []
    parts = [compile_condition(item, f"{path}[{i}]") for i, item in enumerate(items)]
    tests = tuple(part.test for part in parts)

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        inner: list[Record] = []
        ok = False
        for test in tests:
            if test(facts, inner):
                ok = True
                break
        out.append({"if": "any", "ok": ok, "of": inner})
        return ok

    triggers = [part.trigger for part in parts]
    trigger = None
    if triggers and all(t is not None for t in triggers):
        dimensions = {t.dimension for t in triggers if t is not None}
        if len(dimensions) == 1:
            values = frozenset().union(*(t.values for t in triggers if t is not None))
            trigger = Trigger(dimensions.pop(), values)
    return Condition(check, trigger, _skus(parts))


def _not(value: Any, path: str) -> Condition:
    inner_condition = compile_condition(value, path)
    inner_test = inner_condition.test

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        inner: list[Record] = []
        ok = not inner_test(facts, inner)
        out.append({"if": "not", "ok": ok, "of": inner})
        return ok

    return Condition(check)


# -- one-of-these-values leaves -------------------------------------------------


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _one_of(key: str, attr: str, dimension: str | None) -> Callable[[Any, str], Condition]:
    read = attrgetter(attr)

    def build(value: Any, path: str) -> Condition:
        wanted = _names(value)
        allowed = frozenset(wanted)

        def check(facts: OrderFacts, out: list[Record]) -> bool:
            got = read(facts)
            ok = got in allowed
            out.append({"if": key, "op": "in", "want": wanted, "got": got, "ok": ok})
            return ok

        trigger = Trigger(dimension, allowed) if dimension else None
        return Condition(check, trigger)

    return build


def _flag(key: str, attr: str) -> Callable[[Any, str], Condition]:
    read = attrgetter(attr)

    def build(value: Any, path: str) -> Condition:
        wanted = bool(value)

        def check(facts: OrderFacts, out: list[Record]) -> bool:
            got = read(facts)
            ok = got is wanted
            out.append({"if": key, "op": "is", "want": wanted, "got": got, "ok": ok})
            return ok

        return Condition(check)

    return build


def _set_match(key: str, attr: str) -> Callable[[Any, str], Condition]:
    """tags / category: a list (any of) or ``{any, all, none}``."""
    read = attrgetter(attr)

    def build(value: Any, path: str) -> Condition:
        spec = {"any": value} if not isinstance(value, Mapping) else value
        parts = []
        for op in ("any", "all", "none"):
            if op in spec:
                parts.append(_set_leaf(key, op, _names(spec[op]), read))
        return _all_of(parts)

    return build


def _set_leaf(key: str, op: str, wanted: list[str], read: Callable[[Any], Any]) -> Condition:
    def check(facts: OrderFacts, out: list[Record]) -> bool:
        have = read(facts)
        found = [w for w in wanted if w in have]
        if op == "any":
            ok = bool(found)
        elif op == "all":
            ok = len(found) == len(wanted)
        else:
            ok = not found
        out.append({"if": key, "op": op, "want": wanted, "got": found, "ok": ok})
        return ok

    return Condition(check)


# -- SKUs -------------------------------------------------------------------------


def _sku(value: Any, path: str) -> Condition:
    spec = value if isinstance(value, Mapping) else {"any": value}
    parts = [_sku_leaf(op, spec[op], f"{path}.{op}") for op in ("any", "all", "none") if op in spec]
    return _all_of(parts)


def _sku_items(value: Any, path: str) -> list[tuple[str, Bounds]]:
    items: list[tuple[str, Bounds]] = []
    for i, item in enumerate(value if isinstance(value, list) else [value]):
        if isinstance(item, Mapping):
            qty = bounds(item["qty"]) if "qty" in item else Bounds(lo=1)
            items.append((str(item.get("sku")), qty if qty.lo else Bounds(1, qty.hi)))
        elif item is not None:
            items.append((str(item), Bounds(lo=1)))
        else:
            raise _error(f"{path}[{i}]", "must be a SKU code")
    return items


def _sku_leaf(op: str, value: Any, path: str) -> Condition:
    items = _sku_items(value, path)
    codes = [sku for sku, _ in items]
    plain = all(qty == Bounds(lo=1) for _, qty in items)
    want: list[Any] = (
        list(codes) if plain else [{"sku": sku, "qty": [q.lo, q.hi]} for sku, q in items]
    )

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        have = facts.skus
        got = {sku: have[sku] for sku in codes if sku in have}
        hits = len(got) if plain else sum(1 for sku, qty in items if have.get(sku, 0) in qty)
        if op == "any":
            ok = hits > 0
        elif op == "all":
            ok = hits == len(items)
        else:
            ok = hits == 0
        out.append({"if": "sku", "op": op, "want": want, "got": got, "ok": ok})
        return ok

    trigger = None
    if op == "any":
        trigger = Trigger("sku", frozenset(codes))
    elif op == "all" and codes:
        trigger = Trigger("sku", frozenset(codes[:1]))
    return Condition(check, trigger, tuple(codes) if op != "none" else ())


# -- numbers ----------------------------------------------------------------------


def _range(key: str, attr: str, factor: int) -> Callable[[Any, str], Condition]:
    read = attrgetter(attr)

    def build(value: Any, path: str) -> Condition:
        try:
            wanted = bounds(value, factor)
        except ValueError as exc:
            raise _error(path, str(exc)) from exc
        lo, hi = wanted.lo, wanted.hi
        want = [lo, hi]

        def check(facts: OrderFacts, out: list[Record]) -> bool:
            got = read(facts)
            ok = (lo is None or got >= lo) and (hi is None or got <= hi)
            out.append({"if": key, "op": "range", "want": want, "got": got, "ok": ok})
            return ok

        return Condition(check)

    return build


def _weight(value: Any, path: str) -> Condition:
    try:
        wanted = bounds(value, GRAMS)
    except ValueError as exc:
        raise _error(path, str(exc)) from exc
    lo, hi = wanted.lo, wanted.hi
    want = [lo, hi]

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        got = facts.weight_g
        ok = (lo is None or got >= lo) and (hi is None or got <= hi)
        record: Record = {"if": "weight_kg", "op": "range", "want": want, "got": got, "ok": ok}
        if facts.weight_unknown:
            record["unknown"] = list(facts.weight_unknown)
        out.append(record)
        return ok

    return Condition(check)


# -- place ----------------------------------------------------------------------


def _region(value: Any, path: str) -> Condition:
    spec = value if isinstance(value, Mapping) else {}
    parts: list[Condition] = []
    for key, item in spec.items():
        if key == "province":
            parts.append(_province(_names(item)))
        elif key in ("city", "district"):
            parts.append(_local(key, _names(item)))
        elif key == "remote_area":
            parts.append(_flag("remote_area", "remote")(item, f"{path}.{key}"))
        else:
            raise _error(f"{path}.{key}", f"unknown region key {key!r}")
    return _all_of(parts)


def _province(wanted: list[str]) -> Condition:
    allowed = expand_provinces(wanted)

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        got = facts.province
        ok = got in allowed
        out.append({"if": "province", "op": "in", "want": wanted, "got": got, "ok": ok})
        return ok

    return Condition(check, Trigger("province", allowed))


def _local(key: str, wanted: list[str]) -> Condition:
    codes = frozenset(w for w in wanted if is_code(w))
    names = frozenset(local_name(w) or w for w in wanted if not is_code(w))
    read_name = attrgetter(key)
    read_code = attrgetter(f"{key}_code")

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        got = read_name(facts)
        ok = got in names or read_code(facts) in codes
        out.append({"if": key, "op": "in", "want": wanted, "got": got, "ok": ok})
        return ok

    return Condition(check)


# -- time -------------------------------------------------------------------------


def _window(value: Any, path: str) -> Condition:
    spec = value if isinstance(value, Mapping) else {}
    clock = str(spec.get("clock", "paid"))
    try:
        start = time_point(spec["from"]) if spec.get("from") is not None else None
        end = time_point(spec["until"], end_of_day=True) if spec.get("until") is not None else None
    except ValueError as exc:
        raise _error(path, str(exc)) from exc
    read = attrgetter("paid_ts" if clock == "paid" else "created_ts")
    want = [
        china_time(start) if start is not None else None,
        china_time(end) if end is not None else None,
    ]

    def check(facts: OrderFacts, out: list[Record]) -> bool:
        got = read(facts)
        ok = got is not None and (start is None or got >= start) and (end is None or got <= end)
        out.append({"if": "window", "op": clock, "want": want, "got": got, "ok": ok})
        return ok

    return Condition(check)


# -- buyer and text -------------------------------------------------------------


def _buyer(value: Any, path: str) -> Condition:
    spec = value if isinstance(value, Mapping) else {}
    parts = []
    if "first_purchase" in spec:
        parts.append(_flag("first_purchase", "first_purchase")(spec["first_purchase"], path))
    if "blacklisted" in spec:
        parts.append(_flag("blacklisted", "blacklisted")(spec["blacklisted"], path))
    return _all_of(parts)


def _text(key: str, attr: str) -> Callable[[Any, str], Condition]:
    read = attrgetter(attr)

    def build(value: Any, path: str) -> Condition:
        spec = value if isinstance(value, Mapping) else {"contains": value}
        parts: list[Condition] = []
        if "present" in spec:
            wanted = bool(spec["present"])

            def present(facts: OrderFacts, out: list[Record]) -> bool:
                got = bool(read(facts))
                ok = got is wanted
                out.append({"if": key, "op": "present", "want": wanted, "got": got, "ok": ok})
                return ok

            parts.append(Condition(present))
        if "contains" in spec:
            words = _names(spec["contains"])
            lowered = [(w, w.lower()) for w in words]

            # Only the matched keywords are recorded, never the text: buyer
            # messages carry phone numbers and addresses.
            def contains(facts: OrderFacts, out: list[Record]) -> bool:
                text = read(facts).lower()
                found = [w for w, low in lowered if low in text]
                ok = bool(found)
                out.append({"if": key, "op": "contains", "want": words, "got": found, "ok": ok})
                return ok

            parts.append(Condition(contains))
        return _all_of(parts)

    return build


_BUILDERS: dict[str, Callable[[Any, str], Condition]] = {
    "all": _all,
    "any": _any,
    "not": _not,
    "shop": _one_of("shop", "shop", "shop"),
    "channel": _one_of("channel", "channel", "channel"),
    "order_type": _one_of("order_type", "order_type", "order_type"),
    "seller_flag": _one_of("seller_flag", "seller_flag", None),
    "warehouse": _one_of("warehouse", "warehouse", "warehouse"),
    "region": _region,
    "sku": _sku,
    "paid": _range("paid", "paid", FEN),
    "goods_total": _range("goods_total", "goods_total", FEN),
    "items": _range("items", "items", 1),
    "weight_kg": _weight,
    "window": _window,
    "buyer": _buyer,
    "buyer_message": _text("buyer_message", "message"),
    "seller_memo": _text("seller_memo", "memo"),
    "tags": _set_match("tags", "tags"),
    "category": _set_match("category", "categories"),
    "bulky": _flag("bulky", "bulky"),
}

#: Every condition key, in the order forms should offer them.
CONDITION_KEYS = tuple(_BUILDERS)
