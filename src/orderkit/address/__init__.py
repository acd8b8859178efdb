"""Chinese address cleaning. Importing this package does not import SQLAlchemy.

::

    from orderkit.address import clean
    result = clean("浙江杭州西湖区文三路478号华星时代广场A座1203 放门卫")
    result.district, result.district_code, result.remark   # 西湖区 330106 放门卫

Modules, one job each: ``normalize`` (full-width, spaces), ``contacts``
(names and phones out of the text), ``gazetteer`` (the division data),
``matcher`` (many names in one pass), ``resolve`` (which division the names
mean, or that it is ambiguous), ``split`` (street / detail / remark),
``checks`` (phones, remote areas, hard-to-deliver words, ID numbers),
``result`` (fields, flags, confidence), ``cleaner`` (``clean``,
``clean_many``), ``plugin`` (the core ``clean_address`` hookimpl).
The division data is loaded on the first call, not on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderkit.address.types import AddressHints, AddressRequest, AddressResult

if TYPE_CHECKING:
    from orderkit.address.cleaner import clean, clean_many

__all__ = ["AddressHints", "AddressRequest", "AddressResult", "clean", "clean_many"]


def __getattr__(name: str) -> Any:
    # The cleaner pulls in the matcher and regexes: only when asked for.
    if name in ("clean", "clean_many"):
        from orderkit.address import cleaner

        value = getattr(cleaner, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'orderkit.address' has no attribute {name!r}")
