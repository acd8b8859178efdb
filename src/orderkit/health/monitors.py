"""The monitors: each a small function from the database to findings.

A monitor reads ``Scope.now`` (the kit's injectable clock), runs one or two
batched statements and returns one ``Finding`` per subject that needs
someone's attention. ``orderkit.health.runner`` turns findings into alerts.
Thresholds come from the config's ``monitors:`` section."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from orderkit.config.model import Config
from orderkit.health import queries
from orderkit.health.alerts import Finding
from orderkit.health.scope import Scope
from orderkit.health.states import AWAITING_SHIPMENT, values
from orderkit.health.words import span
from orderkit.ship.rows import BOOKED, UPLOAD_FAILED
from orderkit.store.db import utcnow_naive
from orderkit.store.ingest import chunked

Severity = Literal["info", "warning", "critical"]


Find = Callable[[Scope], list[Finding]]


@dataclass(frozen=True)
class Monitor:
    name: str  # also its key under ``monitors:`` and its alert topic ``alert.<name>``
    severity: Severity
    find: Find

    def enabled(self, config: Config) -> bool:
        return bool(getattr(config.monitors, self.name).enabled)


def _order(row: Any) -> str:
    return f"{row.shop_id}/{row.external_id}"


def _order_detail(row: Any, **more: Any) -> dict[str, Any]:
    return {"shop_id": row.shop_id, "external_id": row.external_id, **more}


def unpaid(scope: Scope) -> list[Finding]:
    after = scope.config.monitors.unpaid.after
    o = scope.tables.orders
    rows = scope.conn.execute(
        sa.select(o.c.id, o.c.shop_id, o.c.external_id, o.c.platform_created_at).where(
            o.c.lifecycle == "pending_payment", o.c.platform_created_at < scope.ago(after)
        )
    )
    return [
        Finding(
            subject=row.id,
            order_id=row.id,
            message=f"order {_order(row)} is still unpaid "
            f"{span(scope.age(row.platform_created_at))} after it was placed",
            detail=_order_detail(row, placed_at=row.platform_created_at.isoformat()),
        )
        for row in rows
    ]


def not_shipped(scope: Scope) -> list[Finding]:
    after = scope.config.monitors.not_shipped.after
    o = scope.tables.orders
    paid_at = sa.func.coalesce(o.c.platform_paid_at, o.c.platform_created_at)
    rows = scope.conn.execute(
        sa.select(
            o.c.id, o.c.shop_id, o.c.external_id, o.c.lifecycle, paid_at.label("paid_at")
        ).where(o.c.lifecycle.in_(values(AWAITING_SHIPMENT)), paid_at < scope.ago(after))
    )
    return [
        Finding(
            subject=row.id,
            order_id=row.id,
            message=f"order {_order(row)} was paid {span(scope.age(row.paid_at))} ago "
            f"and is not shipped yet ({row.lifecycle})",
            detail=_order_detail(row, lifecycle=row.lifecycle, paid_at=row.paid_at.isoformat()),
        )
        for row in rows
    ]


def stuck(scope: Scope) -> list[Finding]:
    settings = scope.config.monitors.stuck
    query = queries.stuck_orders(scope.tables, settings.states, scope.ago(settings.after), scope.at)
    return [
        Finding(
            subject=row.id,
            order_id=row.id,
            message=f"order {_order(row)} has been {row.lifecycle} for "
            f"{span(scope.age(row.entered_at))} with no status change",
            detail=_order_detail(row, lifecycle=row.lifecycle, since=row.entered_at.isoformat()),
        )
        for row in scope.conn.execute(query)
    ]


def concurrent_edits(scope: Scope) -> list[Finding]:
    settings = scope.config.monitors.concurrent_edits
    tl, o = scope.tables.timeline, scope.tables.orders
    counted = sa.and_(
        tl.c.at >= scope.ago(settings.within),
        *(~tl.c.actor.startswith(prefix, autoescape=True) for prefix in settings.ignore_actors),
    )
    order_ids = list(
        scope.conn.execute(
            sa.select(tl.c.order_id)
            .where(counted)
            .group_by(tl.c.order_id)
            .having(sa.func.count(sa.distinct(tl.c.actor)) >= settings.actors)
        ).scalars()
    )
    actors: dict[str, set[str]] = {}
    labels: dict[str, Any] = {}
    for chunk in chunked(order_ids, 500):
        for order_id, actor in scope.conn.execute(
            sa.select(tl.c.order_id, tl.c.actor).where(counted, tl.c.order_id.in_(chunk)).distinct()
        ):
            actors.setdefault(order_id, set()).add(actor)
        for label in scope.conn.execute(
            sa.select(o.c.id, o.c.shop_id, o.c.external_id).where(o.c.id.in_(chunk))
        ):
            labels[label.id] = label
    window = span(settings.within)
    findings = []
    for order_id in order_ids:
        who = sorted(actors.get(order_id, ()))
        row = labels.get(order_id)
        name = _order(row) if row is not None else order_id
        findings.append(
            Finding(
                subject=order_id,
                order_id=order_id,
                message=f"order {name} was changed by {len(who)} different actors "
                f"within {window}: {', '.join(who)}",
                detail={**(_order_detail(row) if row is not None else {}), "actors": who},
            )
        )
    return findings


def tracking_not_uploaded(scope: Scope) -> list[Finding]:
    after = scope.config.monitors.tracking_not_uploaded.after
    s, o = scope.tables.shipments, scope.tables.orders
    waybill_at = sa.func.coalesce(s.c.waybill_at, s.c.updated_at)
    rows = scope.conn.execute(
        sa.select(
            s.c.order_id,
            s.c.shipment_id,
            s.c.shop_id,
            s.c.courier,
            s.c.waybill,
            s.c.state,
            s.c.last_error,
            waybill_at.label("waybill_at"),
            o.c.external_id,
        )
        .select_from(s.outerjoin(o, o.c.id == s.c.order_id))
        .where(
            s.c.waybill.is_not(None),
            s.c.state.in_([BOOKED, UPLOAD_FAILED]),
            waybill_at < scope.ago(after),
        )
    )
    findings = []
    for row in rows:
        name = f"{row.shop_id}/{row.external_id or row.order_id}"
        refused = f": {row.last_error}" if row.last_error else ""
        findings.append(
            Finding(
                subject=f"{row.order_id}/{row.shipment_id}",
                order_id=row.order_id,
                message=f"order {name} shipment {row.shipment_id}: waybill {row.courier or ''} "
                f"{row.waybill} recorded {span(scope.age(row.waybill_at))} ago, "
                f"tracking not on the channel ({row.state}{refused})",
                detail={
                    "shop_id": row.shop_id,
                    "external_id": row.external_id,
                    "shipment_id": row.shipment_id,
                    "courier": row.courier,
                    "waybill": row.waybill,
                    "state": row.state,
                    "last_error": row.last_error,
                },
            )
        )
    return findings


def sync_failing(scope: Scope) -> list[Finding]:
    failures = scope.config.monitors.sync_failing.failures
    c = scope.tables.sync_cursors
    rows = scope.conn.execute(
        sa.select(
            c.c.shop_id, c.c.channel, c.c.consecutive_failures, c.c.last_error, c.c.last_success_at
        ).where(c.c.consecutive_failures >= failures, c.c.shop_id.in_(scope.active_shops()))
    )
    findings = []
    for row in rows:
        last_ok = (
            f"last success {span(scope.age(row.last_success_at))} ago"
            if row.last_success_at
            else "never succeeded"
        )
        findings.append(
            Finding(
                subject=row.shop_id,
                message=f"shop {row.shop_id}: the last {row.consecutive_failures} syncs failed "
                f"({last_ok}): {row.last_error or 'no error recorded'}",
                detail={
                    "shop_id": row.shop_id,
                    "channel": row.channel,
                    "consecutive_failures": row.consecutive_failures,
                    "last_error": row.last_error,
                },
            )
        )
    return findings


def token_expiring(scope: Scope) -> list[Finding]:
    within = scope.config.monitors.token_expiring.within
    cr = scope.tables.credentials
    rows = scope.conn.execute(
        sa.select(cr.c.shop_id, cr.c.expires_at).where(
            cr.c.expires_at.is_not(None),
            cr.c.expires_at < scope.ahead(within),
            cr.c.shop_id.in_(scope.active_shops()),
        )
    )
    findings = []
    for row in rows:
        left = -scope.age(row.expires_at)
        when = f"expires in {span(left)}" if left > 0 else f"expired {span(-left)} ago"
        findings.append(
            Finding(
                subject=row.shop_id,
                message=f"shop {row.shop_id}: the platform token {when}; authorise the shop again",
                detail={"shop_id": row.shop_id, "expires_at": row.expires_at.isoformat()},
            )
        )
    return findings


def dead_letters(scope: Scope) -> list[Finding]:
    return [
        Finding(
            subject=w.shop_id,
            message=f"shop {w.shop_id}: {w.count} payload(s) wait in dead letters"
            + (f", the oldest for {span(scope.age(utcnow_naive(w.oldest)))}" if w.oldest else "")
            + " (orderkit deadletters list)",
            detail={"shop_id": w.shop_id, "count": w.count},
        )
        for w in queries.waiting_dead_letters(scope.conn, scope.tables)
    ]


def notifier_failing(scope: Scope) -> list[Finding]:
    settings = scope.config.monitors.notifier_failing
    failing = queries.failing_notifiers(
        scope.conn, scope.tables, settings.attempts, scope.ago(settings.within)
    )
    return [
        Finding(
            subject=n.notifier,
            message=f"notifier {n.notifier} keeps failing: {n.gave_up} event(s) given up, "
            f"{n.retrying} still retrying: {n.last_error or 'no error recorded'}",
            detail={"gave_up": n.gave_up, "retrying": n.retrying, "last_error": n.last_error},
        )
        for n in failing
    ]


def job_failing(scope: Scope) -> list[Finding]:
    failures = scope.config.monitors.job_failing.failures
    return [
        Finding(
            subject=j.name,
            message=f"job {j.name} failed {j.consecutive_failures} times in a row: "
            f"{j.last_error or 'no error recorded'}",
            detail={"consecutive_failures": j.consecutive_failures, "last_error": j.last_error},
        )
        for j in queries.failing_jobs(scope.conn, scope.tables, failures)
    ]


#: Every monitor, in the order they run and report.
MONITORS: tuple[Monitor, ...] = (
    Monitor("unpaid", "info", unpaid),
    Monitor("not_shipped", "critical", not_shipped),
    Monitor("stuck", "warning", stuck),
    Monitor("concurrent_edits", "warning", concurrent_edits),
    Monitor("tracking_not_uploaded", "critical", tracking_not_uploaded),
    Monitor("sync_failing", "critical", sync_failing),
    Monitor("token_expiring", "warning", token_expiring),
    Monitor("dead_letters", "warning", dead_letters),
    Monitor("notifier_failing", "critical", notifier_failing),
    Monitor("job_failing", "critical", job_failing),
)
