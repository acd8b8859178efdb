"""The core ``map_status`` implementation: look the raw status up in the table.

Registered by the host as a built-in plugin. It is ``trylast``, so a channel
plugin's own ``map_status`` (for codes a table cannot express) runs first and
this one answers whatever it leaves (returns None for).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from orderkit._markers import hookimpl
from orderkit.errors import MappingError
from orderkit.models.order import StatusAxes
from orderkit.status.mapping import StatusResult, map_raw
from orderkit.status.tables import StatusTable, apply_overrides


class StatusTableMapper:
    """Maps raw statuses with each channel's table plus config ``status_overrides``.

    :param tables: channel code -> its status table, or None if it has none
        (typically the host's registry of ``ChannelSpec.status_table``).
    :param overrides: config ``status_overrides``: channel -> field -> code -> row.
    """

    def __init__(
        self,
        tables: Callable[[str], StatusTable | None],
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._tables = tables
        # Kept by reference: the host fills it in once the config is loaded.
        self._overrides: Mapping[str, Mapping[str, Any]] = (
            overrides if overrides is not None else {}
        )
        self._memo: dict[tuple[Any, ...], tuple[StatusTable, StatusResult]] = {}
        # channel -> (base table, the overrides applied to it, the overridden table)
        self._effective: dict[str, tuple[StatusTable, Any, StatusTable]] = {}

    def table_for(self, channel: str) -> StatusTable | None:
        """The channel's table with its overrides applied.

        Cached; rebuilt when the base table or the channel's overrides change.
        """
        base = self._tables(channel)
        if base is None:
            return None
        wanted = self._overrides.get(channel)
        cached = self._effective.get(channel)
        if cached is not None and cached[0] is base and cached[1] == wanted:
            return cached[2]
        effective = apply_overrides(base, wanted, origin=f"status_overrides.{channel}")
        self._effective[channel] = (base, copy.deepcopy(wanted), effective)
        return effective

    def check_overrides(self) -> None:
        """Apply every channel's overrides now, so a bad row fails at start-up.

        :raises MappingError: a bad row, or overrides for a channel with no table.
        """
        for channel in self._overrides:
            if self.table_for(channel) is None:
                raise MappingError(
                    "no status table for this channel (is its plugin installed?)",
                    field=f"status_overrides.{channel}",
                )

    @hookimpl(trylast=True)
    def map_status(
        self, channel: str, raw: Mapping[str, str], current: StatusAxes | None
    ) -> StatusResult | None:
        """Table lookup; None when the channel has no table (not ours)."""
        table = self.table_for(channel)
        if table is None:
            return None
        # Raw statuses take few distinct values: remember mapped answers (per
        # table object, so an override change starts afresh). UNMAPPED is never
        # cached, so its warning is logged every time.
        state = (current.lifecycle, current.refund, current.presale) if current else None
        key = (id(table), tuple(sorted(raw.items())), state)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is table:
            return hit[1]
        result = map_raw(table, raw, current)
        if not result.is_unmapped:
            if len(self._memo) > 4096:
                self._memo.clear()
            self._memo[key] = (table, result)
        return result
