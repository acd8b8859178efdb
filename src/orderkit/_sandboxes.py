"""The options a channel's or courier's in-process sandbox is built with
(``endpoint: sandbox``): the config's ``settings.sandbox``, the entry's own
credentials (so the sandbox accepts exactly those), and the kit's clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from orderkit.clock import Clock, ensure_utc
from orderkit.config import SecretRef


def sandbox_options(
    given: Mapping[str, Any], credentials: Iterable[tuple[str, str | None]], clock: Clock
) -> dict[str, Any]:
    # secret-named options arrive as SecretRefs (sandbox:VALUE), like any secret
    options = {k: v.resolve() if isinstance(v, SecretRef) else v for k, v in given.items()}
    for key in ("start", "end"):  # YAML gives text; every sandbox gets datetimes
        if isinstance(options.get(key), str):
            options[key] = ensure_utc(datetime.fromisoformat(options[key]))
    for name, value in credentials:
        if value is not None:
            options.setdefault(name, value)
    options.setdefault("clock", clock)
    return options
