"""Notifications: every outbox event to every consumer, once each.

Consumers are the ``notifications:`` of the config (signed JSON webhooks,
WeCom group robots) and every ``on_event`` hookimpl (``hook:<plugin>``).
Each keeps its own delivery state in the ``deliveries`` table, retries with
backoff and gives up after ``max_attempts``; see ``docs/notifications.md``.

::

    with Dispatcher(kit) as dispatcher:
        report = dispatcher.drain()          # DrainReport
    notifier_health(kit)                      # list[NotifierHealth]
    verify_signature(secret, timestamp, body, signature)   # for receivers

Modules, one job each: ``topics`` (patterns, in Python and SQL), ``backoff``,
``signing``, ``base`` (Notification, SendResult, Consumer), ``http`` (one
POST), ``webhook``, ``wecom`` + ``wecom_text`` (the robot and its words),
``hooks`` (on_event impls), ``consumers``, ``ledger`` (the deliveries table),
``dispatcher``, ``health``.

Imports are lazy: ``from orderkit.notify import verify_signature`` pulls in
neither SQLAlchemy nor httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderkit.notify.base import Notification, SendResult
    from orderkit.notify.dispatcher import ConsumerDrain, Dispatcher, DrainReport
    from orderkit.notify.health import NotifierHealth, notifier_health
    from orderkit.notify.signing import sign, verify_signature

_LAZY = {
    "ConsumerDrain": "orderkit.notify.dispatcher",
    "Dispatcher": "orderkit.notify.dispatcher",
    "DrainReport": "orderkit.notify.dispatcher",
    "Notification": "orderkit.notify.base",
    "NotifierHealth": "orderkit.notify.health",
    "SendResult": "orderkit.notify.base",
    "notifier_health": "orderkit.notify.health",
    "sign": "orderkit.notify.signing",
    "verify_signature": "orderkit.notify.signing",
}

__all__ = [
    "ConsumerDrain",
    "Dispatcher",
    "DrainReport",
    "Notification",
    "NotifierHealth",
    "SendResult",
    "notifier_health",
    "sign",
    "verify_signature",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orderkit.notify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
