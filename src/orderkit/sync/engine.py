"""One synchronous sync pass for one shop.

    start = watermark - overlap        (first run: now - initial lookback)
    for each window [a, b) of at most the channel's window size, up to now:
        fetch every page (rate budget; throttling waits the platform's hint;
        transient errors retried with backoff), ingest each page, dead-letter
        its problems; when the window is done, advance the watermark to b.

A failure stops the pass; the watermark stays at the last finished window, so
nothing is skipped. A shop lease keeps two workers off one shop.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from orderkit._process import process_owner
from orderkit.errors import (
    ChannelAuthError,
    ChannelRateLimited,
    ChannelResponseError,
    OrderKitError,
)
from orderkit.specs import SyncWindow
from orderkit.sync.budget import RateBudget
from orderkit.sync.cursor import Cursors
from orderkit.sync.shops import ShopRuntime

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.models import Order
    from orderkit.specs import FetchPage, ShopContext

log = structlog.get_logger("orderkit.sync")

DEFAULT_LOOKBACK = timedelta(days=1)
LEASE_TTL = timedelta(minutes=10)
#: Orders per ingest call during a sync (one transaction per chunk of the store).
INGEST_BATCH = 500


class SyncError(OrderKitError):
    """A sync pass stopped; the cursor stayed at the last complete window.
    ``report`` says how far the pass got."""

    def __init__(self, message: str, report: SyncReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class ShopLeased(OrderKitError):
    """Another worker is syncing this shop right now."""


@dataclass
class SyncReport:
    shop_id: str
    channel: str
    windows: int = 0
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: int = 0
    retries: int = 0
    throttled: int = 0
    refreshed: int = 0
    waited: float = 0.0
    watermark_before: datetime | None = None
    watermark_after: datetime | None = None
    error: str | None = None
    changed_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter; attempt counts from 1."""
        raw = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return float(raw * random.uniform(0.5, 1.0))


def windows(start: datetime, end: datetime, size: timedelta) -> Iterator[SyncWindow]:
    """[start, end) cut into consecutive windows of at most ``size``."""
    cursor = start
    while cursor < end:
        stop = min(cursor + size, end)
        yield SyncWindow(cursor, stop)
        cursor = stop


