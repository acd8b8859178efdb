"""Collect the channel and courier specs plugins register, refusing duplicates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pluggy

from orderkit.errors import DuplicateCodeError, PluginContractError
from orderkit.specs import ChannelSpec, CourierSpec

SpecT = TypeVar("SpecT", ChannelSpec, CourierSpec)


@dataclass(frozen=True)
class Registered(Generic[SpecT]):
    spec: SpecT
    plugin_name: str
    plugin: object


def _hooks_of(pm: pluggy.PluginManager, plugin: object) -> set[str]:
    return {caller.name for caller in pm.get_hookcallers(plugin) or []}


def collect_specs(
    pm: pluggy.PluginManager, hook_name: str, spec_type: type[SpecT]
) -> dict[str, Registered[SpecT]]:
    """Call one registration hook impl at a time so each spec is attributed to
    the plugin that registered it."""
    found: dict[str, Registered[SpecT]] = {}
    hook: pluggy.HookCaller = getattr(pm.hook, hook_name)
    for impl in hook.get_hookimpls():
        plugin_name: str = impl.plugin_name
        plugin: object = impl.plugin

        def register(spec: Any, _name: str = plugin_name, _plugin: object = plugin) -> None:
            if not isinstance(spec, spec_type):
                raise PluginContractError(
                    f"register() expects a {spec_type.__name__}, got {type(spec).__name__}",
                    plugin_name=_name,
                    hook_name=hook_name,
                )
            if spec.code in found:
                raise DuplicateCodeError(
                    f"code {spec.code!r} is already registered by plugin "
                    f"{found[spec.code].plugin_name!r}",
                    plugin_name=_name,
                    hook_name=hook_name,
                )
            if spec.code != _name:
                raise PluginContractError(
                    f"registers code {spec.code!r} but the plugin is named {_name!r}; "
                    "the entry-point name must equal the code",
                    plugin_name=_name,
                    hook_name=hook_name,
                )
            missing = set(spec.required_hooks) - _hooks_of(pm, _plugin)
            if missing:
                raise PluginContractError(
                    f"registers {spec_type.__name__} {spec.code!r} but does not implement "
                    f"required hook(s): {', '.join(sorted(missing))}",
                    plugin_name=_name,
                    hook_name=hook_name,
                )
            found[spec.code] = Registered(spec=spec, plugin_name=_name, plugin=_plugin)

        call: Callable[..., Any] = impl.function
        call(register=register)
    return found
