"""``run_monitors``: every enabled monitor, each in its own transaction, its
findings reconciled with the open alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from orderkit.health.alerts import Alert, Reconciled, reconcile
from orderkit.health.monitors import MONITORS, Monitor
from orderkit.health.scope import Scope

if TYPE_CHECKING:
    from orderkit.config.model import Config
    from orderkit.kit import OrderKit
    from orderkit.store import Store


@dataclass(frozen=True)
class MonitorReport:
    """What one run of the monitors changed."""

    ran_at: datetime
    #: new alerts (each also wrote one ``alert.<monitor>`` outbox event)
    raised: list[Alert] = field(default_factory=list)
    #: alerts raised earlier whose condition still holds (nothing new is sent)
    still_open: list[Alert] = field(default_factory=list)
    #: alerts whose condition cleared (each wrote one ``alert.resolved`` event)
    resolved: list[Alert] = field(default_factory=list)
    #: monitors switched off in the config (their open alerts are resolved)
    disabled: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ran_at": self.ran_at.isoformat(),
            "raised": [a.to_dict() for a in self.raised],
            "still_open": len(self.still_open),
            "resolved": [a.to_dict() for a in self.resolved],
            "disabled": list(self.disabled),
        }


def run_monitors(kit: OrderKit) -> MonitorReport:
    """Run every monitor once at ``kit.clock.now()``.

    Idempotent: a condition already alerted is not raised again; a cleared
    one is resolved once. Safe to run from several processes at once (alert
    ids and event ids are stable)."""
    store = kit.store
    now = kit.clock.now()
    report = MonitorReport(ran_at=now)
    for monitor in MONITORS:
        enabled = monitor.enabled(kit.config)
        check = partial(
            _check, store=store, monitor=monitor, config=kit.config, now=now, enabled=enabled
        )
        outcome = store.db.run(check)
        report.raised.extend(outcome.raised)
        report.still_open.extend(outcome.still_open)
        report.resolved.extend(outcome.resolved)
        if not enabled:
            report.disabled.append(monitor.name)
    return report


def _check(
    conn: sa.Connection,
    *,
    store: Store,
    monitor: Monitor,
    config: Config,
    now: datetime,
    enabled: bool,
) -> Reconciled:
    # a disabled monitor finds nothing, so its open alerts are resolved
    findings = monitor.find(Scope(conn, store.tables, config, now)) if enabled else []
    return reconcile(
        conn,
        store,
        monitor=monitor.name,
        severity=monitor.severity,
        findings=findings,
        now=now,
        resolution="cleared" if enabled else "monitor disabled",
    )
