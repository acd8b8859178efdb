"""The core ``clean_address`` implementation, registered by ``core_host``.

It runs ``trylast``: a plugin that knows better (a paid geocoder, an ERP's
own cleaner) answers first; a channel may wrap it to pass structured hints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderkit._markers import hookimpl
from orderkit.address.types import AddressRequest, AddressResult

if TYPE_CHECKING:
    from orderkit.address.cleaner import AddressSettings

#: Plugin name under which ``core_host`` registers the cleaner.
PLUGIN_NAME = "orderkit.address"


class AddressCleaner:
    """Hook implementation around ``orderkit.address.clean``.

    ``settings``: the config's ``address`` section (``AddressConfig``), or
    ``None`` for the defaults; the kit may set it once the config is loaded.
    """

    def __init__(self, settings: AddressSettings | None = None) -> None:
        self.settings = settings

    @hookimpl(trylast=True)
    def clean_address(self, request: AddressRequest) -> AddressResult:
        from orderkit.address.cleaner import clean

        return clean(request.text, hints=request.hints, config=self.settings)


def address_plugin() -> tuple[str, AddressCleaner]:
    """``(name, plugin)`` as ``core_host`` registers its built-ins."""
    return (PLUGIN_NAME, AddressCleaner())
