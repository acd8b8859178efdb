"""Webhooks against a real local HTTP server: signed, retried with backoff on
500s and timeouts, each event answered OK exactly once, on every backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from orderkit.clock import FakeClock
from orderkit.config.model import NotificationConfig
from orderkit.notify import Dispatcher, Notification, verify_signature
from orderkit.notify.signing import sign
from orderkit.notify.webhook import WebhookNotifier, webhook_body
from orderkit.specs import Event

from .notify_support import (
    Reply,
    add_events,
    clock_of,
    deliveries,
    notify_kit,
    scripted_server,
)

SECRET = "whsec-3f9a1c7e5b2d"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


def webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"id": "erp", "type": "webhook", "url": url, "secret": "env:HOOK_SECRET", **extra}


def test_each_event_is_delivered_once_through_a_500_and_a_timeout(
    db_url: str, table_prefix: str
) -> None:
    script = (Reply(500, b"upstream down"), Reply(200, delay=1.6))  # then OK
    with (
        scripted_server(*script) as server,
        notify_kit(db_url, table_prefix, notifications=[webhook(server.url(), timeout=1)]) as kit,
    ):
        clock = clock_of(kit)
        ids = add_events(kit, ["order.held", "shipment.upload_failed", "order.approved"])
        dispatcher = Dispatcher(kit)

        first = dispatcher.drain()
        assert (first.delivered, first.retried, first.gave_up) == (1, 2, 0)
        assert server.answered_ok() == {ids[2]: 1}

        assert dispatcher.drain().total == 0  # nothing is due before the backoff ends
        assert len(server.received) == 3

        clock.advance(40)  # past the first backoff (30 s + at most 10 %)
        second = dispatcher.drain()
        assert (second.delivered, second.retried) == (2, 0)
        clock.advance(3 * 3600)
        assert dispatcher.drain().total == 0
        dispatcher.close()

    assert server.answered_ok() == {event_id: 1 for event_id in ids}
    # retries carry the same event id, oldest first on each drain
    assert [r.event_id for r in server.received] == [ids[0], ids[1], ids[2], ids[0], ids[1]]
    rows = deliveries(kit, "erp")
    assert {i: rows[i].attempts for i in ids} == {ids[0]: 2, ids[1]: 2, ids[2]: 1}
    assert all(rows[i].delivered_at is not None for i in ids)
    assert "HTTP 500" in (rows[ids[0]].last_error or "")
    assert "timed out after 1s" in (rows[ids[1]].last_error or "")
    # the dispatcher never acknowledges: the ERP's own outbox queue is untouched
    assert kit.outbox.pending_count() == 3


def test_requests_are_signed_and_the_body_is_canonical(db_url: str, table_prefix: str) -> None:
    with (
        scripted_server() as server,
        notify_kit(db_url, table_prefix, notifications=[webhook(server.url("/in"))]) as kit,
    ):
        from .notify_support import add_event

        event_id = add_event(
            kit, "shipment.upload_failed", {"error": "运单号不存在", "shop_id": "tb-main"}
        )
        Dispatcher(kit).drain()
        now = clock_of(kit).now().timestamp()

    (request,) = server.received
    headers = request.headers
    assert request.path == "/in"
    assert headers["X-Orderkit-Event-Id"] == event_id
    assert headers["X-Orderkit-Topic"] == "shipment.upload_failed"
    assert headers["X-Orderkit-Timestamp"] == str(int(now))
    assert verify_signature(
        SECRET,
        headers["X-Orderkit-Timestamp"],
        request.body,
        headers["X-Orderkit-Signature"],
        now=now,
    )
    assert not verify_signature(
        "another-secret",
        headers["X-Orderkit-Timestamp"],
        request.body,
        headers["X-Orderkit-Signature"],
        now=now,
    )
    document = json.loads(request.body.decode("utf-8"))
    assert document == {
        "id": event_id,
        "topic": "shipment.upload_failed",
        "order_id": None,
        "created_at": "2026-11-11T00:00:00+00:00",
        "payload": {"error": "运单号不存在", "shop_id": "tb-main"},
    }
    # compact, sorted, UTF-8 (not \u escapes): anyone can rebuild the exact bytes
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert request.body == canonical.encode("utf-8")


def test_backoff_doubles_then_gives_up(db_url: str, table_prefix: str) -> None:
    with scripted_server(default=Reply(503, b"maintenance")) as server:
        notifier = webhook(server.url(), max_attempts=4)
        with notify_kit(db_url, table_prefix, notifications=[notifier]) as kit:
            clock = clock_of(kit)
            (event_id,) = add_events(kit, ["order.held"], step=0)
            dispatcher = Dispatcher(kit)
            waits = []
            for attempt in (1, 2, 3):
                dispatcher.drain()
                assert len(server.received) == attempt
                row = deliveries(kit, "erp")[event_id]
                wait = (row.next_attempt_at.replace(tzinfo=UTC) - clock.now()).total_seconds()
                waits.append(wait)
                clock.advance(wait - 1)
                assert dispatcher.drain().total == 0  # one second early: not yet
                assert len(server.received) == attempt
                clock.advance(1)
            assert dispatcher.drain().gave_up == 1
            assert deliveries(kit, "erp")[event_id].gave_up_at is not None
            clock.advance(24 * 3600)
            assert dispatcher.drain().total == 0
    assert len(server.received) == 4
    for wait, base in zip(waits, (30, 60, 120), strict=True):
        assert base <= wait <= base * 1.1


def test_a_throttled_webhook_waits_without_spending_attempts(
    db_url: str, table_prefix: str
) -> None:
    script = (Reply(429, b"slow down", headers=(("Retry-After", "120"),)),)
    with (
        scripted_server(*script) as server,
        notify_kit(db_url, table_prefix, notifications=[webhook(server.url())]) as kit,
    ):
        clock = clock_of(kit)
        ids = add_events(kit, ["order.held", "order.approved"])
        dispatcher = Dispatcher(kit)
        report = dispatcher.drain()
        assert report.consumers["erp"].stopped == "throttled"
        assert len(server.received) == 1  # the second event was not tried
        assert deliveries(kit, "erp")[ids[0]].attempts == 0
        clock.advance(60)
        assert dispatcher.drain().total == 0
        clock.advance(61)
        assert dispatcher.drain().delivered == 2
    assert server.answered_ok() == {ids[0]: 1, ids[1]: 1}


def test_a_receiver_that_keeps_failing_is_left_until_the_next_drain(
    db_url: str, table_prefix: str
) -> None:
    with (
        scripted_server(default=Reply(500)) as server,
        notify_kit(db_url, table_prefix, notifications=[webhook(server.url())]) as kit,
    ):
        add_events(kit, [f"order.e{i}" for i in range(10)])
        report = Dispatcher(kit).drain()
    assert report.consumers["erp"].stopped == "failing"
    assert len(server.received) == 3


# --- the notifier alone (httpx MockTransport) -----------------------------------

EVENT = Event(
    id="e0123456789abcdef01234567",
    topic="order.held",
    order_id="o1",
    payload={"holds": ["address"]},
    created_at=datetime(2026, 11, 11, 2, 0, tzinfo=UTC),
)


def send_with(response: httpx.Response, **config: Any) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return response

    settings = webhook("https://erp.example.com/hook?token=tok-7Hq2Zp91", **config)
    notifier = WebhookNotifier(
        NotificationConfig.model_validate(settings),
        clock=FakeClock(),
        transport=httpx.MockTransport(handler),
    )
    return notifier.send(Notification(EVENT))


@pytest.mark.parametrize(
    ("response", "ok", "retry_after", "error"),
    [
        (httpx.Response(204), True, None, None),
        (httpx.Response(400, text="bad payload"), False, None, "HTTP 400 Bad Request bad payload"),
        (httpx.Response(401), False, None, "HTTP 401 Unauthorized"),
        (httpx.Response(408), False, None, "HTTP 408 Request Timeout"),
        (httpx.Response(429), False, 60.0, "HTTP 429 Too Many Requests"),
        (httpx.Response(429, headers={"Retry-After": "5"}), False, 5.0, "HTTP 429"),
        (httpx.Response(302, headers={"Location": "/x"}), False, None, "redirects are not"),
        (httpx.Response(502), False, None, "HTTP 502 Bad Gateway"),
    ],
)
def test_status_codes(
    response: httpx.Response, ok: bool, retry_after: float | None, error: str | None
) -> None:
    result = send_with(response)
    assert (result.ok, result.retry_after) == (ok, retry_after)
    if error is None:
        assert result.error is None
    else:
        assert error in result.error


def test_errors_never_show_secrets_or_phone_numbers() -> None:
    echo = httpx.Response(
        500, text=f"bad signature for {SECRET}, token=tok-7Hq2Zp91, call 13812345678"
    )
    result = send_with(echo)
    assert SECRET not in result.error
    assert "tok-7Hq2Zp91" not in result.error
    assert "13812345678" not in result.error and "138****5678" in result.error


def test_a_missing_secret_variable_is_a_failed_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOK_SECRET")
    result = send_with(httpx.Response(200))
    assert not result.ok
    assert "HOOK_SECRET is not set" in result.error


# --- signatures ------------------------------------------------------------------

BODY = webhook_body(EVENT)
SENT_AT = 1_794_362_400


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now", "tolerance", "valid"),
    [
        (SECRET, SENT_AT, BODY, SENT_AT + 10, 300, True),
        (SECRET, str(SENT_AT), BODY, SENT_AT - 299, 300, True),
        (SECRET, SENT_AT, BODY + b" ", SENT_AT, 300, False),  # body changed
        ("wrong-secret", SENT_AT, BODY, SENT_AT, 300, False),
        (SECRET, SENT_AT + 1, BODY, SENT_AT, 300, False),  # timestamp changed
        (SECRET, SENT_AT, BODY, SENT_AT + 301, 300, False),  # replayed too late
        (SECRET, SENT_AT, BODY, SENT_AT + 86400, None, True),  # age not checked
        (SECRET, "soon", BODY, SENT_AT, 300, False),
    ],
)
def test_verify_signature(
    secret: str, timestamp: int | str, body: bytes, now: float, tolerance: float | None, valid: bool
) -> None:
    signature = sign(SECRET, SENT_AT, BODY)
    assert verify_signature(secret, timestamp, body, signature, tolerance, now=now) is valid


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{SENT_AT}.".encode() + BODY, hashlib.sha256)
    assert sign(SECRET, SENT_AT, BODY) == "sha256=" + expected.hexdigest()
    assert not verify_signature(SECRET, SENT_AT, BODY, expected.hexdigest(), None)  # no scheme


def test_retry_keeps_the_body_and_renews_the_signature() -> None:
    clock = FakeClock()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    config = NotificationConfig.model_validate(webhook("https://erp.example.com/hook"))
    notifier = WebhookNotifier(config, clock=clock, transport=httpx.MockTransport(handler))
    notifier.send(Notification(EVENT))
    clock.advance(timedelta(minutes=1).total_seconds())
    notifier.send(Notification(EVENT))
    first, second = seen
    assert first.content == second.content
    assert first.headers["X-Orderkit-Timestamp"] != second.headers["X-Orderkit-Timestamp"]
    assert first.headers["X-Orderkit-Signature"] != second.headers["X-Orderkit-Signature"]
