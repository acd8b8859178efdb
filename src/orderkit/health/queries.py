"""The SQL the monitors and the health index share: one definition of
"stuck", "failing job", "failing notifier" and "dead letters waiting".

Every query is one batched statement that works on SQLite, PostgreSQL and
MySQL/MariaDB; times are naive UTC, as stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from orderkit.store.db import aware
from orderkit.store.schema import Tables


def stuck_orders(
    t: Tables, states: Sequence[str], entered_before: datetime, now: datetime
) -> sa.Select[Any]:
    """Orders in one of ``states`` that entered it before ``entered_before``.

    The entry time is the latest timeline event that moved the order *into*
    its current lifecycle (an event keeping the state, e.g. an edit or a
    platform update saying the same, does not count); without one, when
    orderkit first saw the order. A hold whose timer (``hold_until``) still
    runs is waiting on purpose and never stuck."""
    o, tl = t.orders, t.timeline
    entered_at = sa.func.coalesce(sa.func.max(tl.c.at), o.c.first_seen_at)
    moved_in = sa.and_(
        tl.c.order_id == o.c.id,
        tl.c.to_state == o.c.lifecycle,
        sa.or_(tl.c.from_state.is_(None), tl.c.from_state != tl.c.to_state),
    )
    return (
        sa.select(
            o.c.id, o.c.shop_id, o.c.external_id, o.c.lifecycle, entered_at.label("entered_at")
        )
        .select_from(o.outerjoin(tl, moved_in))
        .where(
            o.c.lifecycle.in_(list(states)),
            sa.or_(o.c.hold_until.is_(None), o.c.hold_until <= now),
        )
        .group_by(o.c.id, o.c.shop_id, o.c.external_id, o.c.lifecycle, o.c.first_seen_at)
        .having(entered_at < entered_before)
    )


@dataclass(frozen=True)
class FailingJob:
    name: str
    consecutive_failures: int
    last_error: str | None
    last_ok_at: datetime | None


def failing_jobs(conn: sa.Connection, t: Tables, failures: int) -> list[FailingJob]:
    """Jobs of ``orderkit run`` that failed ``failures`` times in a row or more."""
    j = t.jobs
    rows = conn.execute(
        sa.select(j.c.name, j.c.consecutive_failures, j.c.last_error, j.c.last_ok_at)
        .where(j.c.consecutive_failures >= failures)
        .order_by(j.c.name)
    ).all()
    return [
        FailingJob(r.name, int(r.consecutive_failures), r.last_error, aware(r.last_ok_at))
        for r in rows
    ]


@dataclass(frozen=True)
class FailingNotifier:
    notifier: str
    gave_up: int  # events given up on within the window
    retrying: int  # undelivered events that failed ``attempts`` times or more
    last_error: str | None


def failing_notifiers(
    conn: sa.Connection, t: Tables, attempts: int, gave_up_since: datetime
) -> list[FailingNotifier]:
    """Notifiers that gave up on an event since ``gave_up_since``, or hold an
    undelivered event after ``attempts`` failed attempts."""
    d = t.deliveries
    gave_up = sa.and_(d.c.gave_up_at.is_not(None), d.c.gave_up_at >= gave_up_since)
    retrying = sa.and_(
        d.c.delivered_at.is_(None), d.c.gave_up_at.is_(None), d.c.attempts >= attempts
    )
    failing = sa.or_(gave_up, retrying)
    rows = conn.execute(
        sa.select(
            d.c.notifier,
            sa.func.sum(sa.case((gave_up, 1), else_=0)).label("gave_up"),
            sa.func.sum(sa.case((retrying, 1), else_=0)).label("retrying"),
        )
        .where(failing)
        .group_by(d.c.notifier)
        .order_by(d.c.notifier)
    ).all()
    found = []
    for row in rows:
        # one lookup per failing notifier (a handful), for the newest error
        last_error = conn.execute(
            sa.select(d.c.last_error)
            .where(d.c.notifier == row.notifier, failing, d.c.last_error.is_not(None))
            .order_by(d.c.updated_at.desc())
            .limit(1)
        ).scalar()
        found.append(
            FailingNotifier(row.notifier, int(row.gave_up or 0), int(row.retrying or 0), last_error)
        )
    return found


@dataclass(frozen=True)
class WaitingLetters:
    shop_id: str
    count: int
    oldest: datetime | None


def waiting_dead_letters(conn: sa.Connection, t: Tables) -> list[WaitingLetters]:
    """Unresolved dead letters per shop."""
    dl = t.dead_letters
    rows = conn.execute(
        sa.select(
            dl.c.shop_id,
            sa.func.count().label("n"),
            sa.func.min(dl.c.first_seen_at).label("oldest"),
        )
        .where(dl.c.resolved_at.is_(None))
        .group_by(dl.c.shop_id)
        .order_by(dl.c.shop_id)
    ).all()
    return [WaitingLetters(r.shop_id, int(r.n), aware(r.oldest)) for r in rows]
