"""orderkit: the order pipeline an ERP embeds for Chinese multi-channel e-commerce.

Imports are lazy (PEP 562): ``import orderkit`` pulls in neither SQLAlchemy nor
httpx, so helpers such as ``orderkit.address`` stay cheap to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from orderkit._markers import hookimpl
    from orderkit.kit import OrderKit

_LAZY = {
    "OrderKit": "orderkit.kit",
    "hookimpl": "orderkit._markers",
}

__all__ = ["OrderKit", "__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orderkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
