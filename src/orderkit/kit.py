"""``OrderKit``: the one object an ERP holds. It owns the plugin manager, the
validated config, the clock and sleeper, and (from the store issue on) the
database engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderkit.builtin import core_host
from orderkit.clock import Clock, Sleeper, SystemClock, SystemSleeper
from orderkit.config import Config, load_config
from orderkit.host import PluginHost

if TYPE_CHECKING:
    import pluggy
    import sqlalchemy as sa

    from orderkit.address.types import AddressRequest, AddressResult
    from orderkit.couriers import CourierRuntime
    from orderkit.models import Lifecycle, Order
    from orderkit.process import Processor, ProcessOutcome
    from orderkit.ship import ShipBatch, ShipOutcome, Shipper
    from orderkit.specs import Sandbox
    from orderkit.status.mapping import StatusResult
    from orderkit.store import (
        DeadLetter,
        IngestResult,
        Store,
        StoredOrder,
        TimelineEvent,
    )
    from orderkit.store.outbox import Outbox
    from orderkit.sync import SyncEngine, SyncReport


class OrderKit:
    """The embedded order pipeline.

    Build it with :meth:`from_config`; ``kit.pm`` is its pluggy manager.
    """

    def __init__(
        self,
        config: Config,
        *,
        host: PluginHost,
        engine: Any = None,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.sleeper: Sleeper = sleeper or SystemSleeper()
        self._store: Store | None = None
        self._sync: SyncEngine | None = None
        self._processor: Processor | None = None
        self._shipper: Shipper | None = None
        self._couriers: CourierRuntime | None = None

    @classmethod
    def from_config(
        cls,
        source: str | os.PathLike[str] | Mapping[str, Any],
        *,
        engine: Any = None,
        plugins: Iterable[object | tuple[str, object]] = (),
        entrypoints: bool = True,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
    ) -> OrderKit:
        """Load and validate the config, load plugins, and build the kit.

        :param source: a YAML file path or an already-parsed mapping.
        :param engine: the ERP's SQLAlchemy engine or connection; orderkit's
            writes then join the ERP's transaction (store issue).
        :param plugins: extra plugin objects, or ``(name, plugin)`` pairs; a
            channel or courier plugin's name must be its code.
        :param entrypoints: load installed plugins of the ``orderkit`` group.
        :raises ConfigError: listing every problem, before anything runs.
        """
        host = core_host(plugins=plugins, entrypoints=entrypoints)
        if not isinstance(source, Mapping):
            source = Path(source)
        config = load_config(
            source, known_channels=set(host.channels), known_couriers=set(host.couriers)
        )
        host.status_overrides.update(config.status_overrides)
        _check_status_overrides(host)
        _use_rules(host, config)
        _use_address_settings(host, config)
        return cls(config, host=host, engine=engine, clock=clock, sleeper=sleeper)

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy plugin manager (one per kit, never global)."""
        return self.host.pm

    def map_status(self, order: Order) -> StatusResult:
        """The platform's view of ``order`` on the canonical axes (no rank rules)."""
        from orderkit.status.mapping import StatusResult

        result = self.pm.hook.map_status(
            channel=order.channel, raw=order.platform_status, current=order.status
        )
        if result is None:
            return StatusResult.unmapped_for(order.channel, dict(order.platform_status))
        assert isinstance(result, StatusResult)
        return result

    def clean_address(self, request: AddressRequest) -> AddressResult | None:
        """Run the ``clean_address`` hook (first non-None result)."""
        result: AddressResult | None = self.pm.hook.clean_address(request=request)
        return result

    # -- state in the ERP's database -------------------------------------------

    @property
    def store(self) -> Store:
        """orderkit's tables, reached through the ERP's engine, connection or
        session (``engine=``), else the config's ``database.url``. Built on
        first use, so config checks never touch a database."""
        if self._store is None:
            from orderkit.store import Store, create_engine

            bind = self.engine
            if bind is None:
                bind = self.engine = create_engine(self.config.database.resolve_url())
            self._store = Store(
                bind,
                prefix=self.config.database.table_prefix,
                map_status=self.map_status,
                clock=self.clock,
                sleeper=self.sleeper,
                persist=self._persist if self.pm.hook.persist_order.get_hookimpls() else None,
            )
        return self._store

    def _persist(self, connection: sa.Connection, orders: list[tuple[Order, bool]]) -> None:
        for order, created in orders:
            self.pm.hook.persist_order(order=order, connection=connection, created=created)

    def upgrade_database(self) -> None:
        """Create or upgrade orderkit's prefixed tables (``orderkit db upgrade``)."""
        self.store.upgrade()

    def ingest(
        self, orders: Iterable[Order | dict[str, Any] | str | bytes], *, keep_ids: bool = True
    ) -> IngestResult:
        """Idempotent upsert of canonical orders (any iterable, consumed in chunks).

        Older or identical payloads write nothing; a bad payload goes to dead
        letters and the batch goes on. See ``orderkit.store.ingest`` for the rules.
        ``keep_ids=False`` returns counts only (flat memory for long streams).
        """
        return self.store.ingest(orders, keep_ids=keep_ids)

    def get(self, ref: str | Order) -> StoredOrder:
        """An order by internal id, ``SHOP/EXTERNAL_ID`` or a canonical order."""
        return self.store.orders.get(self._order_id(ref))

    def transition(
        self,
        order: str | Order,
        to: Lifecycle | str,
        *,
        actor: str,
        reason: str,
        expected_version: int,
    ) -> StoredOrder:
        """Move an order along the transition table under a version guard.

        :raises ConflictError: the order changed since ``expected_version``.
        """
        return self.store.orders.transition(
            self._order_id(order),
            to,
            actor=actor,
            reason=reason,
            expected_version=expected_version,
        )

    def update(
        self,
        order: str | Order,
        mutate: Callable[[Order], Order],
        *,
        actor: str,
        reason: str,
        expected_version: int,
        attempted: dict[str, Any] | None = None,
    ) -> StoredOrder:
        """Change an order with ``mutate`` under a version guard (e.g. set a
        waybill); ``attempted`` describes the change for the timeline.

        :raises ConflictError: the order changed since ``expected_version``.
        """
        return self.store.orders.change(
            self._order_id(order),
            mutate,
            actor=actor,
            reason=reason,
            expected_version=expected_version,
            attempted=attempted,
        )

    def timeline(self, order: str | Order) -> list[TimelineEvent]:
        return self.store.orders.timeline(self._order_id(order))

    @property
    def outbox(self) -> Outbox:
        """``kit.outbox.poll(limit)`` / ``kit.outbox.ack(ids)``: at least once, stable ids."""
        return self.store.outbox

    def dead_letters(self, *, include_resolved: bool = False) -> list[DeadLetter]:
        return self.store.dead_letters.entries(include_resolved=include_resolved)

    def replay_dead_letters(self, ids: Iterable[int] | None = None) -> IngestResult:
        """Run (fixed) dead letters through ingest again; each goes in once."""
        return self.store.replay_dead_letters(ids)

    def refresh_stock(self, skus: Sequence[str] | None = None) -> int:
        """Pull stock levels from the ERP (``stock_levels`` hook) into the balances,
        in one transaction. A full refresh (``skus=None``) sets what the ERP no
        longer reports to 0: rather slow than wrong."""

        def work(conn: sa.Connection) -> int:
            levels = {}
            for result in self.pm.hook.stock_levels(skus=skus, connection=conn):
                for level in result or ():
                    levels[(level.sku, level.warehouse)] = level
            return self.store.stock.refresh_in(conn, levels.values(), full=skus is None)

        return self.store.db.run(work)

    def reserve_stock(self, order: str | Order, lines: Iterable[tuple[str, str, str, int]]) -> bool:
        """Reserve ``(line_id, sku, warehouse, quantity)`` for an order, all or
        nothing, in one transaction. Idempotent per (order, line, warehouse)."""
        order_id = self._order_id(order)
        wanted = list(lines)
        return self.store.db.run(lambda conn: self.store.stock.reserve_all(conn, order_id, wanted))

    def release_stock(self, order: str | Order) -> int:
        """Give back an order's reservations (cancel, refund, re-allocation)."""
        order_id = self._order_id(order)
        return self.store.db.run(lambda conn: self.store.stock.release(conn, order_id))

    # -- decisions ---------------------------------------------------------------

    @property
    def processor(self) -> Processor:
        if self._processor is None:
            from orderkit.process import Processor

            self._processor = Processor(self)
        return self._processor

    def process(self, order: str | Order, *, actor: str = "system:process") -> ProcessOutcome:
        """address -> holds -> gifts -> allocation -> courier choice for one order;
        stores the outcome and its traces, reserves quota and stock. Idempotent."""
        return self.processor.process(self._order_id(order), actor=actor)

    def release(self, order: str | Order, *, reason: str, actor: str) -> StoredOrder:
        """Release an on-hold order by hand (``orderkit release ORDER --reason``)."""
        return self.processor.release(self._order_id(order), actor=actor, reason=reason)

    # -- fulfilment ---------------------------------------------------------------

    @property
    def shipper(self) -> Shipper:
        if self._shipper is None:
            from orderkit.ship import Shipper

            self._shipper = Shipper(self)
        return self._shipper

    @property
    def couriers(self) -> CourierRuntime:
        """Courier accounts from the config's ``couriers:`` (``book_pickup``)."""
        if self._couriers is None:
            from orderkit.couriers import CourierRuntime

            self._couriers = CourierRuntime(self)
        return self._couriers

    def ship(
        self,
        order: str | Order,
        *,
        shipment: str | None = None,
        courier: str,
        waybill: str,
        actor: str,
    ) -> ShipOutcome:
        """The ERP's warehouse printed a waybill: record it and upload it to the
        channel. The order becomes ``shipped`` only when the channel accepts;
        a refusal leaves the shipment ``upload_failed`` with the platform's
        error; a transient failure is retried by ``orderkit run``.

        :param shipment: the shipment id (optional when the order has one).
        :raises ShipError: unknown shipment, finished order, or a different
            waybill the channel already accepted.
        """
        return self.shipper.ship(
            self._order_id(order), shipment=shipment, courier=courier, waybill=waybill, actor=actor
        )

    def book_pickup(self, order: str | Order, shipment: str, *, actor: str) -> ShipOutcome:
        """Book the shipment's courier through its plugin (``book_pickup``),
        falling back to the courier's backups, then record and upload the
        waybill. If no courier books it, the shipment waits in ``manual_entry``."""
        return self.shipper.book(self._order_id(order), shipment, actor=actor)

    def book_pickups(
        self, shipments: Sequence[tuple[str | Order, str]], *, actor: str
    ) -> ShipBatch:
        """``book_pickup`` for many ``(order, shipment id)`` pairs, a warehouse's
        print run: each courier is booked, then the waybills are recorded,
        uploaded and answered in chunks (``Shipper.book_many``). One that fails
        is in ``failed``; the others go on."""
        wanted = [(self._order_id(order), shipment) for order, shipment in shipments]
        return self.shipper.book_many(wanted, actor=actor)

    # -- channels ---------------------------------------------------------------

    @property
    def sync_engine(self) -> SyncEngine:
        """The shared sync engine (one lease owner per kit)."""
        if self._sync is None:
            from orderkit.sync import SyncEngine

            self._sync = SyncEngine(self)
        return self._sync

    def sync(self, shop_id: str) -> SyncReport:
        """One incremental sync pass for a shop (see ``orderkit.sync``)."""
        return self.sync_engine.sync_shop(shop_id)

    def request_sync(self, shop_id: str) -> None:
        """Have ``orderkit run`` sync the shop at its next tick instead of at its
        interval (a push said something changed). Works from any process that
        shares the database, e.g. the web app receiving the platform's pushes."""
        from orderkit.run import JobLeases

        self.sync_engine.runtime.shop(shop_id)  # an unknown shop is an error naming the known
        JobLeases(self.store.db, self.store.tables).make_due(f"sync:{shop_id}", self.clock.now())

    def save_credentials(
        self, shop_id: str, data: dict[str, Any], expires_at: datetime | None = None
    ) -> None:
        """Persist tokens a platform refresh returned; they win over the config's."""
        self.store.save_credentials(shop_id, data, expires_at)
        if self._sync is not None:
            self._sync.runtime.forget_credentials(shop_id)

    def sandbox(self, shop_id: str) -> Sandbox:
        """The in-process sandbox behind a shop whose ``endpoint`` is ``sandbox``."""
        return self.sync_engine.runtime.sandbox(shop_id)

    def _order_id(self, ref: str | Order) -> str:
        if isinstance(ref, str):
            return self.store.orders.resolve(ref) if "/" in ref else ref
        from orderkit.store.ids import order_id

        return ref.id or order_id(ref.channel, ref.shop_id, ref.external_id)


def _check_status_overrides(host: PluginHost) -> None:
    """Refuse a bad ``status_overrides`` row now, not when the first order arrives."""
    from orderkit.builtin import STATUS_MAPPER
    from orderkit.errors import ConfigError, ConfigProblem, MappingError
    from orderkit.status.plugin import StatusTableMapper

    mapper = host.pm.get_plugin(STATUS_MAPPER)
    if not isinstance(mapper, StatusTableMapper):
        return
    try:
        mapper.check_overrides()
    except MappingError as exc:
        raise ConfigError([ConfigProblem(path="status_overrides", message=str(exc))]) from exc


def _use_rules(host: PluginHost, config: Config) -> None:
    """Give the core rules plugin (allocate_warehouse / apply_gifts) the config's rules."""
    from orderkit.rules import RULES_PLUGIN, CoreRulesPlugin, RuleSet

    plugin = host.pm.get_plugin(RULES_PLUGIN)
    if isinstance(plugin, CoreRulesPlugin):
        plugin.use(RuleSet.from_config(config))


def _use_address_settings(host: PluginHost, config: Config) -> None:
    """The core cleaner reads remote areas, keywords and min_confidence from the config."""
    from orderkit.address.plugin import PLUGIN_NAME, AddressCleaner

    plugin = host.pm.get_plugin(PLUGIN_NAME)
    if isinstance(plugin, AddressCleaner):
        plugin.settings = config.address
