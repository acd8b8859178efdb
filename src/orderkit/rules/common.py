"""What every rule has: an id, a priority, a condition, a place in the file.

Rules of a family are evaluated by ``priority`` (lower first, default 100),
then in the order they are written; that second key is the tie-break the
trace names when it decides something.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from orderkit.rules.conditions import Condition, compile_condition

DEFAULT_PRIORITY = 100


@dataclass(frozen=True, slots=True)
class Head:
    """The common part of a rule, as compiled from its mapping."""

    id: str
    position: int
    priority: int
    condition: Condition
    path: str


def heads(
    items: Sequence[Mapping[str, Any]], section: str
) -> Iterator[tuple[Head, Mapping[str, Any]]]:
    """(head, raw rule) for each enabled rule of ``rules.<section>``, in file order."""
    for position, item in enumerate(items):
        if not item.get("enabled", True):
            continue
        path = f"rules.{section}[{position}]"
        yield (
            Head(
                id=str(item["id"]),
                position=position,
                priority=int(item.get("priority", DEFAULT_PRIORITY)),
                condition=compile_condition(item.get("when"), f"{path}.when"),
                path=path,
            ),
            item,
        )


class Ruled(Protocol):
    """A compiled rule of any family."""

    @property
    def head(self) -> Head: ...


H = TypeVar("H", bound=Ruled)


def in_order(rules: Sequence[H]) -> list[H]:
    """``rules`` in evaluation order: priority, then position in the file."""
    return sorted(rules, key=lambda rule: (rule.head.priority, rule.head.position))


def tie_break(first: Head, second: Head) -> str | None:
    """Why ``first`` went before ``second`` when their priorities are equal."""
    if first.priority != second.priority:
        return None
    return (
        f"rules {first.id} and {second.id} have the same priority {first.priority}; "
        f"{first.id} is written first"
    )
