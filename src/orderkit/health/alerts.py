"""Alerts in the ``alerts`` table: raised once per (monitor, subject, episode),
kept while the condition holds, resolved when it clears.

An alert's id is derived from (monitor, subject, episode), where the episode
counts the subject's earlier alerts of that monitor. Two runners finding the
same new condition therefore write the same row and the same outbox event
(``alert.<monitor>``, keyed by the alert id), and a condition that returns
after it was resolved is a new episode with a new alert."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from orderkit.store.db import aware, utcnow_naive
from orderkit.store.dialect import insert_ignore
from orderkit.store.ingest import chunked

if TYPE_CHECKING:
    from orderkit.store import Store

RESOLVED_TOPIC = "alert.resolved"


@dataclass(frozen=True)
class Finding:
    """What a monitor found about one subject (an order, shipment, shop...)."""

    subject: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)
    #: the order the finding is about, if any (the outbox event carries it)
    order_id: str | None = None


@dataclass(frozen=True)
class Alert:
    """One row of the alerts table."""

    id: str
    monitor: str
    subject: str
    severity: str
    message: str
    detail: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "monitor": self.monitor,
            "subject": self.subject,
            "severity": self.severity,
            "message": self.message,
            "detail": self.detail,
            "first_seen_at": self.first_seen_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
        }


@dataclass
class Reconciled:
    """What one monitor's run changed in the alerts table."""

    raised: list[Alert] = field(default_factory=list)
    still_open: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)


def alert_id(monitor: str, subject: str, episode: int) -> str:
    """``a`` + 24 hex characters, the same on every database and runner."""
    text = "\x1f".join((monitor, subject, str(episode)))
    return "a" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def alert_from_row(row: Any) -> Alert:
    return Alert(
        id=row.id,
        monitor=row.monitor,
        subject=row.subject,
        severity=row.severity,
        message=row.message,
        detail=json.loads(row.detail) if row.detail else {},
        first_seen_at=aware(row.first_seen_at) or row.first_seen_at,
        last_seen_at=aware(row.last_seen_at) or row.last_seen_at,
        resolved_at=aware(row.resolved_at),
    )


def reconcile(
    conn: sa.Connection,
    store: Store,
    *,
    monitor: str,
    severity: str,
    findings: Sequence[Finding],
    now: datetime,
    resolution: str = "cleared",
) -> Reconciled:
    """Make the monitor's open alerts match ``findings``, in the caller's
    transaction: raise the new ones (alert row + ``alert.<monitor>`` event),
    refresh the ones still found, resolve the rest (``alert.resolved``)."""
    a = store.tables.alerts
    at = utcnow_naive(now)
    found = {f.subject: f for f in findings}
    open_rows = {
        row.subject: row
        for row in conn.execute(
            sa.select(a).where(a.c.monitor == monitor, a.c.resolved_at.is_(None))
        )
    }
    result = Reconciled()
    new = [f for subject, f in found.items() if subject not in open_rows]
    if new:
        result.raised = _raise(conn, store, monitor, severity, new, at)
    kept = [(open_rows[s], f) for s, f in found.items() if s in open_rows]
    if kept:
        conn.execute(
            a.update()
            .where(a.c.id == sa.bindparam("b_id"))
            .values(
                last_seen_at=sa.bindparam("b_seen"),
                message=sa.bindparam("b_message"),
                detail=sa.bindparam("b_detail"),
            ),
            [
                {
                    "b_id": row.id,
                    "b_seen": at,
                    "b_message": f.message,
                    "b_detail": _json(_stored_detail(f)),
                }
                for row, f in kept
            ],
        )
        seen = aware(at) or at
        result.still_open = [
            replace(
                alert_from_row(row),
                message=f.message,
                detail=_stored_detail(f),
                last_seen_at=seen,
            )
            for row, f in kept
        ]
    gone = [row for subject, row in open_rows.items() if subject not in found]
    if gone:
        result.resolved = _resolve(conn, store, gone, at, resolution)
    return result


