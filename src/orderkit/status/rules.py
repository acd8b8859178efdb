"""The rank rule: what a platform's lifecycle does to an order's current one.

A platform status never moves an order back, never overrides orderkit's own
internal states, and always ends it (cancelled/closed). The decision is a pure
function of (current, incoming); the store applies it and writes the timeline.

=================  ==========================================================
outcome            when
=================  ==========================================================
applied            new order, or incoming ranks above current
unchanged          incoming equals current (or a terminal repeats itself)
behind_internal    platform still says paid while orderkit has the order in
                   an internal state (on_hold/approved/allocated/packed):
                   consistent, kept silently
regression         incoming ranks below current, or a non-terminal after a
                   terminal: a stale payload; current is kept and the store
                   records one timeline event
terminal           cancelled/closed from the platform: always applied;
                   ``interception`` when the warehouse may be working on it
=================  ==========================================================

After a terminal state only another terminal changes anything: a stale
non-terminal payload is a regression; cancelled -> closed applies (the
platform saw a shipment we did not). ``cancelled`` arriving once the order
has shipped (shipped or later, or closed) is recorded as ``closed``, because
``cancelled`` means "ended before shipping" and downstream (waybill recycling,
stock release) depends on that meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orderkit.errors import MappingError
from orderkit.models.status import Lifecycle
from orderkit.status.axes import LifecycleTable, lifecycle_table

Outcome = Literal["applied", "unchanged", "behind_internal", "regression", "terminal"]


@dataclass(frozen=True)
class LifecycleDecision:
    """What the rank rule decided for one incoming platform lifecycle."""

    outcome: Outcome
    result: Lifecycle  # the lifecycle the order has after the decision
    interception: bool  # a terminal arrived while the warehouse may be working on the order
    reason: str  # human-readable, for the timeline and ``orderkit explain``
    current: Lifecycle | None
    incoming: Lifecycle

    @property
    def changed(self) -> bool:
        """True when ``result`` differs from ``current``."""
        return self.result != self.current


def apply_platform_lifecycle(
    current: Lifecycle | None,
    incoming: Lifecycle,
    *,
    table: LifecycleTable | None = None,
) -> LifecycleDecision:
    """Decide what a platform-reported lifecycle does to the order's current one.

    :param current: the order's lifecycle, or None for a new order.
    :param incoming: what the platform's status maps to (``map_status``).
    :param table: lifecycle data; the packaged data by default.
    :raises MappingError: ``incoming`` is an internal state; no platform may
        report one (the status-table loader refuses such rows).
    """
    t = table or lifecycle_table()
    if t.is_internal(incoming):
        raise MappingError(
            f"{incoming} is an internal state set only by orderkit; "
            "a platform status cannot map to it",
            field="lifecycle",
        )
    if t.is_terminal(incoming):
        outcome, result, reason, intercept = _terminal(t, current, incoming)
    else:
        outcome, result, reason = _ranked(t, current, incoming)
        intercept = False
    return LifecycleDecision(outcome, result, intercept, reason, current, incoming)


def _ranked(
    t: LifecycleTable, current: Lifecycle | None, incoming: Lifecycle
) -> tuple[Outcome, Lifecycle, str]:
    if current is None:
        return "applied", incoming, f"new order: platform says {incoming}"
    if current == incoming:
        return "unchanged", current, f"platform still says {incoming}"
    if t.is_terminal(current):
        return "regression", current, f"platform says {incoming} but the order ended ({current})"
    if t.is_internal(current) and incoming == Lifecycle.PAID:
        reason = f"platform says paid; orderkit has moved it on to {current} (internal)"
        return "behind_internal", current, reason
    current_rank, incoming_rank = t.ranks[current], t.ranks[incoming]
    if incoming_rank < current_rank:
        reason = (
            f"platform says {incoming} (rank {incoming_rank}) but the order is {current} "
            f"(rank {current_rank}); a status never moves back"
        )
        return "regression", current, reason
    return "applied", incoming, f"platform moved it from {current} to {incoming}"


def _terminal(
    t: LifecycleTable, current: Lifecycle | None, incoming: Lifecycle
) -> tuple[Outcome, Lifecycle, str, bool]:
    result = incoming
    note = ""
    if incoming == Lifecycle.CANCELLED and current is not None and t.is_after_shipping(current):
        result = Lifecycle.CLOSED
        note = f" (recorded as closed: the order had shipped, it was {current})"
    if result == current:
        return "unchanged", result, f"platform still says the order ended ({result})", False
    intercept = current is not None and _in_warehouse_window(t, current)
    reason = f"platform ended the order: {incoming}{note}"
    if intercept:
        reason += f"; intercept it, the warehouse may be working on it ({current})"
    return "terminal", result, reason, intercept


def _in_warehouse_window(t: LifecycleTable, state: Lifecycle) -> bool:
    # paid .. partially_shipped, internal states included: stock may be
    # reserved, parcels packed, part of the order still in the warehouse.
    state_rank = t.rank(state)
    return (
        state_rank is not None
        and t.ranks[Lifecycle.PAID] <= state_rank < t.ranks[Lifecycle.SHIPPED]
    )
