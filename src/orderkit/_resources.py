"""Locate data files shipped with orderkit (schemas, status data).

In a wheel, ``schemas/`` is force-included as ``orderkit/schemas``; in a source
checkout (editable install) it lives at the repository root. Both work.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def schemas_dir() -> Path:
    inside = _PACKAGE_DIR / "schemas"
    if inside.is_dir():
        return inside
    checkout = _PACKAGE_DIR.parent.parent / "schemas"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("orderkit schemas directory not found (broken install?)")


def schema_path(name: str) -> Path:
    """Path of ``schemas/<name>`` (e.g. ``order.schema.json``)."""
    return schemas_dir() / name


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Parsed JSON Schema ``schemas/<name>``; cached, treat as read-only."""
    with schema_path(name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def data_path(*parts: str) -> Path:
    """Path of a data file inside the package (``orderkit/data/...``)."""
    return _PACKAGE_DIR.joinpath("data", *parts)
