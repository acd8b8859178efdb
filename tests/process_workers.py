"""Worker functions for the multi-process processing tests (importable by spawn)."""

from __future__ import annotations

from typing import Any


def process_orders(config: dict[str, Any], refs: list[str]) -> dict[str, int]:
    from orderkit.kit import OrderKit

    from .test_process import COURIERS

    kit = OrderKit.from_config(config, entrypoints=False, plugins=COURIERS)
    counts = {"allocated": 0, "gifted": 0, "other": 0}
    for ref in refs:
        outcome = kit.process(ref)
        counts["allocated" if outcome.status == "allocated" else "other"] += 1
        counts["gifted"] += bool(outcome.gifts)
    kit.engine.dispose()
    return counts
