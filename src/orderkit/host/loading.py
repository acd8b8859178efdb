"""Load entry-point plugins one by one, so one broken plugin never stops the rest.

Environment switches (mirroring pytest, datasette, llm and tox):

- ``ORDERKIT_STRICT_PLUGINS=1``: a plugin that fails to load is an error.
- ``ORDERKIT_LOAD_PLUGINS=a,b``: load only these entry points ("" loads none:
  the documented way out when a plugin breaks start-up).
- ``ORDERKIT_DISABLE_PLUGINS=a,b``: block these plugin names.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from importlib import metadata

import pluggy
import structlog

from orderkit._markers import PROJECT_NAME
from orderkit.errors import DuplicateCodeError, PluginLoadError

log = structlog.get_logger("orderkit.plugins")

ENTRY_POINT_GROUP = PROJECT_NAME


@dataclass(frozen=True)
class PluginLoadFailure:
    """A plugin that could not be loaded, kept for ``orderkit plugins``."""

    name: str
    distribution: str | None
    version: str | None
    error: str
    traceback: str


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    distribution: str | None
    version: str | None


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def strict_mode() -> bool:
    return os.environ.get("ORDERKIT_STRICT_PLUGINS", "").lower() in {"1", "true", "yes"}


def load_entry_point_plugins(
    pm: pluggy.PluginManager,
) -> tuple[list[LoadedPlugin], list[PluginLoadFailure]]:
    """Register every plugin of the ``orderkit`` entry-point group.

    Entry points are walked sorted by name so call order does not depend on
    installation order. Failures are recorded and logged; in strict mode they
    raise ``PluginLoadError`` after every plugin was tried, listing them all.
    Two distributions claiming one name raise ``DuplicateCodeError``.
    """
    for blocked in _env_list("ORDERKIT_DISABLE_PLUGINS") or []:
        pm.set_blocked(blocked)
    allow = _env_list("ORDERKIT_LOAD_PLUGINS")

    loaded: list[LoadedPlugin] = []
    failures: list[PluginLoadFailure] = []
    owners: dict[str, str | None] = {}
    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    for ep in eps:
        if allow is not None and ep.name not in allow:
            continue
        dist = ep.dist.name if ep.dist else None
        version = ep.dist.version if ep.dist else None
        if ep.name in owners:
            raise DuplicateCodeError(
                f"entry point {ep.name!r} is provided by both {owners[ep.name]!r} and {dist!r}; "
                "uninstall one of them",
                plugin_name=ep.name,
            )
        owners[ep.name] = dist
        if pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # any import/registration failure is recorded, not fatal
            failure = PluginLoadFailure(
                name=ep.name,
                distribution=dist,
                version=version,
                error=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )
            failures.append(failure)
            log.error("plugin.load_failed", plugin=ep.name, dist=dist, error=failure.error)
            continue
        loaded.append(LoadedPlugin(name=ep.name, distribution=dist, version=version))

    if failures and strict_mode():
        names = ", ".join(f"{f.name} ({f.error})" for f in failures)
        raise PluginLoadError(
            f"{len(failures)} plugin(s) failed to load in strict mode: {names}",
            plugin_name=failures[0].name,
        )
    return loaded, failures
