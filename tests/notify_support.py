"""Helpers of the notification tests: a real local HTTP server that answers
from a script (500, a reply too late for the client, 429, then OK...), a kit
with notifiers and plugins, and outbox events at chosen times."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.kit import OrderKit

from .conftest import kit_config

OK_JSON = b'{"errcode": 0, "errmsg": "ok"}'


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    #: seconds to wait before answering; longer than the client's timeout = a timeout
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    reply: Reply

    @property
    def event_id(self) -> str:
        return self.headers.get("X-Orderkit-Event-Id", "")

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ScriptedServer:
    """Answers each POST with the next scripted reply, then with ``default``."""

    default: Reply = field(default_factory=Reply)
    script: list[Reply] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def next_reply(self) -> Reply:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def answered_ok(self) -> Counter[str]:
        """How often each event id got a 2xx answer in time."""
        return Counter(
            r.event_id for r in self.received if 200 <= r.reply.status < 300 and not r.reply.delay
        )


@contextmanager
def scripted_server(*script: Reply, default: Reply | None = None) -> Iterator[ScriptedServer]:
    state = ScriptedServer(default=default or Reply(), script=list(script))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            reply = state.next_reply()
            with state._lock:
                state.received.append(Received(self.path, dict(self.headers), body, reply))
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                pass  # the client gave up waiting (the scripted timeout)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def notify_kit(
    db_url: str,
    prefix: str,
    *,
    notifications: Sequence[dict[str, Any]] = (),
    plugins: Sequence[object | tuple[str, object]] = (),
) -> Iterator[OrderKit]:
    """An upgraded kit with ``notifications`` and ``plugins`` on a FakeClock."""
    clock = FakeClock()
    kit = OrderKit.from_config(
        kit_config(db_url, prefix, notifications=list(notifications)),
        entrypoints=False,
        plugins=plugins,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    try:
        yield kit
    finally:
        if kit.engine is not None:
            kit.engine.dispose()


def clock_of(kit: OrderKit) -> FakeClock:
    assert isinstance(kit.clock, FakeClock)
    return kit.clock


def add_event(
    kit: OrderKit,
    topic: str,
    payload: dict[str, Any] | None = None,
    *,
    order_id: str | None = None,
    key: str | None = None,
) -> str:
    """One outbox event at the kit's current time; returns its id."""
    from orderkit.store.ids import event_id

    key = key or f"{topic}|{len(payload or {})}|{clock_of(kit).now().isoformat()}"
    kit.store.db.run(
        lambda conn: kit.store.outbox_add(conn, topic, order_id, payload or {}, key=key)
    )
    return event_id(topic, key)


def add_events(kit: OrderKit, topics: Sequence[str], *, step: float = 1.0) -> list[str]:
    """Events one ``step`` second apart (so their order is known), oldest first."""
    ids = []
    for i, topic in enumerate(topics):
        ids.append(add_event(kit, topic, {"n": i}, key=f"{topic}|{i}"))
        clock_of(kit).advance(step)
    return ids


def deliveries(kit: OrderKit, notifier: str) -> dict[str, sa.Row[Any]]:
    """The consumer's delivery rows by event id (the watermark row left out)."""
    d = kit.store.tables.deliveries
    with kit.store.db.transaction() as conn:
        rows = conn.execute(sa.select(d).where(d.c.notifier == notifier, d.c.event_id != "*")).all()
    return {r.event_id: r for r in rows}