class SyncEngine:
    def __init__(
        self,
        kit: OrderKit,
        *,
        owner: str | None = None,
        retry: RetryPolicy | None = None,
        runtime: ShopRuntime | None = None,
    ) -> None:
        self._kit = kit
        self.owner = owner or process_owner()
        self._retry = retry or RetryPolicy()
        self.runtime = runtime or ShopRuntime(kit)
        self.cursors = Cursors(kit.store.db, kit.store.tables, kit.clock)
        self._budgets: dict[str, RateBudget] = {}

    def _budget(self, shop_id: str, context: ShopContext) -> RateBudget:
        if shop_id not in self._budgets:
            rate = float(context.settings.get("calls_per_second", 10))
            burst = int(context.settings.get("burst", max(1, int(rate))))
            self._budgets[shop_id] = RateBudget(rate, burst, self._kit.clock, self._kit.sleeper)
        return self._budgets[shop_id]

    # -- one pass ----------------------------------------------------------------

    def sync_shop(
        self,
        shop_id: str,
        *,
        until: datetime | None = None,
        on_window: Callable[[SyncReport, SyncWindow, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> SyncReport:
        """Fetch and ingest everything modified since the shop's watermark.

        ``stop()`` is asked after each window: a graceful shutdown ends the
        pass at a window boundary, where the cursor is exact.

        :raises ShopLeased: another worker holds the shop.
        :raises SyncError: the pass stopped (auth, persistent errors); the
            report in ``SyncError.report`` says how far it got.
        """
        shop = self.runtime.shop(shop_id)
        spec = self._kit.host.channel(shop.channel)
        report = SyncReport(shop_id=shop_id, channel=shop.channel)
        if not self.cursors.acquire(shop_id, shop.channel, self.owner, LEASE_TTL):
            state = self.cursors.state(shop_id)
            raise ShopLeased(f"shop {shop_id} is being synced by {state and state.lease_owner}")
        error: str | None = None
        try:
            state = self.cursors.state(shop_id)
            now = until or self._kit.clock.now()
            overlap = (
                timedelta(seconds=shop.overlap)
                if shop.overlap is not None
                else spec.default_overlap
            )
            watermark = state.watermark if state else None
            report.watermark_before = watermark
            start = (watermark - overlap) if watermark else now - self._lookback(shop.settings)
            size = spec.default_window or spec.max_window
            planned = list(windows(start, now, min(size, spec.max_window)))
            context = self.runtime.context(shop_id)
            self._ensure_fresh_credentials(context, spec.refresh_ahead, report)
            for index, window in enumerate(planned):
                self._sync_window(context, window, report)
                if not self.cursors.advance(shop_id, self.owner, window.end, LEASE_TTL):
                    raise SyncError(f"lost the lease on shop {shop_id} mid-pass")
                report.windows += 1
                report.watermark_after = window.end
                if on_window is not None:
                    on_window(report, window, len(planned) - index - 1)
                if stop is not None and stop():
                    break
        except (ChannelAuthError, SyncError, ChannelResponseError, ChannelRateLimited) as exc:
            error = f"{type(exc).__name__}: {exc}"
            report.error = error
            log.error(
                "sync.failed",
                shop=shop_id,
                channel=shop.channel,
                error=error,
                watermark=report.watermark_after or report.watermark_before,
            )
            raise SyncError(f"sync of shop {shop_id} stopped: {exc}", report) from exc
        finally:
            self.cursors.finish(shop_id, self.owner, error=error)
        log.info(
            "sync.done",
            shop=shop_id,
            windows=report.windows,
            fetched=report.fetched,
            created=report.created,
            updated=report.updated,
            problems=report.problems,
        )
        return report

    def refresh_if_due(self, shop_id: str) -> bool:
        """Refresh the shop's token when it expires within the channel's
        ``refresh_ahead`` (the run loop's credentials job). True if refreshed.

        :raises ChannelAuthError: the platform refused: the seller must re-authorise.
        """
        shop = self.runtime.shop(shop_id)
        spec = self._kit.host.channel(shop.channel)
        report = SyncReport(shop_id=shop_id, channel=shop.channel)
        self._ensure_fresh_credentials(self.runtime.context(shop_id), spec.refresh_ahead, report)
        return report.refreshed > 0

    def _lookback(self, settings: object) -> timedelta:
        hours = getattr(settings, "get", lambda *_: None)("initial_lookback_hours", None)
        return timedelta(hours=float(hours)) if hours else DEFAULT_LOOKBACK

    def _ensure_fresh_credentials(
        self, context: ShopContext, ahead: timedelta, report: SyncReport
    ) -> None:
        """Refresh a token that expires within ``ahead``; an unknown expiry is
        left alone until the platform refuses it."""
        if not self._kit.host.can_refresh(context.channel):
            return
        _, expires_at = self._kit.store.credentials(context.shop_id)
        if expires_at is not None and expires_at - self._kit.clock.now() <= ahead:
            self._refresh(context, report)

    def _refresh(self, context: ShopContext, report: SyncReport) -> None:
        try:
            grant = self._kit.host.refresh_credentials(context)
        except ChannelAuthError as exc:
            log.error(
                "token.refresh_failed",
                shop=context.shop_id,
                channel=context.channel,
                error=str(exc),
                action="the seller must re-authorise this shop",
            )
            raise
        stored, _ = self._kit.store.credentials(context.shop_id)
        self._kit.store.save_credentials(
            context.shop_id, {**stored, **dict(grant.values)}, grant.expires_at
        )
        self.runtime.forget_credentials(context.shop_id)
        report.refreshed += 1
        log.info("token.refreshed", shop=context.shop_id, expires_at=grant.expires_at)

    def _sync_window(self, context: ShopContext, window: SyncWindow, report: SyncReport) -> None:
        """Fetch every page of the window; ingest in batches of ``INGEST_BATCH``
        (pages are small, commits are not free) and always before returning,
        so the caller advances the cursor only over ingested orders."""
        page: str | None = None
        pending: list[Order] = []
        while True:
            result = self._fetch(context, window, page, report)
            report.pages += 1
            report.fetched += len(result.orders)
            pending.extend(result.orders)
            if len(pending) >= INGEST_BATCH:
                self._ingest(pending, report)
                pending = []
            if result.problems:
                report.problems += len(result.problems)
                self._kit.store.record_problems(context.channel, context.shop_id, result.problems)
            if result.next_page is None:
                break
            page = result.next_page
        if pending:
            self._ingest(pending, report)

    def _ingest(self, orders: list[Order], report: SyncReport) -> None:
        ingested = self._kit.ingest(orders)
        report.created += ingested.created
        report.updated += ingested.updated
        report.unchanged += ingested.unchanged
        report.problems += len(ingested.rejected)
        report.changed_ids += ingested.created_ids + ingested.updated_ids

    def _fetch(
        self, context: ShopContext, window: SyncWindow, page: str | None, report: SyncReport
    ) -> FetchPage:
        budget = self._budget(context.shop_id, context)
        attempt = 0
        refreshed = False
        while True:
            report.waited += budget.acquire()
            try:
                return self._kit.host.fetch_orders(context, window, page)
            except ChannelAuthError:
                # one refresh, then the same page again; a second refusal stops the pass
                if refreshed or not self._kit.host.can_refresh(context.channel):
                    raise
                self._refresh(context, report)
                refreshed = True
            except ChannelRateLimited as exc:
                # the platform said how long; a ban is honoured, not retried early
                report.throttled += 1
                if report.throttled > 1000:
                    raise
                log.warning("sync.throttled", shop=context.shop_id, wait=exc.retry_after)
                self._kit.sleeper.sleep(exc.retry_after)
                report.waited += exc.retry_after
            except ChannelResponseError as exc:
                attempt += 1
                if not exc.transient or attempt >= self._retry.attempts:
                    raise
                report.retries += 1
                delay = self._retry.delay(attempt)
                log.warning(
                    "sync.retry", shop=context.shop_id, attempt=attempt, wait=delay, error=str(exc)
                )
                self._kit.sleeper.sleep(delay)
                report.waited += delay
