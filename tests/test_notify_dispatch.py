"""The dispatcher's bookkeeping on every backend: topic filters in SQL, where a
new consumer starts, the watermark, batched queries, at-least-once after a
crash, and what ``notifier_health`` shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderkit import hookimpl
from orderkit.kit import OrderKit
from orderkit.notify import Dispatcher, notifier_health
from orderkit.notify.ledger import SETTLE, Ledger
from orderkit.notify.topics import like_pattern, matches, sql_filter
from orderkit.specs import Event
from orderkit.store.db import aware

from .notify_support import add_event, add_events, clock_of, deliveries, notify_kit

SECRET = "whsec-91c0ffee42"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.failing: set[str] = set()

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if event.id in self.failing:
            raise ValueError("not yet")


class Receiver:
    """An ``httpx`` transport that answers 500 for chosen event ids."""

    def __init__(self) -> None:
        self.topics: list[str] = []
        self.failing: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.topics.append(request.headers["X-Orderkit-Topic"])
        failed = request.headers["X-Orderkit-Event-Id"] in self.failing
        return httpx.Response(500 if failed else 200, text=f"echo {SECRET}" if failed else "")


def webhook(**extra: Any) -> dict[str, Any]:
    return {
        "id": "erp",
        "type": "webhook",
        "url": "https://erp.example.com/hook",
        "secret": "env:HOOK_SECRET",
        **extra,
    }


# --- topics ---------------------------------------------------------------------

TOPICS = [
    "order.held",
    "ORDER.HELD",
    "order.approved",
    "shipment.upload_failed",
    "shipment.uploadXfailed",  # "_" is no wildcard
    "shipment.upload_failed.retry",
    "alert.stock.low",
    "alerts.x",  # "." is no wildcard
    "100%.done",
]
PATTERNS = ["order.held", "shipment.upload_failed", "alert.*", "100%.*"]


def test_topic_patterns() -> None:
    wanted = [t for t in TOPICS if matches(t, PATTERNS)]
    expected = ["order.held", "ORDER.HELD", "shipment.upload_failed", "alert.stock.low"]
    assert wanted == [*expected, "100%.done"]
    assert matches("anything.at.all", ["*"])
    assert not matches("order.held", [])
    assert like_pattern("shipment.upload_failed") == "shipment.upload/_failed"
    assert like_pattern("A*%/") == "a%/%//"


def test_sql_topic_filter_agrees_with_python(db_url: str, table_prefix: str) -> None:
    with notify_kit(db_url, table_prefix) as kit:
        for topic in TOPICS:
            add_event(kit, topic)
        box = kit.store.tables.outbox
        for patterns in (PATTERNS, ["*"], ["order.*", "*.low"], ["alert.*"]):
            with kit.store.db.transaction() as conn:
                found = conn.execute(
                    sa.select(box.c.topic).where(sql_filter(box.c.topic, patterns))
                )
                in_sql = sorted(found.scalars())
            assert in_sql == sorted(t for t in TOPICS if matches(t, patterns)), patterns


def test_unwanted_topics_are_filtered_in_the_database(db_url: str, table_prefix: str) -> None:
    receiver = Receiver()
    notifier = webhook(topics=PATTERNS)
    with notify_kit(db_url, table_prefix, notifications=[notifier]) as kit:
        ids = dict(zip(TOPICS, add_events(kit, TOPICS), strict=True))
        with Dispatcher(kit, transport=httpx.MockTransport(receiver)) as dispatcher:
            assert dispatcher.drain().delivered == 5
            clock_of(kit).advance(SETTLE.total_seconds() + 60)
            assert dispatcher.drain().total == 0
        rows = deliveries(kit, "erp")
        watermark = Ledger(kit.store.db, kit.store.tables).watermark("erp")
    assert receiver.topics == [t for t in TOPICS if matches(t, PATTERNS)]
    # unwanted events left no rows: they were never fetched, not "skipped"
    assert set(rows) == {ids[t] for t in receiver.topics}
    # and the watermark has moved past all of them: they are not looked at again
    assert watermark is not None
    assert aware(watermark) > clock_of(kit).now() - SETTLE - timedelta(seconds=1)


# --- where a consumer starts, the watermark ----------------------------------------------


def test_a_new_consumer_gets_the_last_hour_not_the_history(db_url: str, table_prefix: str) -> None:
    recorder = Recorder()
    with notify_kit(db_url, table_prefix, plugins=[("audit", recorder)]) as kit:
        clock = clock_of(kit)
        old = add_event(kit, "order.held", key="old")
        clock.advance(30 * 60)
        recent = add_event(kit, "order.held", key="recent")
        clock.advance(31 * 60)  # old is 61 minutes old, recent 31
        Dispatcher(kit).drain()
        # from now on it is the consumer's watermark that counts, not its age
        clock.advance(5 * 3600)
        later = add_event(kit, "order.held", key="later")
        clock.advance(3 * 3600)
        Dispatcher(kit).drain()
    assert [e.id for e in recorder.events] == [recent, later]
    assert old not in {e.id for e in recorder.events}


def test_the_watermark_waits_for_an_unfinished_event(db_url: str, table_prefix: str) -> None:
    recorder = Recorder()
    with notify_kit(db_url, table_prefix, plugins=[("audit", recorder)]) as kit:
        clock = clock_of(kit)
        ledger = Ledger(kit.store.db, kit.store.tables)
        first, second = add_events(kit, ["order.held", "order.approved"])
        created = clock.now() - timedelta(seconds=2)  # first's created_at
        recorder.failing.add(first)
        dispatcher = Dispatcher(kit)
        dispatcher.drain()
        clock.advance(SETTLE.total_seconds() * 2)
        dispatcher.drain()  # first fails again: it holds the watermark
        assert aware(ledger.watermark("hook:audit")) == created
        recorder.failing.clear()
        clock.advance(3600)
        dispatcher.drain()
        assert aware(ledger.watermark("hook:audit")) == clock.now() - SETTLE
    assert [e.id for e in recorder.events] == [first, second, first, first]


# --- batched, at least once ---------------------------------------------------------------


@contextmanager
def counting(engine: sa.Engine) -> Iterator[dict[str, int]]:
    counts = {"select": 0, "write": 0}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        counts["select" if verb == "SELECT" else "write"] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_queries_do_not_grow_with_the_number_of_events(db_url: str, table_prefix: str) -> None:
    recorder = Recorder()
    with notify_kit(db_url, table_prefix, plugins=[("audit", recorder)]) as kit:
        dispatcher = Dispatcher(kit)
        add_events(kit, [f"order.e{i}" for i in range(3)])
        assert isinstance(kit.engine, sa.Engine)
        with counting(kit.engine) as few:
            dispatcher.drain()
        add_events(kit, [f"order.f{i}" for i in range(30)])
        with counting(kit.engine) as many:
            dispatcher.drain()
    assert len(recorder.events) == 33
    assert many["select"] == few["select"]
    assert many["write"] - few["write"] == 27  # one record per event, nothing more


def test_a_crash_between_send_and_record_sends_again_with_the_same_id(
    db_url: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    with notify_kit(db_url, table_prefix, plugins=[("audit", recorder)]) as kit:
        (event_id,) = add_events(kit, ["order.held"])
        original = Ledger.record

        def crash(*args: Any, **kwargs: Any) -> None:
            raise ConnectionError("database went away")

        monkeypatch.setattr(Ledger, "record", crash)
        with pytest.raises(ConnectionError):
            Dispatcher(kit).drain()
        monkeypatch.setattr(Ledger, "record", original)
        Dispatcher(kit).drain()
        Dispatcher(kit).drain()
    assert [(e.id, e.attempt) for e in recorder.events] == [(event_id, 1), (event_id, 1)]


# --- health -----------------------------------------------------------------------


def health_of(kit: OrderKit) -> dict[str, Any]:
    return {h.name: h for h in notifier_health(kit)}


def test_notifier_health(db_url: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1234")
    receiver, recorder = Receiver(), Recorder()
    paused = {"id": "ops", "type": "wecom", "url": "env:WECOM_URL", "enabled": False}
    notifications = [webhook(max_attempts=2), paused]
    with notify_kit(
        db_url, table_prefix, notifications=notifications, plugins=[("audit", recorder)]
    ) as kit:
        clock = clock_of(kit)
        alert, _held = add_events(kit, ["alert.stock_low", "order.held"])
        receiver.failing.add(alert)
        dispatcher = Dispatcher(kit, transport=httpx.MockTransport(receiver))
        assert [h.name for h in notifier_health(kit)] == ["erp", "ops", "hook:audit"]
        assert health_of(kit)["erp"].pending == 2  # before any drain

        dispatcher.drain()
        drained_at = clock.now()
        erp = health_of(kit)["erp"]
        assert (erp.delivered, erp.pending, erp.failing, erp.gave_up) == (1, 1, 1, 0)
        assert erp.last_delivered_at == drained_at and not erp.ok

        clock.advance(60)
        assert dispatcher.drain().gave_up == 1
        health = health_of(kit)
        erp = health["erp"]
        assert (erp.delivered, erp.pending, erp.failing, erp.gave_up) == (1, 0, 0, 1)
        assert erp.last_error.startswith("HTTP 500 Internal Server Error echo")
        assert SECRET not in erp.last_error
        ops = health["ops"]  # paused: its alert waits, nothing was sent
        assert (ops.enabled, ops.pending, ops.delivered) == (False, 1, 0)
        audit = health["hook:audit"]
        assert (audit.delivered, audit.pending, audit.ok) == (2, 0, True)
        assert audit.last_delivered_at == drained_at

        receiver.failing.clear()
        assert dispatcher.retry_given_up("erp") == 1
        assert (health_of(kit)["erp"].gave_up, health_of(kit)["erp"].pending) == (0, 1)
        clock.advance(SETTLE.total_seconds() * 3)  # the watermark had passed it
        assert dispatcher.drain().delivered == 1
        erp = health_of(kit)["erp"]
    assert (erp.delivered, erp.pending, erp.gave_up, erp.ok) == (2, 0, 0, True)
    assert json.loads(json.dumps(erp.last_delivered_at.isoformat()))  # aware, serialisable
