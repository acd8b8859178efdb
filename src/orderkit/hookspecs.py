"""Every orderkit hook, in pipeline order. The docstrings are the reference.

A plugin implements hooks with ``@orderkit.hookimpl`` on functions (or methods)
named exactly like the specs below; it may take any subset of a hook's
parameters (pluggy passes what is asked for). Never give an impl parameter a
default value: pluggy does not pass it.

How each hook is called:

- ``register_channels``: collected, every plugin that provides channels.
- ``register_couriers``: collected, every plugin that provides couriers.
- ``fetch_orders``: routed by channel code to the plugin that registered it.
- ``map_status``: firstresult; the core default reads the channel's table.
- ``clean_address``: firstresult; the core default is the Chinese cleaner;
  a channel may wrap it (``wrapper=True``) for its own orders.
- ``allocate_warehouse``: firstresult; the core default is the rules engine.
- ``apply_gifts``: collected, each impl isolated, sorted by plugin name.
- ``book_pickup``: routed by courier code.
- ``ship_order``: routed by channel code.
- ``refresh_credentials``: routed by channel code.
- ``persist_order``: collected; the ERP writes the order into its own tables.
- ``stock_levels``: collected; the ERP tells orderkit what is on hand.
- ``register_jobs``: collected; plugins add scheduled work to ``orderkit run``.
- ``on_event``: collected, each impl isolated and retried on its own.

Routed hooks: the host calls only the implementation of the plugin that
registered the code, through ``pm.subset_hook_caller`` so cross-cutting
``wrapper=True`` impls still run. A plugin never needs "return None if this is
not my channel" guards for routed hooks.

Errors: a hook raises only ``orderkit.errors`` subclasses on purpose. Any other
exception is a bug in the plugin; the host wraps it in ``PluginError`` naming
the plugin and hook.

Compatibility: parameters may be added to a hook in a minor release (impls opt
in to the parameters they take); removing or renaming one takes a deprecation
cycle with ``warn_on_impl_args``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orderkit._markers import hookspec

if TYPE_CHECKING:
    from orderkit.address.types import AddressRequest, AddressResult
    from orderkit.decisions import (
        Allocation,
        DecisionContext,
        GiftDecision,
        PickupRequest,
        WaybillBooking,
    )
    from orderkit.models import Order, Shipment, StatusAxes
    from orderkit.specs import (
        ChannelSpec,
        CourierContext,
        CourierSpec,
        CredentialGrant,
        Event,
        FetchPage,
        JobSpec,
        ShipResult,
        ShopContext,
        SyncWindow,
    )
    from orderkit.status.mapping import StatusResult
    from orderkit.store.stock import StockLevel


# -- registration -----------------------------------------------------------


@hookspec
def register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Declare the sales channels this plugin provides.

    Called once, when the host is built, after every plugin is loaded.

    :param register: call ``register(ChannelSpec(...))`` once per channel. The
        spec's ``code`` must equal the plugin's entry-point name; it is the
        routing key for ``fetch_orders`` and ``map_status``.
    :returns: None (the return value is ignored; registering happens through
        ``register``).

    Errors: a code already registered by another plugin raises
    ``DuplicateCodeError``; a spec naming a required hook the plugin does not
    implement raises ``PluginContractError``. Both stop the host from starting.

    .. versionadded:: 0.1
    """


@hookspec
def register_couriers(register: Callable[[CourierSpec], None]) -> None:
    """Declare the couriers this plugin provides.

    Called once, when the host is built, after every plugin is loaded.

    :param register: call ``register(CourierSpec(...))`` once per courier; the
        code is the routing key for ``book_pickup``.
    :returns: None (the return value is ignored).

    Errors: as for ``register_channels`` (duplicate code, missing required hook).

    .. versionadded:: 0.1
    """


# -- intake -----------------------------------------------------------------


