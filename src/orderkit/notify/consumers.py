"""The consumers of a kit: its enabled and paused notifiers from the config, in
config order, then one per ``on_event`` hookimpl."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from orderkit.config.model import NotificationConfig
from orderkit.notify.base import Consumer, Notifier
from orderkit.notify.hooks import hook_consumers
from orderkit.notify.webhook import WebhookNotifier
from orderkit.notify.wecom import WeComNotifier

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

#: Attempts an ``on_event`` impl gets per event (a notifier's come from its config).
HOOK_MAX_ATTEMPTS = 8


def build_consumers(
    kit: OrderKit,
    *,
    transport: httpx.BaseTransport | None = None,
    hook_max_attempts: int = HOOK_MAX_ATTEMPTS,
) -> list[Consumer]:
    """Every consumer of ``kit``; notifiers open no connection until they send."""
    consumers = [
        Consumer(
            name=config.id,
            patterns=config.topic_patterns,
            max_attempts=config.max_attempts,
            notifier=_notifier(config, kit, transport),
            enabled=config.enabled,
        )
        for config in kit.config.notifications
    ]
    return consumers + hook_consumers(kit.pm, max_attempts=hook_max_attempts)


def _notifier(
    config: NotificationConfig, kit: OrderKit, transport: httpx.BaseTransport | None
) -> Notifier:
    if config.type == "webhook":
        return WebhookNotifier(config, clock=kit.clock, transport=transport)
    return WeComNotifier(config, transport=transport)
