"""Lifecycle ranks, internal and terminal states, and orderkit's own transitions.

The facts are data: ``orderkit/data/lifecycle.json``, validated against
``schemas/lifecycle.schema.json``. This module loads them once and answers
questions about them; the module-level functions use the packaged data.

Two kinds of move change an order's lifecycle:

- *platform* moves (a new raw status) follow the rank rule in ``rules.py``;
- *orderkit's own* moves (review, allocation, packing, tracking, ops) must be
  listed in the data's ``transitions`` table: ask ``can_transition``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from orderkit._resources import data_path
from orderkit.models.status import Lifecycle
from orderkit.status._files import Problem, raise_problems, read_document, schema_problems

LIFECYCLE_SCHEMA = "lifecycle.schema.json"

Ending = Literal["before_shipping", "after_shipping"]


@dataclass(frozen=True)
class LifecycleTable:
    """The loaded lifecycle data. Treat every mapping as read-only."""

    version: str
    ranks: Mapping[Lifecycle, int]  # ranked (non-terminal) states only
    internal: frozenset[Lifecycle]
    endings: Mapping[Lifecycle, Ending]  # terminal states only
    transitions: Mapping[Lifecycle, Mapping[Lifecycle, str]]  # from -> {to: why}
    notes: Mapping[Lifecycle, str]

    def rank(self, state: Lifecycle) -> int | None:
        """The state's rank; None for a terminal state (terminals are outside the order)."""
        return self.ranks.get(state)

    def is_internal(self, state: Lifecycle) -> bool:
        """Set only by orderkit (on_hold, approved, allocated, packed), never by a platform."""
        return state in self.internal

    def is_terminal(self, state: Lifecycle) -> bool:
        return state in self.endings

    def is_after_shipping(self, state: Lifecycle) -> bool:
        """Shipped or later, or ended after shipping (closed).

        partially_shipped is *before* shipping: the rest is still in the
        warehouse, so it is cancelled (not closed) and interceptable.
        """
        ending = self.endings.get(state)
        if ending is not None:
            return ending == "after_shipping"
        return self.ranks[state] >= self.ranks[Lifecycle.SHIPPED]

    def allowed_transitions(self, state: Lifecycle) -> Mapping[Lifecycle, str]:
        """orderkit's own moves out of ``state``: target -> why it is allowed."""
        return self.transitions.get(state, _EMPTY)

    def can_transition(self, source: Lifecycle, target: Lifecycle) -> bool:
        """May orderkit itself (pipeline or ops) move an order from ``source`` to ``target``?"""
        return target in self.allowed_transitions(source)


_EMPTY: Mapping[Lifecycle, str] = MappingProxyType({})


def load_lifecycle(path: Path | None = None) -> LifecycleTable:
    """Load and validate lifecycle data (default: the packaged ``lifecycle.json``).

    Raises ``MappingError`` naming the file and every problem found.
    """
    path = path or data_path("lifecycle.json")
    origin = str(path)
    data, problems = read_document(path)
    if data is not None and not problems:
        problems = schema_problems(LIFECYCLE_SCHEMA, data)
    if not problems:
        problems = _consistency_problems(data)
    if problems:
        raise_problems(origin, problems)
    return _build(data)


def _consistency_problems(data: Mapping[str, Any]) -> list[Problem]:
    # What the schema cannot say: agreement with the Lifecycle enum, no way out
    # of a terminal state, no move to the same state.
    problems: list[Problem] = []
    names = {str(state) for state in Lifecycle}
    for missing in sorted(names - set(data["states"])):
        problems.append(Problem(f"states.{missing}", "state missing"))
    terminal = {name for name, spec in data["states"].items() if "terminal" in spec}
    for source, targets in data["transitions"].items():
        if source in terminal and targets:
            problems.append(
                Problem(f"transitions.{source}", "a terminal state has no moves out of it")
            )
        if source in targets:
            problems.append(Problem(f"transitions.{source}.{source}", "a move to the same state"))
    return problems


def _build(data: Mapping[str, Any]) -> LifecycleTable:
    states: Mapping[str, Mapping[str, Any]] = data["states"]
    ranks = {Lifecycle(n): int(s["rank"]) for n, s in states.items() if "rank" in s}
    endings: dict[Lifecycle, Ending] = {
        Lifecycle(n): s["terminal"] for n, s in states.items() if "terminal" in s
    }
    transitions = {
        Lifecycle(source): MappingProxyType({Lifecycle(t): str(why) for t, why in targets.items()})
        for source, targets in data["transitions"].items()
    }
    return LifecycleTable(
        version=str(data["version"]),
        ranks=MappingProxyType(ranks),
        internal=frozenset(Lifecycle(n) for n, s in states.items() if s.get("internal", False)),
        endings=MappingProxyType(endings),
        transitions=MappingProxyType(transitions),
        notes=MappingProxyType({Lifecycle(n): str(s["note"]) for n, s in states.items()}),
    )


@cache
def lifecycle_table() -> LifecycleTable:
    """The packaged lifecycle data, loaded and validated once per process."""
    return load_lifecycle()


def rank(state: Lifecycle) -> int | None:
    """Rank of ``state`` (pending_payment 0 ... completed 9); None for a terminal state."""
    return lifecycle_table().rank(state)


def is_internal(state: Lifecycle) -> bool:
    """True for on_hold, approved, allocated, packed: set only by orderkit."""
    return lifecycle_table().is_internal(state)


def is_terminal(state: Lifecycle) -> bool:
    """True for cancelled and closed."""
    return lifecycle_table().is_terminal(state)


def is_after_shipping(state: Lifecycle) -> bool:
    """True for shipped and later, and for closed."""
    return lifecycle_table().is_after_shipping(state)


def can_transition(source: Lifecycle, target: Lifecycle) -> bool:
    """May orderkit itself move an order from ``source`` to ``target``?"""
    return lifecycle_table().can_transition(source, target)


def allowed_transitions(source: Lifecycle) -> Mapping[Lifecycle, str]:
    """orderkit's own moves out of ``source``: target -> why it is allowed."""
    return lifecycle_table().allowed_transitions(source)
