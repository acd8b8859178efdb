"""The plugin-manager factory. There is no module-global manager: every
``OrderKit`` (and every test) gets its own."""

from __future__ import annotations

import pluggy

from orderkit import hookspecs
from orderkit._markers import PROJECT_NAME


def new_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with every hook spec added before any plugin registers,
    so each ``register`` validates impls against the specs immediately."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm
