"""``schemas/order.schema.json`` (the contract) and the pydantic models must agree.

The schema is written by hand so that non-Python ERPs can read it; this file
keeps it honest: the examples validate (or fail) the same way on both sides,
and a structural walk of ``Order.model_json_schema()`` against the file fails
with a readable diff as soon as a field, a required flag, an enum value, a type
or a constraint differs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError

from orderkit._resources import schema_path
from orderkit.models import SCHEMA_ID, SCHEMA_VERSION, Order

Schema = dict[str, Any]

SCHEMA_FILE = schema_path("order.schema.json")
EXAMPLES = SCHEMA_FILE.parent / "examples"
VALID = sorted((EXAMPLES / "order").glob("*.json"))
INVALID = sorted((EXAMPLES / "order_invalid").glob("*.json"))

# Keywords that restrict a value; both sides must state the same ones.
CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "const",
)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def file_schema() -> Schema:
    schema: Schema = _load(SCHEMA_FILE)
    return schema


@pytest.fixture(scope="module")
def validator(file_schema: Schema) -> Draft202012Validator:
    return Draft202012Validator(file_schema, format_checker=FormatChecker())


# --- the structural comparison ------------------------------------------------


def _resolve(node: Schema, root: Schema) -> tuple[Schema, str | None]:
    """Follow ``$ref`` to ``#/$defs/X``; siblings of the ref (description,
    default) override the target. Returns the node and the def name, if any."""
    name = None
    while "$ref" in node:
        ref = node["$ref"]
        prefix = "#/$defs/"
        assert ref.startswith(prefix), f"only local $defs refs are expected, got {ref}"
        name = ref[len(prefix) :]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**root["$defs"][name], **siblings}
    return node, name


def _variants(node: Schema, root: Schema) -> Iterator[tuple[Schema, str | None]]:
    """Split a node into one schema per JSON type, so that pydantic's
    ``anyOf: [{type: string}, {type: null}]`` and the file's
    ``type: [string, null]`` compare equal."""
    node, name = _resolve(node, root)
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        for branch in branches:
            yield from _variants(branch, root)
        return
    types = node.get("type")
    if isinstance(types, list):
        for t in types:
            # A constraint on ["string", "null"] only bites the string.
            yield ({"type": t} if t == "null" else {**node, "type": t}), name
        return
    yield node, name


def _label(where: str, name: str | None) -> str:
    return f"{where} ({name})" if name and not where.endswith(f"({name})") else where


def compare_schemas(model: Schema, file: Schema) -> list[str]:
    """Differences between the model's JSON Schema and the hand-written file,
    one readable line each; empty when they agree."""
    diffs: list[str] = []
    model_defs = set(model.get("$defs", {}))
    file_defs = set(file.get("$defs", {}))
    if missing := sorted(model_defs - file_defs):
        diffs.append(f"$defs: missing from schema file: {', '.join(missing)}")
    for extra in sorted(file_defs - model_defs):
        # Shared scalar types (Fen, DateTime, RegionCode) are fine; an extra
        # object or enum means a model was renamed or removed.
        definition = file["$defs"][extra]
        if "properties" in definition or "enum" in definition:
            diffs.append(f"$defs: {extra} is in the schema file but not in the model")
    _compare_node(model, file, model, file, "Order", diffs)
    return diffs


def _compare_node(
    m_node: Schema, f_node: Schema, m_root: Schema, f_root: Schema, where: str, diffs: list[str]
) -> None:
    m_top, _ = _resolve(m_node, m_root)
    f_top, _ = _resolve(f_node, f_root)
    # pydantic omits defaults made by default_factory; the file may spell them.
    if "default" in m_top and m_top["default"] != f_top.get("default"):
        diffs.append(
            f"{where}: default differs: model={m_top['default']!r} file={f_top.get('default')!r}"
        )

    m_vars = {v.get("type", "any"): (v, n) for v, n in _variants(m_node, m_root)}
    f_vars = {v.get("type", "any"): (v, n) for v, n in _variants(f_node, f_root)}
    if set(m_vars) != set(f_vars):
        diffs.append(f"{where}: types differ: model={sorted(m_vars)} file={sorted(f_vars)}")
    for json_type in sorted(set(m_vars) & set(f_vars) - {"null"}):
        (m, m_name), (f, f_name) = m_vars[json_type], f_vars[json_type]
        here = _label(where, m_name or f_name)
        _compare_facets(m, f, here, diffs)
        if json_type == "object":
            _compare_object(m, f, m_root, f_root, here, diffs)
        elif json_type == "array" and ("items" in m or "items" in f):
            _compare_node(
                m.get("items", {}), f.get("items", {}), m_root, f_root, f"{here}[]", diffs
            )


def _compare_facets(m: Schema, f: Schema, where: str, diffs: list[str]) -> None:
    if "enum" in m or "enum" in f:
        m_enum, f_enum = set(m.get("enum", ())), set(f.get("enum", ()))
        if m_enum != f_enum:
            diffs.append(
                f"{where}: enum values only in model: {sorted(m_enum - f_enum)}, "
                f"only in schema file: {sorted(f_enum - m_enum)}"
            )
    for key in CONSTRAINTS:
        if key == "pattern" and f.get("format") == "date-time" and "pattern" not in m:
            # The model checks the offset in a validator; JSON Schema needs a
            # pattern because validators may treat ``format`` as a mere annotation.
            continue
        if m.get(key) != f.get(key):
            diffs.append(f"{where}: {key} differs: model={m.get(key)!r} file={f.get(key)!r}")


def _compare_object(
    m: Schema, f: Schema, m_root: Schema, f_root: Schema, where: str, diffs: list[str]
) -> None:
    m_props, f_props = m.get("properties", {}), f.get("properties", {})
    if only_m := sorted(set(m_props) - set(f_props)):
        diffs.append(f"{where}: properties only in model: {', '.join(only_m)}")
    if only_f := sorted(set(f_props) - set(m_props)):
        diffs.append(f"{where}: properties only in schema file: {', '.join(only_f)}")
    m_req, f_req = set(m.get("required", ())), set(f.get("required", ()))
    if m_req != f_req:
        diffs.append(
            f"{where}: required only in model: {sorted(m_req - f_req)}, "
            f"only in schema file: {sorted(f_req - m_req)}"
        )
    m_extra, f_extra = m.get("additionalProperties", True), f.get("additionalProperties", True)
    if isinstance(m_extra, dict) and isinstance(f_extra, dict):
        _compare_node(m_extra, f_extra, m_root, f_root, f"{where}.*", diffs)
    elif m_extra != f_extra:
        diffs.append(f"{where}: additionalProperties differs: model={m_extra} file={f_extra}")
    for prop in sorted(set(m_props) & set(f_props)):
        _compare_node(m_props[prop], f_props[prop], m_root, f_root, f"{where}.{prop}", diffs)


# --- tests --------------------------------------------------------------------


def test_enough_examples() -> None:
    assert len(VALID) >= 6, VALID
    assert len(INVALID) >= 6, INVALID


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_passes_schema_and_model(path: Path, validator: Draft202012Validator) -> None:
    data = _load(path)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, "\n".join(errors)
    Order.model_validate(data)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_model_output_passes_schema(path: Path, validator: Draft202012Validator) -> None:
    # What Python writes (defaults filled in, times in UTC) must satisfy the contract.
    dumped = Order.model_validate(_load(path)).model_dump(mode="json")
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(dumped)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_schema_and_model(
    path: Path, validator: Draft202012Validator
) -> None:
    data = _load(path)
    schema_errors = list(validator.iter_errors(data))
    assert schema_errors, f"schema accepted {path.name}"
    with pytest.raises(ValidationError) as caught:
        Order.model_validate(data)
    # One mistake per file, and both sides blame the same place: the model's
    # field path starts with every path the schema complains about (the
    # schema reports a missing or unknown key at its parent object).
    model_errors = caught.value.errors()
    assert len(model_errors) == 1, model_errors
    loc = tuple(model_errors[0]["loc"])
    for error in schema_errors:
        where = tuple(error.absolute_path)
        assert loc[: len(where)] == where, f"schema: {error.json_path}, model: {loc}"


@pytest.mark.parametrize(
    ("mistake", "change"),
    [
        ("duplicate line_id", lambda d: d["lines"].append(dict(d["lines"][0]))),
        ("unknown parent_line_id", lambda d: d["lines"][0].update(parent_line_id="nope")),
        (
            "shipment of an unknown line",
            lambda d: d.update(
                shipments=[{"shipment_id": "s1", "lines": [{"line_id": "x", "quantity": 1}]}]
            ),
        ),
    ],
)
def test_cross_field_rules_are_model_only(
    mistake: str, change: Any, validator: Draft202012Validator
) -> None:
    # JSON Schema cannot refer from one value to another; the schema's
    # description and docs/order.md say so. If this starts failing, the schema
    # learned the rule: move the case into examples/order_invalid/.
    data = _load(EXAMPLES / "order" / "minimal.json")
    change(data)
    assert not list(validator.iter_errors(data)), mistake
    with pytest.raises(ValidationError):
        Order.model_validate(data)


def test_schema_matches_model(file_schema: Schema) -> None:
    diffs = compare_schemas(Order.model_json_schema(mode="validation"), file_schema)
    assert not diffs, "order.schema.json drifted from the models:\n" + "\n".join(diffs)


def test_schema_is_valid_2020_12_and_versioned(file_schema: Schema) -> None:
    Draft202012Validator.check_schema(file_schema)
    assert file_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert file_schema["$id"] == SCHEMA_ID
    assert f"/{SCHEMA_VERSION}/" in file_schema["$id"]
    assert file_schema["properties"]["schema_version"]["default"] == SCHEMA_VERSION


def test_every_property_is_described(file_schema: Schema) -> None:
    # The file is read by people integrating other ERPs: no bare fields.
    objects = {"Order": file_schema, **file_schema["$defs"]}
    bare = [
        f"{name}.{prop}"
        for name, obj in objects.items()
        for prop, spec in obj.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert not bare, f"properties without a description: {bare}"


def test_comparison_reports_drift(file_schema: Schema) -> None:
    model = Order.model_json_schema(mode="validation")
    mutated = copy.deepcopy(file_schema)
    mutated["$defs"]["Line"]["properties"]["bogus"] = {"type": "string", "description": "x"}
    mutated["$defs"]["Line"]["required"].append("bogus")
    mutated["$defs"]["RefundState"]["enum"].remove("rejected")
    mutated["$defs"]["Amounts"]["properties"]["post_fee"]["default"] = 1000

    diffs = compare_schemas(model, mutated)

    assert "Order.lines[] (Line): properties only in schema file: bogus" in diffs
    assert (
        "Order.lines[] (Line): required only in model: [], only in schema file: ['bogus']" in diffs
    )
    assert any("RefundState" in d and "only in model: ['rejected']" in d for d in diffs), diffs
    assert "Order.amounts (Amounts).post_fee: default differs: model=0 file=1000" in diffs
