"""The demo's ERP: the legacy-ERP example (``examples/legacy_erp``) in the
same SQLite file. It keeps its own order, stock and 发货单 tables, supplies
stock through ``stock_levels`` and prints waybills as a job of the run loop.

The example ships in the source tree, not in the wheel; from a checkout it
is found next to ``src/``. Without it the demo seeds stock itself and lets
orderkit book the couriers (``run.book_pickups``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa

#: The ERP's stock per warehouse: 杭州仓 runs short of some SKUs, 广州仓 has plenty.
STOCK = {"HZ": 400, "GZ": 5000}


def legacy_erp() -> ModuleType | None:
    """The ``legacy_erp`` package, from the environment or the checkout."""
    try:
        return importlib.import_module("legacy_erp")
    except ImportError:
        pass
    example = Path(__file__).resolve().parents[3] / "examples" / "legacy_erp"
    if not (example / "legacy_erp" / "__init__.py").exists():
        return None
    sys.path.insert(0, str(example))
    try:
        return importlib.import_module("legacy_erp")
    except ImportError:
        return None


def install_erp(module: ModuleType, engine: sa.Engine, skus: list[str]) -> None:
    """Create the ERP's tables and put stock on its shelves."""
    business = importlib.import_module(f"{module.__name__}.erp")
    module.create_erp_schema(engine)
    with engine.begin() as connection:
        for sku in skus:
            for warehouse, quantity in STOCK.items():
                business.receive_stock(connection, sku, warehouse, quantity)