@hookspec
def fetch_orders(shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
    """Fetch one page of orders modified in ``window`` for one shop.

    Routed by channel code: only the plugin that registered ``shop.channel``
    is called. The sync engine calls it with ``page=None`` for the first page
    of a window and then with each returned ``next_page`` until it is None; it
    ingests each page and advances the shop's cursor only after the whole
    window is fetched and ingested.

    :param shop: the shop's endpoint, late-resolved credentials, an injected
        ``httpx.Client``, and the clock and sleeper to use for any waiting.
    :param window: platform-modified time interval [start, end), never longer
        than the channel's ``max_window``.
    :param page: opaque token from the previous page, or None for the first.
    :returns: a ``FetchPage``. Never None: an empty window is an empty page.

    Errors: a payload item that cannot be mapped goes into
    ``FetchPage.problems`` (it is dead-lettered; the page is kept). Raise
    ``ChannelAuthError`` for an expired session, ``ChannelRateLimited`` (with
    the platform's wait hint) when throttled, ``ChannelResponseError`` with
    ``transient=True`` for errors worth retrying. The engine retries transient
    errors with backoff and never advances the cursor past a failed window.

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


@hookspec(firstresult=True)
def map_status(channel: str, raw: Mapping[str, str], current: StatusAxes | None) -> StatusResult:
    """Map a channel's raw status fields to the canonical status axes.

    Called for every ingested order. Stops at first non-None result. The core
    default (``trylast``) looks ``raw`` up in the channel's status table with
    the config's ``status_overrides`` applied; a plugin implements this only
    for codes a table cannot express.

    :param channel: the channel code.
    :param raw: raw status fields, e.g. ``{"status": "TRADE_CLOSED",
        "refund_status": "SUCCESS"}``.
    :param current: the order's current axes, or None for a new order. Ranks
        are applied by the store, not here: return what the platform says.
    :returns: a ``StatusResult``; ``None`` means "not mine, ask the next impl".
        A code no table knows yields an explicit UNMAPPED result (with a
        warning log and an ``unmapped_status`` hold reason), never a guess.

    Errors: must not raise for unknown codes (that is UNMAPPED).

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


# -- decisions --------------------------------------------------------------


@hookspec(firstresult=True)
def clean_address(request: AddressRequest) -> AddressResult:
    """Split and check a receiver address.

    Called once per order when it is processed, and by ``orderkit address``.
    Stops at first non-None result; the core default is the Chinese address
    cleaner (``trylast``). A channel may add a ``wrapper=True`` impl that, for
    its own orders only (check ``request.channel``), sets ``request.hints``
    from the platform's structured fields before ``yield``.

    :param request: the text, the channel and shop, and optional hints.
    :returns: an ``AddressResult`` with levels, codes, flags and a confidence;
        ``None`` means "not mine, ask the next impl".

    Errors: must not raise on messy text; doubt is expressed as low
    ``confidence`` and flags such as ``ambiguous``.

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


@hookspec(firstresult=True)
def allocate_warehouse(order: Order, context: DecisionContext) -> Allocation:
    """Choose the warehouse(s) and split an order into shipments.

    Called when an approved order is processed.
    Stops at first non-None result; the core default is the allocation rules
    engine (``trylast``).
    Must be pure: read stock from ``context``; the host reserves stock after
    the decision and decides again with a fresh context on a conflict.

    :param order: the canonical order, gifts already added.
    :param context: stock balances and other facts gathered beforehand.
    :returns: an ``Allocation`` (shipments, trace, optional transfer alert);
        ``None`` means "not mine, ask the next impl".

    Errors: must not raise when stock is short; say so with an empty
    allocation and a ``transfer_alert``.

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


@hookspec
def apply_gifts(order: Order, context: DecisionContext) -> GiftDecision | None:
    """Propose promotion gift lines for an order.

    Called when an order is processed, after holds. Every impl is called in
    isolation and the results are sorted by plugin name, so registration order
    does not matter. Must be pure; quota is reserved by the host afterwards.

    :param order: the canonical order.
    :param context: remaining gift quotas, buyer facts, stock.
    :returns: a ``GiftDecision`` whose lines are bound to parent lines, or
        ``None`` for "no gift from this plugin".

    Errors: an exception from one impl is reported as ``PluginError`` and the
    order is held (``gift_error``); it is never silently shipped without gifts.

    .. versionadded:: 0.1
    """


# -- fulfilment -------------------------------------------------------------


@hookspec
def book_pickup(courier: CourierContext, request: PickupRequest) -> WaybillBooking:
    """Book a courier for one shipment and return its waybill number.

    Routed by courier code: only the plugin that registered
    ``request.courier`` is called. Must be idempotent per
    ``request.idempotency_key`` (a retry after a timeout must not book twice).

    :param courier: the courier account's endpoint, credentials, HTTP client,
        clock and sleeper (as configured under ``couriers:``).
    :param request: the order, the shipment, the courier and the sender.
    :returns: the ``WaybillBooking``. Never None.

    Errors: raise ``CourierError`` (``transient=True`` for timeouts and 5xx);
    the host then falls back and finally queues the shipment for manual entry
    with an alert, never pretending it was booked.

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


@hookspec
def ship_order(shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
    """Upload a shipment's courier and waybill number to the channel.

    Routed by channel code: only the plugin that registered ``shop.channel``
    is called. orderkit sets the order ``shipped`` only when the result says
    the channel accepted it. A split shipment carries the lines (sub-orders)
    it contains; upload only those.

    :param shop: the shop's endpoint, credentials, HTTP client, clock and sleeper.
    :param order: the canonical order.
    :param shipment: the shipment, with ``courier`` and ``waybill`` set.
    :returns: a ``ShipResult``; ``accepted=False`` with the platform's error
        code and message when the platform refused it. Never None.

    Errors: raise ``ChannelResponseError(transient=True)`` for timeouts and
    errors worth retrying (the host retries with backoff),
    ``ChannelAuthError`` for an expired session. A refusal is a result, not an
    exception: it leaves a visible "tracking not uploaded" state.

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


@hookspec
def refresh_credentials(shop: ShopContext) -> CredentialGrant:
    """Refresh the shop's access token with the platform.

    Routed by channel code. Called by the sync engine when the stored token
    expires within ``ChannelSpec.refresh_ahead`` (or its expiry is unknown
    after an auth error), and once after a ``ChannelAuthError`` mid-run. What
    it returns is persisted in the credentials table (never logged) and wins
    over the config from then on. Implement it only if the platform has a
    refresh flow.

    :param shop: the shop; ``shop.credential("refresh_token")`` etc. give the
        current values.
    :returns: a ``CredentialGrant`` with the new values and their expiry.
        Never None.

    Errors: raise ``ChannelAuthError`` when the platform refuses the refresh
    (the seller must re-authorise): the sync stops with that error, the shop's
    cursor records it and ``orderkit health`` shows it. Never fail silently.

    .. versionadded:: 0.1
    """
    raise NotImplementedError  # pragma: no cover - spec only


# -- the ERP ------------------------------------------------------------------


@hookspec
def persist_order(order: Order, connection: Any, created: bool) -> None:
    """Write the canonical order into the ERP's own tables.

    Called for every order ingest creates or changes, and after every guarded
    change (transition, edit), **inside orderkit's transaction**: the ERP's
    rows and orderkit's commit or roll back together. All impls are called.

    :param order: the canonical order as stored (with ``id`` and ``status``).
    :param connection: the SQLAlchemy ``Connection`` of that transaction; use
        it, never a connection of your own, or the rows will not roll back together.
    :param created: True the first time orderkit sees the order.
    :returns: None (the return value is ignored).

    Errors: an exception propagates and the batch is not written: orderkit
    rolls back its own transaction; on a connection or session the ERP passed
    in, the ERP must roll back (orderkit never commits or rolls back the
    caller's transaction). The next sync retries. Raise only for real
    failures, not for orders you ignore.

    .. versionadded:: 0.1
    """


@hookspec
def stock_levels(skus: Sequence[str] | None, connection: Any) -> Iterable[StockLevel] | None:
    """Tell orderkit what the ERP has on hand, per SKU and warehouse.

    Called by ``kit.refresh_stock()`` (by ``orderkit run`` every 15 minutes by
    default: the field's "rather slow than wrong"). Results of every impl are
    combined; for one (sku, warehouse) the last one wins.

    :param skus: the SKUs wanted, or None for everything (a full refresh:
        a SKU/warehouse you no longer report drops to 0 available).
    :param connection: a SQLAlchemy ``Connection`` on orderkit's database,
        inside the refresh's transaction; an ERP whose stock lives in the same
        database reads it here and needs no engine of its own.
    :returns: ``StockLevel(sku, warehouse, available)`` items; None means
        "I keep no stock".

    Errors: an exception aborts the refresh and keeps the previous balances
    (stale is better than wrong); it is logged and shown by ``orderkit health``.

    .. versionadded:: 0.1
    """


# -- the run loop and consumers -------------------------------------------------


@hookspec
def register_jobs(register: Callable[[JobSpec], None]) -> None:
    """Add scheduled work to ``orderkit run`` (e.g. the ERP's waybill printing).

    Called once when the run loop starts. Each job runs under a lease in the
    shared database, so two ``orderkit run`` processes never run one job at
    once; a job that raises is logged, counted in ``orderkit health`` and
    tried again on its next turn.

    :param register: call ``register(JobSpec(name, interval, run))`` once per
        job; ``run(kit)`` returns how many things it did.
    :returns: None (the return value is ignored).

    Errors: a duplicate job name raises ``PluginContractError`` when the run
    loop starts.

    .. versionadded:: 0.1
    """


@hookspec
def on_event(event: Event) -> None:
    """Receive one outbox event (order processed, shipped, tracking refused,
    monitor alert...) when ``orderkit run`` drains the outbox.

    Every impl is a consumer of its own: it is called once per event, in
    isolation, and retried with backoff when it raises; a consumer that keeps
    failing is shown by ``orderkit health``. Delivery is at least once: use
    ``event.id`` to drop repeats.

    :param event: the event, with its stable ``id``, ``topic`` and ``payload``.
    :returns: None (the return value is ignored).

    Errors: raise any exception to have the event retried later for this impl
    only; the other consumers are not affected.

    .. versionadded:: 0.1
    """
