"""``on_event`` hookimpls as consumers: each impl is called on its own (not
through the hook caller), so one that raises is retried later without the
others noticing."""

from __future__ import annotations

import hashlib
from typing import Any

import pluggy
import structlog

from orderkit.notify.base import Consumer, Notification, SendResult, short_error

log = structlog.get_logger("orderkit.notify")

HOOK_PREFIX = "hook:"
#: The ``notifier`` column is 64 characters long.
MAX_NAME = 64


class HookNotifier:
    """Calls one ``on_event`` impl; an exception is a failed attempt."""

    def __init__(self, impl: pluggy.HookImpl) -> None:
        self._impl = impl

    def send(self, notification: Notification) -> SendResult:
        kwargs: dict[str, Any] = {"event": notification.event}
        try:
            self._impl.function(*(kwargs[name] for name in self._impl.argnames))
        except Exception as exc:  # any plugin error: retry this impl only
            return SendResult.failed(short_error(f"{type(exc).__name__}: {exc}"))
        return SendResult.delivered()

    def close(self) -> None:
        pass


def consumer_name(plugin_name: str) -> str:
    """``hook:<plugin name>``, shortened with a hash when it would not fit."""
    name = HOOK_PREFIX + plugin_name
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.blake2b(plugin_name.encode(), digest_size=4).hexdigest()
    return f"{name[: MAX_NAME - 9]}~{digest}"


def hook_consumers(pm: pluggy.PluginManager, *, max_attempts: int) -> list[Consumer]:
    """One consumer per ``on_event`` impl, sorted by plugin name."""
    impls = [i for i in pm.hook.on_event.get_hookimpls() if not (i.wrapper or i.hookwrapper)]
    consumers = []
    for impl in sorted(impls, key=lambda i: i.plugin_name):
        if impl.plugin_name.isdigit():
            # pluggy names an unnamed object by its id(): a new consumer each run.
            log.warning(
                "notify.unstable_consumer_name",
                plugin=impl.plugin_name,
                hint="register on_event plugins with a name: plugins=[('my-plugin', obj)]",
            )
        consumers.append(
            Consumer(
                name=consumer_name(impl.plugin_name),
                patterns=("*",),
                max_attempts=max_attempts,
                notifier=HookNotifier(impl),
            )
        )
    return consumers
