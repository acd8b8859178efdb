"""The plugin host: builds a fresh pluggy manager, loads plugins, routes hooks."""

from orderkit.host.host import PluginHost, create_host
from orderkit.host.loading import PluginLoadFailure
from orderkit.host.manager import new_plugin_manager

__all__ = ["PluginHost", "PluginLoadFailure", "create_host", "new_plugin_manager"]
