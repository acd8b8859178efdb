"""``OrderKit``: the one object an ERP holds. It owns the plugin manager, the
validated config, the clock and sleeper, and (from the store issue on) the
database engine."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderkit.builtin import core_host
from orderkit.clock import Clock, Sleeper, SystemClock, SystemSleeper
from orderkit.config import Config, load_config
from orderkit.host import PluginHost

if TYPE_CHECKING:
    import pluggy

    from orderkit.address.types import AddressRequest, AddressResult
    from orderkit.models import Order
    from orderkit.status.mapping import StatusResult


class OrderKit:
    """The embedded order pipeline.

    Build it with :meth:`from_config`; ``kit.pm`` is its pluggy manager.
    """

    def __init__(
        self,
        config: Config,
        *,
        host: PluginHost,
        engine: Any = None,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.sleeper: Sleeper = sleeper or SystemSleeper()

    @classmethod
    def from_config(
        cls,
        source: str | os.PathLike[str] | Mapping[str, Any],
        *,
        engine: Any = None,
        plugins: Iterable[object | tuple[str, object]] = (),
        entrypoints: bool = True,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
    ) -> OrderKit:
        """Load and validate the config, load plugins, and build the kit.

        :param source: a YAML file path or an already-parsed mapping.
        :param engine: the ERP's SQLAlchemy engine or connection; orderkit's
            writes then join the ERP's transaction (store issue).
        :param plugins: extra plugin objects, or ``(name, plugin)`` pairs; a
            channel or courier plugin's name must be its code.
        :param entrypoints: load installed plugins of the ``orderkit`` group.
        :raises ConfigError: listing every problem, before anything runs.
        """
        host = core_host(plugins=plugins, entrypoints=entrypoints)
        if not isinstance(source, Mapping):
            source = Path(source)
        config = load_config(
            source, known_channels=set(host.channels), known_couriers=set(host.couriers)
        )
        host.status_overrides.update(config.status_overrides)
        _check_status_overrides(host)
        return cls(config, host=host, engine=engine, clock=clock, sleeper=sleeper)

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy plugin manager (one per kit, never global)."""
        return self.host.pm

    def map_status(self, order: Order) -> StatusResult:
        """The platform's view of ``order`` on the canonical axes (no rank rules)."""
        from orderkit.status.mapping import StatusResult

        result = self.pm.hook.map_status(
            channel=order.channel, raw=order.platform_status, current=order.status
        )
        if result is None:
            return StatusResult.unmapped_for(order.channel, dict(order.platform_status))
        assert isinstance(result, StatusResult)
        return result

    def clean_address(self, request: AddressRequest) -> AddressResult | None:
        """Run the ``clean_address`` hook (first non-None result)."""
        result: AddressResult | None = self.pm.hook.clean_address(request=request)
        return result


def _check_status_overrides(host: PluginHost) -> None:
    """Refuse a bad ``status_overrides`` row now, not when the first order arrives."""
    from orderkit.builtin import STATUS_MAPPER
    from orderkit.errors import ConfigError, ConfigProblem, MappingError
    from orderkit.status.plugin import StatusTableMapper

    mapper = host.pm.get_plugin(STATUS_MAPPER)
    if not isinstance(mapper, StatusTableMapper):
        return
    try:
        mapper.check_overrides()
    except MappingError as exc:
        raise ConfigError([ConfigProblem(path="status_overrides", message=str(exc))]) from exc
