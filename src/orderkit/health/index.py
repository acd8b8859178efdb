"""``health_report``: the health index (the field's OHI figures), each shop's
sync lag, and the state of orderkit's own machinery, read in one transaction.

Each figure is counted in SQL (grouped counts, no walk over the orders in
Python) and compared with its threshold from the config's ``health:`` and
``monitors:`` sections."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from orderkit.health import queries
from orderkit.health.alerts import open_alerts, open_counts
from orderkit.health.report import Figure, HealthReport, ShopSync
from orderkit.health.scope import Scope
from orderkit.health.states import ENDED, PERSON_PREFIX, agrees, values
from orderkit.health.words import span
from orderkit.ship.rows import UPLOADED
from orderkit.store.db import aware

if TYPE_CHECKING:
    from orderkit.kit import OrderKit


def health_report(kit: OrderKit, *, alert_limit: int = 50) -> HealthReport:
    """The health index at ``kit.clock.now()``; reads only (run the monitors
    first for fresh alerts). ``alert_limit``: how many open alerts to list."""
    store = kit.store
    now = kit.clock.now()
    with store.db.transaction() as conn:
        scope = Scope(conn, store.tables, kit.config, now)
        index = [
            status_consistency(scope),
            dwell(scope),
            manual_intervention(scope),
            tracking_completeness(scope),
            hold_rate(scope),
        ]
        shops = sync_lags(scope)
        monitors = kit.config.monitors
        jobs = queries.failing_jobs(conn, store.tables, monitors.job_failing.failures)
        notifiers = queries.failing_notifiers(
            conn,
            store.tables,
            monitors.notifier_failing.attempts,
            scope.ago(monitors.notifier_failing.within),
        )
        letters = queries.waiting_dead_letters(conn, store.tables)
        by_monitor = open_counts(conn, store)
        newest = open_alerts(conn, store, limit=alert_limit)
    operations = [
        _count_figure(
            "failing_jobs",
            [j.name for j in jobs],
            0,
            f"jobs of orderkit run that failed {monitors.job_failing.failures}+ times in a row",
        ),
        _count_figure(
            "failing_notifiers",
            [n.notifier for n in notifiers],
            0,
            "notifiers that gave up on an event or keep failing on one",
        ),
        Figure(
            name="dead_letters_waiting",
            value=float(sum(d.count for d in letters)),
            unit="count",
            threshold=None,
            alarm_when=None,
            explanation=f"{sum(d.count for d in letters)} payload(s) wait in dead letters"
            + (f" ({_listed((d.shop_id, d.count) for d in letters)})" if letters else ""),
        ),
        Figure(
            name="open_alerts",
            value=float(sum(by_monitor.values())),
            unit="count",
            threshold=None,
            alarm_when=None,
            explanation=f"{sum(by_monitor.values())} open alert(s)"
            + (f" ({_listed(by_monitor.items())})" if by_monitor else ""),
        ),
    ]
    return HealthReport(
        generated_at=now,
        window=kit.config.health.window,
        index=index,
        shops=shops,
        operations=operations,
        failing_jobs=jobs,
        failing_notifiers=notifiers,
        dead_letters=letters,
        open_alerts_by_monitor=by_monitor,
        open_alerts=newest,
    )


def status_consistency(scope: Scope) -> Figure:
    """Open orders, and orders changed within the window, whose canonical
    lifecycle agrees with the platform's last word (``states.AGREES_WITH``)."""
    health = scope.config.health
    o = scope.tables.orders
    in_view = sa.or_(
        o.c.lifecycle.not_in(values(ENDED)), o.c.updated_at >= scope.ago(health.window)
    )
    pairs = scope.conn.execute(
        sa.select(o.c.lifecycle, o.c.platform_lifecycle, sa.func.count())
        .where(in_view)
        .group_by(o.c.lifecycle, o.c.platform_lifecycle)
    ).all()
    total = sum(int(n) for _, _, n in pairs)
    drift = Counter({(c, p): int(n) for c, p, n in pairs if not agrees(c, p)})
    agreeing = total - sum(drift.values())
    if total == 0:
        why = "no open or recently changed orders to compare yet"
    else:
        why = (
            f"{agreeing} of {total} open or recently changed orders have a status "
            "that agrees with the platform's"
        )
        if drift:
            (canonical, platform), n = drift.most_common(1)[0]
            said = platform or "nothing orderkit can read"
            why += f"; most common drift: orderkit {canonical}, platform {said} ({n})"
    return _rate(
        "status_consistency", agreeing, total, health.status_consistency_below, "below", why
    )


def dwell(scope: Scope) -> Figure:
    """Open orders stuck in a watched state (the stuck monitor's definition)."""
    settings = scope.config.monitors.stuck
    o = scope.tables.orders
    stuck = queries.stuck_orders(
        scope.tables, settings.states, scope.ago(settings.after), scope.at
    ).subquery()
    stuck_n = int(scope.conn.execute(sa.select(sa.func.count()).select_from(stuck)).scalar() or 0)
    open_n = int(
        scope.conn.execute(
            sa.select(sa.func.count()).where(o.c.lifecycle.not_in(values(ENDED)))
        ).scalar()
        or 0
    )
    why = (
        f"{stuck_n} of {open_n} open orders sat over {span(settings.after)} in "
        f"{'/'.join(settings.states)} with no status change"
        if open_n
        else "no open orders yet"
    )
    return _rate("dwell", stuck_n, open_n, scope.config.health.dwell_above, "above", why)


