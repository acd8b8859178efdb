"""The jobs of a day, as ``orderkit run`` schedules them.

Each job is a function of the kit returning how much it did (0 = nothing to
do). Every one is safe to stop between units of work and to run again after a
crash: the cursor advances only over ingested windows, processing is
version-guarded, uploads are claimed per shipment, deliveries are recorded per
event and consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog

from orderkit.models import Lifecycle

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

log = structlog.get_logger("orderkit.run")

Stop = Callable[[], bool]
#: Keeps a long job's lease alive; False when another runner took it over.
Renew = Callable[[], bool]

_HEX = "0123456789abcdef"


@dataclass
class JobResult:
    done: int = 0
    failed: int = 0
    note: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    work: Callable[[Stop, Renew], JobResult]
    #: In ``--once`` mode, run again in later passes until it has nothing to do
    #: (sync, process, uploads, deliveries); refreshes (stock, tokens) run once.
    repeat: bool = True
    description: str = ""


# -- sync and tokens ----------------------------------------------------------------


def sync_job(kit: OrderKit, shop_id: str, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        report = kit.sync_engine.sync_shop(shop_id, stop=stop)
        return JobResult(
            done=report.created + report.updated,
            note=f"{report.fetched} fetched, {report.created} new, {report.updated} updated",
        )

    return Job(f"sync:{shop_id}", interval, work, description=f"incremental sync of {shop_id}")


def credentials_job(kit: OrderKit, shop_id: str, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        refreshed = kit.sync_engine.refresh_if_due(shop_id)
        return JobResult(done=int(refreshed), note="token refreshed" if refreshed else "")

    return Job(
        f"credentials:{shop_id}",
        interval,
        work,
        repeat=False,
        description=f"token refresh of {shop_id} ahead of expiry",
    )


def stock_job(kit: OrderKit, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        rows = kit.refresh_stock()
        return JobResult(done=0, note=f"{rows} balances refreshed")

    return Job("stock", interval, work, repeat=False, description="stock balances from the ERP")


# -- processing -----------------------------------------------------------------------


def decide_query(kit: OrderKit, shard: int, shards: int, limit: int) -> sa.Select[Any]:
    """Orders that need a decision: paid or approved and changed since the last
    one, or on hold with their hold time over. ``shard`` of ``shards`` splits
    them by the last hex digit of the order id, so several runners share the work."""
    o = kit.store.tables.orders
    now = kit.clock.now().replace(tzinfo=None)
    changed = sa.and_(
        o.c.lifecycle.in_([Lifecycle.PAID.value, Lifecycle.APPROVED.value]),
        sa.or_(o.c.decided_version.is_(None), o.c.decided_version != o.c.version),
    )
    timed_out = sa.and_(
        o.c.lifecycle == Lifecycle.ON_HOLD.value,
        o.c.hold_until.is_not(None),
        o.c.hold_until <= now,
    )
    query = sa.select(o.c.id).where(sa.or_(changed, timed_out))
    if shards > 1:
        digits = [d for i, d in enumerate(_HEX) if i % shards == shard]
        query = query.where(sa.or_(*(o.c.id.like(f"%{d}") for d in digits)))
    return query.order_by(o.c.platform_modified_at, o.c.id).limit(limit)


def process_job(kit: OrderKit, shard: int, shards: int, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        result = JobResult()
        failed: set[str] = set()
        while not stop():
            with kit.store.db.transaction() as conn:
                batch = [
                    oid
                    for oid in conn.execute(decide_query(kit, shard, shards, 200)).scalars()
                    if oid not in failed
                ]
            if not batch:
                break
            # one bad order must not stop the others: the batch reports it
            done = kit.processor.process_many(batch, actor="system:process", stop=stop)
            result.done += len(done.outcomes)
            for order_id, exc in done.failed.items():
                failed.add(order_id)
                result.failed += 1
                result.errors.append(f"{order_id}: {type(exc).__name__}: {exc}")
                log.error("process.failed", order=order_id, error=str(exc))
            if not renew():
                break  # another runner took the job over; it will carry on
            if len(batch) < 200 and all(oid in failed for oid in batch):
                break
        result.note = f"{result.done} processed" + (f", {result.failed} failed" if failed else "")
        return result

    name = "process" if shards == 1 else f"process:{shard}"
    return Job(name, interval, work, description="holds, gifts, warehouse and courier")


# -- fulfilment and consumers ------------------------------------------------------------


def ship_job(kit: OrderKit, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        tried = kit.shipper.upload_due(stop=stop)
        return JobResult(done=tried, note=f"{tried} tracking uploads tried")

    return Job("ship", interval, work, description="tracking numbers to the channels")


def book_job(kit: OrderKit, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        booked = kit.shipper.book_due(stop=stop)
        return JobResult(done=booked, note=f"{booked} waybills booked")

    return Job("book", interval, work, description="courier waybills for allocated orders")


def plugin_job(kit: OrderKit, name: str, interval: timedelta, run: Callable[[object], int]) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        done = int(run(kit) or 0)
        return JobResult(done=done, note=f"{done} done")

    return Job(name, interval, work, description="a plugin's job")


def monitors_job(kit: OrderKit, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        from orderkit.health import run_monitors

        report = run_monitors(kit)
        raised, resolved = len(report.raised), len(report.resolved)
        return JobResult(
            done=raised + resolved, note=f"{raised} alerts raised, {resolved} resolved"
        )

    return Job("monitors", interval, work, description="stuck orders, failing shops")


def notify_job(kit: OrderKit, interval: timedelta) -> Job:
    def work(stop: Stop, renew: Renew) -> JobResult:
        from orderkit.notify import Dispatcher

        with Dispatcher(kit) as dispatcher:
            report = dispatcher.drain()
        note = f"{report.delivered} delivered"
        if report.retried or report.gave_up:
            note += f", {report.retried} to retry, {report.gave_up} given up"
        return JobResult(done=report.delivered, note=note)

    return Job("notify", interval, work, description="outbox to notifiers and on_event")


def day_jobs(kit: OrderKit) -> list[Job]:
    """Every job, in the order a pass runs them: fresh tokens and stock before
    syncing, syncing before deciding, deciding before the ERP's jobs (waybills),
    uploads after them, monitors and notifications last."""
    run = kit.config.run
    shards = 1 if kit.store.db.dialect == "sqlite" else run.process_shards
    jobs: list[Job] = []
    shops = [shop for shop in kit.config.shops if shop.enabled]
    for shop in shops:
        if kit.host.can_refresh(shop.channel):
            jobs.append(credentials_job(kit, shop.id, timedelta(seconds=run.credentials_every)))
    if kit.pm.hook.stock_levels.get_hookimpls():
        jobs.append(stock_job(kit, timedelta(seconds=run.stock_every)))
    for shop in shops:
        if shop.channel in kit.host.channels and _fetches(kit, shop.channel):
            jobs.append(sync_job(kit, shop.id, timedelta(seconds=shop.sync_interval)))
    jobs += [
        process_job(kit, shard, shards, timedelta(seconds=run.process_every))
        for shard in range(shards)
    ]
    for name, (_plugin, spec) in sorted(kit.host.jobs().items()):
        jobs.append(plugin_job(kit, name, spec.interval, spec.run))
    if run.book_pickups:
        jobs.append(book_job(kit, timedelta(seconds=run.ship_every)))
    jobs.append(ship_job(kit, timedelta(seconds=run.ship_every)))
    jobs.append(monitors_job(kit, timedelta(seconds=run.monitors_every)))
    jobs.append(notify_job(kit, timedelta(seconds=run.notify_every)))
    return jobs


def _fetches(kit: OrderKit, channel: str) -> bool:
    owner = kit.host.channels[channel].plugin
    return any(impl.plugin is owner for impl in kit.pm.hook.fetch_orders.get_hookimpls())
