"""An old ERP, its own tables, and the orderkit plugin that feeds them.

- ``legacy_erp.schema``: the ERP's tables (``XS_DDZB``, ``XS_DDMX``, ``KC_KCB``)
  and ``create_erp_schema(engine)``;
- ``legacy_erp.mapping``: canonical order -> the ERP's row values (pure);
- ``legacy_erp.plugin``: ``persist_order`` and ``stock_levels``
  (``LegacyErpPlugin(bind)``, or the module itself as an entry point);
- ``legacy_erp.erp``: a little of the ERP's own business code.
"""

from legacy_erp.plugin import LegacyErpPlugin, read_stock, write_order
from legacy_erp.schema import ERP_TABLES, KC_KCB, XS_DDMX, XS_DDZB, create_erp_schema, metadata

__all__ = [
    "ERP_TABLES",
    "KC_KCB",
    "XS_DDMX",
    "XS_DDZB",
    "LegacyErpPlugin",
    "create_erp_schema",
    "metadata",
    "read_stock",
    "write_order",
]
