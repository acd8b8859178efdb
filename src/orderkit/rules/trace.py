"""The rule set's version and the trace every decision returns.

The version is a hash of the ``rules`` section together with the config facts
the rules read (SKU weights and categories, warehouse codes and regions,
courier codes, remote areas): changing a SKU's weight can change the courier,
so it must change the version written into traces as well. Reordering shops or
editing a warehouse's street address does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orderkit.models.order import DecisionTrace
from orderkit.rules import build

if TYPE_CHECKING:
    from orderkit.config.model import Config

#: Length of the hex version: short enough to read aloud, long enough to be unique.
VERSION_LENGTH = 12


def rule_set_version(config: Config) -> str:
    """Stable hash of the rules and of the config facts they read."""
    material = {
        "rules": config.rules,
        "skus": {code: sku.model_dump() for code, sku in sorted(config.skus.items())},
        "warehouses": [
            {"code": w.code, "regions": w.regions, "priority": w.priority}
            for w in config.warehouses
        ],
        "couriers": [{"code": c.code, "enabled": c.enabled} for c in config.couriers],
        "address": {
            "remote_areas": config.address.remote_areas,
            "min_confidence": config.address.min_confidence,
        },
    }
    return version_of(material)


def version_of(material: Mapping[str, Any]) -> str:
    """Hash of JSON-like ``material``; key order and YAML dates do not matter."""
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


def make_trace(
    stage: str,
    version: str,
    outcome: dict[str, Any],
    steps: list[dict[str, Any]],
    not_triggered: int = 0,
) -> DecisionTrace:
    """A ``DecisionTrace`` built without re-validating what this package just made."""
    return build.trace(stage, version, outcome, steps, not_triggered)