def manual_intervention(scope: Scope) -> Figure:
    """Orders worked on within the window that a person changed (a ``user:`` event)."""
    window = scope.config.health.window
    tl = scope.tables.timeline
    by_person = tl.c.actor.startswith(PERSON_PREFIX, autoescape=True)
    row = scope.conn.execute(
        sa.select(
            sa.func.count(sa.distinct(tl.c.order_id)),
            sa.func.count(sa.distinct(sa.case((by_person, tl.c.order_id), else_=None))),
        ).where(tl.c.at >= scope.ago(window))
    ).one()
    total, manual = int(row[0] or 0), int(row[1] or 0)
    why = (
        f"{manual} of {total} orders worked on in the last {span(window)} needed a person "
        f"(a change by a {PERSON_PREFIX} actor)"
        if total
        else f"no order was worked on in the last {span(window)}"
    )
    return _rate(
        "manual_intervention",
        manual,
        total,
        scope.config.health.manual_intervention_above,
        "above",
        why,
    )


def tracking_completeness(scope: Scope) -> Figure:
    """Orders with a waybill recorded within the window whose every tracking
    number reached the channel. An order whose waybills are all younger than
    the tracking monitor's ``after`` and not all uploaded yet is still on its
    way and not counted; one already complete counts at once."""
    window = scope.config.health.window
    grace = scope.config.monitors.tracking_not_uploaded.after
    s = scope.tables.shipments
    waybill_at = sa.func.coalesce(s.c.waybill_at, s.c.updated_at)
    complete_ = sa.func.min(sa.case((s.c.state == UPLOADED, 1), else_=0))
    per_order = (
        sa.select(s.c.order_id, complete_.label("complete"))
        .where(s.c.waybill.is_not(None), waybill_at >= scope.ago(window))
        .group_by(s.c.order_id)
        .having(sa.or_(sa.func.min(waybill_at) < scope.ago(grace), complete_ == 1))
        .subquery()
    )
    row = scope.conn.execute(sa.select(sa.func.count(), sa.func.sum(per_order.c.complete))).one()
    total, complete = int(row[0] or 0), int(row[1] or 0)
    why = (
        f"{complete} of {total} orders with a waybill from the last {span(window)} "
        f"have every tracking number on the channel (waybills younger than "
        f"{span(grace)} still uploading are not counted yet)"
        if total
        else f"no waybill recorded in the last {span(window)} to check"
    )
    return _rate(
        "tracking_completeness",
        complete,
        total,
        scope.config.health.tracking_completeness_below,
        "below",
        why,
    )


def hold_rate(scope: Scope) -> Figure:
    """Of the orders reviewed within the window (moved to on_hold, approved or
    allocated), the share put on hold: the auto-review hold rate (审单拦截率).
    Counted from the timeline, so orders shipped since still count."""
    window = scope.config.health.window
    tl = scope.tables.timeline
    reviewed = tl.c.to_state.in_(["on_hold", "approved", "allocated"])
    held = sa.and_(tl.c.to_state == "on_hold", sa.or_(tl.c.from_state.is_(None),
                                                      tl.c.from_state != "on_hold"))  # fmt: skip
    row = scope.conn.execute(
        sa.select(
            sa.func.count(sa.distinct(tl.c.order_id)),
            sa.func.count(sa.distinct(sa.case((held, tl.c.order_id), else_=None))),
        ).where(tl.c.at >= scope.ago(window), reviewed)
    ).one()
    total, on_hold = int(row[0] or 0), int(row[1] or 0)
    why = (
        f"{on_hold} of {total} orders reviewed in the last {span(window)} were put on hold"
        if total
        else f"no order was reviewed in the last {span(window)}"
    )
    return _rate("hold_rate", on_hold, total, scope.config.health.hold_rate_above, "above", why)


def sync_lags(scope: Scope) -> list[ShopSync]:
    """Each enabled shop: how far behind now its orders were fetched."""
    c = scope.tables.sync_cursors
    cursors = {
        row.shop_id: row
        for row in scope.conn.execute(sa.select(c).where(c.c.shop_id.in_(scope.active_shops())))
    }
    threshold = float(scope.config.health.sync_lag_above)
    found = []
    for shop in scope.config.shops:
        if not shop.enabled:
            continue
        row = cursors.get(shop.id)
        watermark = row.watermark if row is not None else None
        failures = int(row.consecutive_failures) if row is not None else 0
        last_error = row.last_error if row is not None else None
        if watermark is None:
            lag, why = None, "never synced yet"
        else:
            lag = max(0.0, scope.age(watermark))
            why = f"orders fetched up to {span(lag)} ago"
        if failures:
            why += f"; {failures} failed sync(s) in a row: {last_error or 'no error recorded'}"
        found.append(
            ShopSync(
                shop_id=shop.id,
                channel=shop.channel,
                watermark=aware(watermark),
                last_success_at=aware(row.last_success_at) if row is not None else None,
                last_error=last_error,
                consecutive_failures=failures,
                lag=Figure(
                    name="sync_lag",
                    subject=shop.id,
                    value=lag,
                    unit="s",
                    threshold=threshold,
                    alarm_when="above",
                    explanation=f"shop {shop.id}: {why}",
                ),
            )
        )
    return found


def _rate(
    name: str,
    part: int,
    whole: int,
    threshold: float,
    alarm_when: Literal["below", "above"],
    why: str,
) -> Figure:
    return Figure(
        name=name,
        value=100.0 * part / whole if whole else None,
        unit="%",
        threshold=threshold,
        alarm_when=alarm_when,
        explanation=why,
        numerator=part,
        denominator=whole,
    )


def _count_figure(name: str, names: list[str], threshold: int, what: str) -> Figure:
    why = f"{len(names)} {what}" + (f": {', '.join(names)}" if names else "")
    return Figure(
        name=name,
        value=float(len(names)),
        unit="count",
        threshold=float(threshold),
        alarm_when="above",
        explanation=why,
    )


def _listed(items: Any) -> str:
    return ", ".join(f"{name} {n}" for name, n in items)
