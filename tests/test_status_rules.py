"""Lifecycle data (ranks, internal/terminal states, transitions) and the rank
rule for platform-reported lifecycles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orderkit._resources import data_path, load_schema
from orderkit.errors import MappingError
from orderkit.models.status import Lifecycle, PresaleState, RefundState
from orderkit.status import (
    allowed_transitions,
    apply_platform_lifecycle,
    can_transition,
    is_after_shipping,
    is_internal,
    is_terminal,
    lifecycle_table,
    load_lifecycle,
    rank,
)

L = Lifecycle
INTERNAL = {L.ON_HOLD, L.APPROVED, L.ALLOCATED, L.PACKED}
TERMINAL = {L.CANCELLED, L.CLOSED}
PLATFORM_VISIBLE = [state for state in L if state not in INTERNAL]
# paid .. partially_shipped: the warehouse may be working on the order.
WAREHOUSE_WINDOW = {L.PAID, *INTERNAL, L.PARTIALLY_SHIPPED}


# -- data and schema ----------------------------------------------------------


def test_ranks_follow_the_design() -> None:
    expected = {
        L.PENDING_PAYMENT: 0,
        L.PAID: 1,
        L.ON_HOLD: 2,
        L.APPROVED: 2,
        L.ALLOCATED: 3,
        L.PACKED: 4,
        L.PARTIALLY_SHIPPED: 5,
        L.SHIPPED: 6,
        L.IN_TRANSIT: 7,
        L.DELIVERED: 8,
        L.COMPLETED: 9,
        L.CANCELLED: None,
        L.CLOSED: None,
    }
    assert {state: rank(state) for state in L} == expected


def test_internal_and_terminal_states() -> None:
    assert {state for state in L if is_internal(state)} == INTERNAL
    assert {state for state in L if is_terminal(state)} == TERMINAL


@pytest.mark.parametrize(
    ("state", "after"),
    [
        (L.PENDING_PAYMENT, False),
        (L.PACKED, False),
        (L.PARTIALLY_SHIPPED, False),
        (L.SHIPPED, True),
        (L.COMPLETED, True),
        (L.CANCELLED, False),
        (L.CLOSED, True),
    ],
)
def test_shipping_boundary(state: Lifecycle, after: bool) -> None:
    assert is_after_shipping(state) is after


def test_schemas_are_valid_2020_12_with_versioned_ids() -> None:
    for name, kind in (
        ("lifecycle.schema.json", "lifecycle"),
        ("status_table.schema.json", "status_table"),
    ):
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"https://orderkit.dev/schemas/{kind}/1.0.0/{name}"


def test_schema_enums_agree_with_the_python_enums() -> None:
    lifecycle = load_schema("lifecycle.schema.json")
    assert lifecycle["$defs"]["lifecycle"]["enum"] == [s.value for s in L]
    assert lifecycle["properties"]["states"]["required"] == [s.value for s in L]
    table = load_schema("status_table.schema.json")["$defs"]
    assert table["lifecycle_target"]["enum"] == [s.value for s in PLATFORM_VISIBLE]
    assert table["refund_value"]["enum"] == [s.value for s in RefundState]
    assert table["presale_value"]["enum"] == [s.value for s in PresaleState]


def test_packaged_data_validates_and_loads_once() -> None:
    with data_path("lifecycle.json").open(encoding="utf-8") as fh:
        data = json.load(fh)
    Draft202012Validator(load_schema("lifecycle.schema.json")).validate(data)
    assert lifecycle_table() is lifecycle_table()
    assert lifecycle_table().version == data["version"]
    assert all(lifecycle_table().notes[state] for state in L)


def _write_lifecycle(tmp_path: Path, change: Any) -> Path:
    with data_path("lifecycle.json").open(encoding="utf-8") as fh:
        data = json.load(fh)
    change(data)
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_refuses_a_way_out_of_a_terminal_state(tmp_path: Path) -> None:
    path = _write_lifecycle(tmp_path, lambda d: d["transitions"].update(closed={"paid": "undo"}))
    with pytest.raises(MappingError, match="terminal state has no moves out") as exc:
        load_lifecycle(path)
    assert exc.value.field == "transitions.closed"
    assert str(path) in str(exc.value)


def test_load_refuses_a_missing_state_and_a_ranked_terminal(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        del d["states"]["packed"]
        d["states"]["closed"]["rank"] = 10

    with pytest.raises(MappingError) as exc:
        load_lifecycle(_write_lifecycle(tmp_path, change))
    assert "packed" in str(exc.value)
    assert "states.closed" in str(exc.value)


def test_load_refuses_duplicate_keys(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.json"
    text = data_path("lifecycle.json").read_text(encoding="utf-8")
    path.write_text(text.replace('"rank": 1,', '"rank": 1, "rank": 2,'), encoding="utf-8")
    with pytest.raises(MappingError, match="'rank' appears more than once") as exc:
        load_lifecycle(path)
    assert exc.value.field == "states.paid.rank"


# -- orderkit's own transitions -------------------------------------------------


@pytest.mark.parametrize(
    ("source", "targets"),
    [
        (L.PAID, {L.ON_HOLD, L.APPROVED}),
        (L.ON_HOLD, {L.APPROVED, L.CANCELLED}),
        (L.APPROVED, {L.ON_HOLD, L.ALLOCATED}),
        (L.ALLOCATED, {L.PACKED, L.ON_HOLD, L.APPROVED}),
        (L.PACKED, {L.SHIPPED, L.PARTIALLY_SHIPPED}),
        (L.PARTIALLY_SHIPPED, {L.SHIPPED}),
        (L.SHIPPED, {L.IN_TRANSIT}),
        (L.IN_TRANSIT, {L.DELIVERED}),
    ],
)
def test_documented_moves_are_allowed(source: Lifecycle, targets: set[Lifecycle]) -> None:
    for target in targets:
        assert can_transition(source, target), f"{source} -> {target}"
        assert allowed_transitions(source)[target]  # every move says why


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (L.CANCELLED, L.SHIPPED),  # no "cancelled -> shipped" without a guard
        (L.CLOSED, L.PAID),
        (L.SHIPPED, L.PAID),
        (L.SHIPPED, L.ON_HOLD),  # internal states are pre-shipping only
        (L.ON_HOLD, L.ALLOCATED),  # a released hold goes through approved
        (L.PAID, L.ALLOCATED),  # no allocation without review
        (L.PENDING_PAYMENT, L.PAID),  # payment is the platform's word
        (L.IN_TRANSIT, L.CANCELLED),  # after shipping an order closes
        (L.PAID, L.CLOSED),  # before shipping an order cancels
    ],
)
def test_other_moves_are_refused(source: Lifecycle, target: Lifecycle) -> None:
    assert not can_transition(source, target)


def test_transition_table_invariants() -> None:
    for source in L:
        targets = set(allowed_transitions(source))
        if is_terminal(source):
            assert not targets, f"{source} is terminal"
            continue
        assert source not in targets
        if is_after_shipping(source):
            assert L.CLOSED in targets and L.CANCELLED not in targets, source
            assert not targets & INTERNAL, source
        else:
            assert L.CANCELLED in targets and L.CLOSED not in targets, source
        for target in targets - TERMINAL:
            # Forward, or onto a hold / back to approved for re-allocation.
            source_rank, target_rank = rank(source), rank(target)
            assert source_rank is not None and target_rank is not None
            assert target_rank >= source_rank or target in INTERNAL, (source, target)


# -- the rank rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "incoming", "outcome", "result", "interception"),
    [
        (None, L.PAID, "applied", L.PAID, False),
        (None, L.CANCELLED, "terminal", L.CANCELLED, False),
        (L.PENDING_PAYMENT, L.PAID, "applied", L.PAID, False),
        (L.PAID, L.PAID, "unchanged", L.PAID, False),
        (L.PAID, L.SHIPPED, "applied", L.SHIPPED, False),
        (L.APPROVED, L.PAID, "behind_internal", L.APPROVED, False),
        (L.PACKED, L.PAID, "behind_internal", L.PACKED, False),
        (L.ALLOCATED, L.PENDING_PAYMENT, "regression", L.ALLOCATED, False),
        (L.ON_HOLD, L.SHIPPED, "applied", L.SHIPPED, False),  # shipped outside orderkit
        (L.SHIPPED, L.PAID, "regression", L.SHIPPED, False),
        (L.IN_TRANSIT, L.SHIPPED, "regression", L.IN_TRANSIT, False),
        (L.PENDING_PAYMENT, L.CANCELLED, "terminal", L.CANCELLED, False),
        (L.PAID, L.CANCELLED, "terminal", L.CANCELLED, True),
        (L.PACKED, L.CANCELLED, "terminal", L.CANCELLED, True),
        (L.PARTIALLY_SHIPPED, L.CLOSED, "terminal", L.CLOSED, True),
        (L.SHIPPED, L.CLOSED, "terminal", L.CLOSED, False),
        (L.DELIVERED, L.CANCELLED, "terminal", L.CLOSED, False),  # it had shipped
        (L.CANCELLED, L.PAID, "regression", L.CANCELLED, False),  # stale payload
        (L.CANCELLED, L.CANCELLED, "unchanged", L.CANCELLED, False),
        (L.CANCELLED, L.CLOSED, "terminal", L.CLOSED, False),
        (L.CLOSED, L.CANCELLED, "unchanged", L.CLOSED, False),
        (L.CLOSED, L.COMPLETED, "regression", L.CLOSED, False),
    ],
)
def test_rank_rule_cases(
    current: Lifecycle | None,
    incoming: Lifecycle,
    outcome: str,
    result: Lifecycle,
    interception: bool,
) -> None:
    decision = apply_platform_lifecycle(current, incoming)
    assert (decision.outcome, decision.result, decision.interception) == (
        outcome,
        result,
        interception,
    )
    assert (decision.current, decision.incoming) == (current, incoming)
    assert decision.reason
    assert decision.changed is (result != current)


@pytest.mark.parametrize("current", [None, *L])
@pytest.mark.parametrize("incoming", PLATFORM_VISIBLE)
def test_rank_rule_every_pair_is_sane(current: Lifecycle | None, incoming: Lifecycle) -> None:
    decision = apply_platform_lifecycle(current, incoming)
    result = decision.result

    # Terminals from the platform always end the order.
    if incoming in TERMINAL:
        assert result in TERMINAL
        assert decision.outcome == ("unchanged" if result == current else "terminal")
    else:
        assert decision.outcome != "terminal"

    # Never a regression: a change is a new order, a terminal, or a step up.
    if decision.changed and current is not None and result not in TERMINAL:
        current_rank, result_rank = rank(current), rank(result)
        assert current_rank is not None and result_rank is not None
        assert result_rank > current_rank
    if decision.outcome in ("regression", "behind_internal", "unchanged"):
        assert result == current
    if current in TERMINAL:
        assert result in TERMINAL

    # Platforms never put an order into an internal state.
    assert result not in INTERNAL or result == current

    assert decision.outcome == "behind_internal" or not (current in INTERNAL and incoming == L.PAID)
    assert decision.interception is (decision.outcome == "terminal" and current in WAREHOUSE_WINDOW)


@pytest.mark.parametrize("incoming", sorted(INTERNAL))
def test_a_platform_cannot_report_an_internal_state(incoming: Lifecycle) -> None:
    with pytest.raises(MappingError, match="internal state"):
        apply_platform_lifecycle(L.PAID, incoming)
