"""``PluginHost``: one pluggy manager, its loaded plugins, and routing by code."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy
import structlog

from orderkit.decisions import GiftDecision
from orderkit.errors import (
    DuplicateCodeError,
    OrderKitError,
    PluginContractError,
    PluginError,
)
from orderkit.host.loading import LoadedPlugin, PluginLoadFailure, load_entry_point_plugins
from orderkit.host.manager import new_plugin_manager
from orderkit.host.registry import Registered, collect_specs
from orderkit.specs import ChannelSpec, CourierSpec, JobSpec

if TYPE_CHECKING:
    from orderkit.decisions import DecisionContext, PickupRequest, WaybillBooking
    from orderkit.models import Order, Shipment
    from orderkit.specs import (
        CourierContext,
        CredentialGrant,
        FetchPage,
        ShipResult,
        ShopContext,
        SyncWindow,
    )
    from orderkit.status.tables import StatusTable

log = structlog.get_logger("orderkit.plugins")


@dataclass
class GiftResults:
    """What every ``apply_gifts`` impl proposed, and which impls failed."""

    decisions: list[tuple[str, GiftDecision]] = field(default_factory=list)
    errors: list[PluginError] = field(default_factory=list)


@dataclass
class PluginHost:
    """Owns a plugin manager and what its plugins registered."""

    pm: pluggy.PluginManager
    loaded: list[LoadedPlugin] = field(default_factory=list)
    failures: list[PluginLoadFailure] = field(default_factory=list)
    builtin_names: set[str] = field(default_factory=set)
    channels: dict[str, Registered[ChannelSpec]] = field(default_factory=dict)
    couriers: dict[str, Registered[CourierSpec]] = field(default_factory=dict)
    #: Ops overrides of status tables (config ``status_overrides``), by channel.
    status_overrides: dict[str, Any] = field(default_factory=dict)
    _routed: dict[tuple[str, str], Any] = field(default_factory=dict)
    _tables: dict[str, StatusTable] = field(default_factory=dict)

    # -- registration --------------------------------------------------------

    def refresh(self) -> None:
        """Validate every registered impl and rebuild the code registry.

        Run after loading and again whenever a plugin is added at runtime.
        """
        self.pm.check_pending()
        self.channels = collect_specs(self.pm, "register_channels", ChannelSpec)
        self.couriers = collect_specs(self.pm, "register_couriers", CourierSpec)
        self._routed.clear()
        self._tables.clear()
        for code in self.channels:  # a broken table is a start-up error, not a 3 a.m. one
            self.status_table(code)

    def register_plugin(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object at runtime (tests, embedding) and re-validate."""
        registered = self.pm.register(plugin, name=name)
        if registered is None:
            raise PluginError("is blocked and was not registered", plugin_name=name or "?")
        self.refresh()
        return registered

    # -- lookup --------------------------------------------------------------

    def channel(self, code: str) -> ChannelSpec:
        try:
            return self.channels[code].spec
        except KeyError:
            known = ", ".join(sorted(self.channels)) or "none"
            raise OrderKitError(
                f"no plugin provides channel {code!r} (installed: {known}); "
                f"install orderkit-{code} or check `orderkit plugins`"
            ) from None

    def courier(self, code: str) -> CourierSpec:
        try:
            return self.couriers[code].spec
        except KeyError:
            known = ", ".join(sorted(self.couriers)) or "none"
            raise OrderKitError(
                f"no plugin provides courier {code!r} (installed: {known})"
            ) from None

    def status_table(self, code: str) -> StatusTable | None:
        """The channel's status table, loaded and validated once."""
        if code not in self.channels:
            return None
        if code not in self._tables:
            from orderkit.errors import MappingError
            from orderkit.status.tables import load_status_table

            owner = self.channels[code]
            try:
                self._tables[code] = load_status_table(owner.spec.status_table)
            except (MappingError, OSError) as exc:
                raise PluginContractError(
                    f"status table of channel {code!r} is invalid: {exc}",
                    plugin_name=owner.plugin_name,
                    hook_name="register_channels",
                ) from exc
        return self._tables[code]

    # -- routing -------------------------------------------------------------

    def _routed_caller(self, hook_name: str, owner: Registered[Any]) -> Any:
        """A hook caller limited to the owning plugin plus cross-cutting wrappers."""
        key = (hook_name, owner.plugin_name)
        caller = self._routed.get(key)
        if caller is None:
            hook = getattr(self.pm.hook, hook_name)
            others = {
                impl.plugin
                for impl in hook.get_hookimpls()
                if not (impl.wrapper or impl.hookwrapper) and impl.plugin is not owner.plugin
            }
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            self._routed[key] = caller
        return caller

    def _call_routed(self, hook_name: str, owner: Registered[Any], **kwargs: Any) -> Any:
        caller = self._routed_caller(hook_name, owner)
        try:
            results = caller(**kwargs)
        except OrderKitError:
            raise
        except Exception as exc:  # a bug in the plugin: attribute it
            raise PluginError(
                f"{type(exc).__name__}: {exc}", plugin_name=owner.plugin_name, hook_name=hook_name
            ) from exc
        if not results:
            raise PluginContractError(
                "returned nothing (routed hooks must return a result)",
                plugin_name=owner.plugin_name,
                hook_name=hook_name,
            )
        return results[0]

    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        self.channel(shop.channel)
        page_result: FetchPage = self._call_routed(
            "fetch_orders", self.channels[shop.channel], shop=shop, window=window, page=page
        )
        return page_result

    def ship_order(self, shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
        self.channel(shop.channel)
        result: ShipResult = self._call_routed(
            "ship_order", self.channels[shop.channel], shop=shop, order=order, shipment=shipment
        )
        return result

    def can_ship(self, channel: str) -> bool:
        """True when the channel's plugin uploads tracking numbers (``ship_order``)."""
        owner = self.channels[channel].plugin
        return any(impl.plugin is owner for impl in self.pm.hook.ship_order.get_hookimpls())

    def can_refresh(self, channel: str) -> bool:
        owner = self.channels[channel].plugin
        return any(
            impl.plugin is owner for impl in self.pm.hook.refresh_credentials.get_hookimpls()
        )

    def refresh_credentials(self, shop: ShopContext) -> CredentialGrant:
        self.channel(shop.channel)
        grant: CredentialGrant = self._call_routed(
            "refresh_credentials", self.channels[shop.channel], shop=shop
        )
        return grant

    def book_pickup(self, courier: CourierContext, request: PickupRequest) -> WaybillBooking:
        self.courier(request.courier)
        booking: WaybillBooking = self._call_routed(
            "book_pickup", self.couriers[request.courier], courier=courier, request=request
        )
        return booking

    def jobs(self) -> dict[str, tuple[str, JobSpec]]:
        """Jobs plugins add to ``orderkit run``: name -> (plugin name, spec)."""
        found: dict[str, tuple[str, JobSpec]] = {}
        for impl in self.pm.hook.register_jobs.get_hookimpls():
            specs: list[JobSpec] = []
            impl.function(**({"register": specs.append} if impl.argnames else {}))
            for spec in specs:
                if not isinstance(spec, JobSpec):
                    raise PluginContractError(
                        f"registered {spec!r}, not a JobSpec",
                        plugin_name=impl.plugin_name,
                        hook_name="register_jobs",
                    )
                if spec.name in found:
                    raise PluginContractError(
                        f"job {spec.name!r} is already registered by {found[spec.name][0]}",
                        plugin_name=impl.plugin_name,
                        hook_name="register_jobs",
                    )
                found[spec.name] = (impl.plugin_name, spec)
        return found

    def apply_gifts(self, order: Order, context: DecisionContext) -> GiftResults:
        """Call every ``apply_gifts`` impl in isolation: one failing plugin is
        reported as a ``PluginError`` and does not stop the others. Decisions
        come back sorted by plugin name, independent of registration order."""
        results = GiftResults()
        for impl in sorted(self.pm.hook.apply_gifts.get_hookimpls(), key=lambda i: i.plugin_name):
            if impl.wrapper or impl.hookwrapper:
                continue
            kwargs = {"order": order, "context": context}
            try:
                decision = impl.function(*(kwargs[name] for name in impl.argnames))
            except Exception as exc:
                results.errors.append(
                    PluginError(
                        f"{type(exc).__name__}: {exc}",
                        plugin_name=impl.plugin_name,
                        hook_name="apply_gifts",
                    )
                )
                continue
            if decision is None:
                continue
            if not isinstance(decision, GiftDecision):
                results.errors.append(
                    PluginContractError(
                        f"returned {type(decision).__name__}, expected GiftDecision or None",
                        plugin_name=impl.plugin_name,
                        hook_name="apply_gifts",
                    )
                )
                continue
            results.decisions.append((impl.plugin_name, decision))
        return results

    # -- introspection -------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """What ``orderkit plugins --json`` prints."""
        dists = {p.name: p for p in self.loaded}
        plugins = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda item: item[0]):
            if plugin is None:
                continue
            loaded = dists.get(name)
            plugins.append(
                {
                    "name": name,
                    "builtin": name in self.builtin_names,
                    "distribution": loaded.distribution if loaded else None,
                    "version": loaded.version if loaded else None,
                    "hooks": sorted(c.name for c in self.pm.get_hookcallers(plugin) or []),
                    "channels": sorted(c for c, r in self.channels.items() if r.plugin is plugin),
                    "couriers": sorted(c for c, r in self.couriers.items() if r.plugin is plugin),
                }
            )
        return {
            "plugins": plugins,
            "failed": [
                {
                    "name": f.name,
                    "distribution": f.distribution,
                    "version": f.version,
                    "error": f.error,
                }
                for f in self.failures
            ],
        }


