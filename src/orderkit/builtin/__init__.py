"""Core defaults, registered as built-in plugins so they follow the same rules
as everyone else's (and can be wrapped or overridden)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderkit.host import PluginHost

#: Plugin name of the table-driven ``map_status`` default.
STATUS_MAPPER = "orderkit.status"


def core_host(
    *, plugins: Iterable[object | tuple[str, object]] = (), entrypoints: bool = True
) -> PluginHost:
    """A host with the core defaults, installed plugins and ``plugins``.

    The status mapper reads ops overrides from ``host.status_overrides``,
    which the kit fills from the config once it is validated.
    """
    from orderkit.address.plugin import address_plugin
    from orderkit.builtin import own_channel
    from orderkit.host import create_host
    from orderkit.rules import RULES_PLUGIN, CoreRulesPlugin
    from orderkit.status.plugin import StatusTableMapper

    overrides: dict[str, Any] = {}
    holder: list[PluginHost] = []
    mapper = StatusTableMapper(
        tables=lambda code: holder[0].status_table(code), overrides=overrides
    )
    host = create_host(
        builtins=[
            (STATUS_MAPPER, mapper),
            (own_channel.CODE, own_channel),
            address_plugin(),
            (RULES_PLUGIN, CoreRulesPlugin()),
        ],
        plugins=plugins,
        entrypoints=entrypoints,
    )
    host.status_overrides = overrides
    holder.append(host)
    return host
