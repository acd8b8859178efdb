"""Webhook notifier: each event as a signed JSON POST.

Body (compact UTF-8 JSON, keys sorted, so the bytes and therefore the
signature are reproducible)::

    {"created_at": "...", "id": "e...", "order_id": "o...", "payload": {...}, "topic": "..."}

Headers: ``X-Orderkit-Event-Id``, ``X-Orderkit-Topic``, ``X-Orderkit-Timestamp``
(Unix seconds, from the kit's clock) and ``X-Orderkit-Signature``
(``sha256=`` HMAC of ``"<timestamp>.<body>"``, see ``orderkit.notify.signing``).
A retry sends the same body with a new timestamp and signature.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from orderkit.clock import Clock
from orderkit.config.model import NotificationConfig
from orderkit.errors import ConfigError
from orderkit.notify.base import Notification, SendResult, short_error
from orderkit.notify.http import Poster, status_failure, url_secrets
from orderkit.notify.signing import sign
from orderkit.specs import Event


def webhook_body(event: Event) -> bytes:
    """The exact bytes posted for ``event``."""
    document: dict[str, Any] = {
        "id": event.id,
        "topic": event.topic,
        "order_id": event.order_id,
        "created_at": event.created_at.isoformat(),
        "payload": dict(event.payload),
    }
    text = json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    return text.encode("utf-8")


def webhook_headers(event: Event, body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """The orderkit headers of one attempt (ASCII only: topics and ids are ASCII)."""
    return {
        "X-Orderkit-Event-Id": event.id,
        "X-Orderkit-Topic": event.topic,
        "X-Orderkit-Timestamp": str(timestamp),
        "X-Orderkit-Signature": sign(secret, timestamp, body),
    }


class WebhookNotifier:
    """POSTs events to ``config.url``; the secret and URL are read at each send,
    so a rotated secret is used without a restart."""

    def __init__(
        self,
        config: NotificationConfig,
        *,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._poster = Poster(config.timeout, transport)

    def send(self, notification: Notification) -> SendResult:
        try:
            url = self._config.resolve_url()
            secret = self._config.secret.resolve() if self._config.secret else None
        except ConfigError as exc:
            return SendResult.failed(short_error(str(exc.problems[0])))
        if secret is None:  # the config schema requires one; a hand-built config may not
            return SendResult.failed("no secret configured to sign with")
        event = notification.event
        body = webhook_body(event)
        timestamp = int(self._clock.now().timestamp())
        answer = self._poster.post(url, body, webhook_headers(event, body, secret, timestamp))
        if isinstance(answer, SendResult):
            return answer
        return status_failure(answer, [*url_secrets(url), secret]) or SendResult.delivered()

    def close(self) -> None:
        self._poster.close()
