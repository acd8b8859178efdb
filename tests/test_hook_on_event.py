"""``on_event``: every impl is a consumer of its own; one that raises is
retried with backoff while the others carry on, on every backend."""

from __future__ import annotations

from orderkit import hookimpl
from orderkit.notify import Dispatcher, notifier_health
from orderkit.specs import Event

from .notify_support import add_events, clock_of, notify_kit


class Consumer:
    """Records (event id, attempt, topic); raises ``fail`` times first."""

    def __init__(self, fail: int = 0) -> None:
        self.calls: list[tuple[str, int]] = []
        self.fail = fail

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.calls.append((event.id, event.attempt))
        if self.fail:
            self.fail -= 1
            raise RuntimeError("ERP endpoint refused the connection")


def test_hook_on_event_each_impl_in_isolation(db_url: str, table_prefix: str) -> None:
    flaky, audit = Consumer(fail=2), Consumer()
    plugins = [("erp-sync", flaky), ("audit", audit)]
    with notify_kit(db_url, table_prefix, plugins=plugins) as kit:
        e1, e2, e3 = add_events(kit, ["order.held", "order.approved", "shipment.uploaded"])
        dispatcher = Dispatcher(kit)
        first = dispatcher.drain()
        assert [c.name for c in dispatcher.consumers] == ["hook:audit", "hook:erp-sync"]
        assert first.consumers["hook:audit"].delivered == 3
        sync = first.consumers["hook:erp-sync"]
        assert (sync.delivered, sync.retried) == (1, 2)
        failing = {h.name: h for h in notifier_health(kit)}["hook:erp-sync"]
        assert (failing.failing, failing.pending, failing.delivered) == (2, 2, 1)
        assert failing.last_error == "RuntimeError: ERP endpoint refused the connection"

        assert dispatcher.drain().total == 0  # backing off
        clock_of(kit).advance(40)
        second = dispatcher.drain()
        assert set(second.consumers) == {"hook:audit", "hook:erp-sync"}
        assert second.consumers["hook:erp-sync"].delivered == 2
        assert second.consumers["hook:audit"].delivered == 0
        health = {h.name: h for h in notifier_health(kit)}

    assert audit.calls == [(e1, 1), (e2, 1), (e3, 1)]
    assert flaky.calls == [(e1, 1), (e2, 1), (e3, 1), (e1, 2), (e2, 2)]
    assert (health["hook:erp-sync"].delivered, health["hook:erp-sync"].failing) == (3, 0)
    assert health["hook:erp-sync"].ok and health["hook:erp-sync"].last_error is None