def _trace_calls(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, impls: Any, kwargs: Mapping[str, Any]) -> None:
        log.debug("hook.call", hook=hook_name, impls=[i.plugin_name for i in impls])

    def after(outcome: Any, hook_name: str, impls: Any, kwargs: Mapping[str, Any]) -> None:
        log.debug("hook.done", hook=hook_name)

    pm.add_hookcall_monitoring(before, after)


def create_host(
    *,
    builtins: Iterable[tuple[str, object]] = (),
    plugins: Iterable[object | tuple[str, object]] = (),
    entrypoints: bool = True,
) -> PluginHost:
    """Build a host: built-ins first, then entry points, then explicit plugins;
    then ``check_pending()`` once and the code registry.

    ``plugins`` items are plugin objects (named by pluggy: a module by its
    ``__name__``) or ``(name, plugin)`` pairs; a channel or courier plugin must
    be registered under its code, so pass it as ``("taobao", module)``.
    """
    pm = new_plugin_manager()
    if os.environ.get("ORDERKIT_TRACE_PLUGINS", "").lower() in {"1", "true", "yes"}:
        _trace_calls(pm)
    host = PluginHost(pm=pm)
    for name, plugin in builtins:
        pm.register(plugin, name=name)
        host.builtin_names.add(name)
    if entrypoints:
        host.loaded, host.failures = load_entry_point_plugins(pm)
    for item in plugins:
        name, plugin = item if isinstance(item, tuple) else (None, item)
        try:
            pm.register(plugin, name=name)
        except ValueError as exc:  # pluggy refuses a second plugin of one name
            raise DuplicateCodeError(str(exc), plugin_name=name or "?") from exc
    host.refresh()
    return host