def _raise(
    conn: sa.Connection,
    store: Store,
    monitor: str,
    severity: str,
    new: list[Finding],
    at: datetime,
) -> list[Alert]:
    a = store.tables.alerts
    episodes = _past_episodes(conn, a, monitor, [f.subject for f in new])
    seen = aware(at) or at
    alerts = [
        Alert(
            id=alert_id(monitor, f.subject, episodes.get(f.subject, 0) + 1),
            monitor=monitor,
            subject=f.subject,
            severity=severity,
            message=f.message,
            detail=_stored_detail(f),
            first_seen_at=seen,
            last_seen_at=seen,
        )
        for f in new
    ]
    rows = [
        {
            "id": alert.id,
            "monitor": monitor,
            "subject": alert.subject,
            "severity": severity,
            "message": alert.message,
            "detail": _json(alert.detail),
            "first_seen_at": at,
            "last_seen_at": at,
            "resolved_at": None,
        }
        for alert in alerts
    ]
    insert_ignore(conn, a, rows, key="id")
    for alert, finding in zip(alerts, new, strict=True):
        store.outbox_add(
            conn,
            f"alert.{monitor}",
            finding.order_id,
            {
                "alert_id": alert.id,
                "monitor": monitor,
                "subject": alert.subject,
                "severity": severity,
                "message": alert.message,
                "detail": alert.detail,
                "first_seen_at": alert.first_seen_at.isoformat(),
            },
            key=alert.id,
        )
    return alerts


def _resolve(
    conn: sa.Connection, store: Store, gone: list[Any], at: datetime, resolution: str
) -> list[Alert]:
    a = store.tables.alerts
    ids = [row.id for row in gone]
    for chunk in chunked(ids, 500):
        conn.execute(
            a.update().where(a.c.id.in_(chunk), a.c.resolved_at.is_(None)).values(resolved_at=at)
        )
    resolved = []
    for row in gone:
        alert = replace(alert_from_row(row), resolved_at=aware(at))
        store.outbox_add(
            conn,
            RESOLVED_TOPIC,
            alert.detail.get("order_id"),
            {
                "alert_id": alert.id,
                "monitor": alert.monitor,
                "subject": alert.subject,
                "severity": alert.severity,
                "message": alert.message,
                "resolution": resolution,
                "first_seen_at": alert.first_seen_at.isoformat(),
                "resolved_at": at.isoformat(),
            },
            key=alert.id,
        )
        resolved.append(alert)
    return resolved


def _past_episodes(
    conn: sa.Connection, a: sa.Table, monitor: str, subjects: list[str]
) -> dict[str, int]:
    """How many alerts each subject already had from ``monitor`` (all resolved)."""
    counts: dict[str, int] = {}
    for chunk in chunked(subjects, 500):
        for subject, n in conn.execute(
            sa.select(a.c.subject, sa.func.count())
            .where(a.c.monitor == monitor, a.c.subject.in_(chunk))
            .group_by(a.c.subject)
        ):
            counts[subject] = int(n)
    return counts


def open_alerts(conn: sa.Connection, store: Store, *, limit: int | None = None) -> list[Alert]:
    """Unresolved alerts, newest first."""
    a = store.tables.alerts
    query = sa.select(a).where(a.c.resolved_at.is_(None)).order_by(a.c.first_seen_at.desc(), a.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [alert_from_row(row) for row in conn.execute(query)]


def open_counts(conn: sa.Connection, store: Store) -> dict[str, int]:
    """Unresolved alerts per monitor."""
    a = store.tables.alerts
    rows = conn.execute(
        sa.select(a.c.monitor, sa.func.count())
        .where(a.c.resolved_at.is_(None))
        .group_by(a.c.monitor)
        .order_by(a.c.monitor)
    )
    return {monitor: int(n) for monitor, n in rows}


def _stored_detail(finding: Finding) -> dict[str, Any]:
    # the order id rides in the detail, so the resolved event can carry it too
    if finding.order_id is None:
        return finding.detail
    return {**finding.detail, "order_id": finding.order_id}


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
