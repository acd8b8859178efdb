"""The channel contract: the guarantees every channel plugin proves.

Subclass it in your plugin's tests and fill in the class attributes::

    class TestTaobaoContract(ChannelContract):
        plugin_name = "taobao"
        plugin = orderkit_taobao
        documented_statuses = {"status": {...}, "refund_status": {...}}
        signature_examples = [SignatureExample(...)]

The contract drives the channel's sandbox (``ChannelSpec.sandbox_factory``)
through :class:`ContractSandbox`: your sandbox must offer those controls.
Plugins must honour ``ShopContext.settings["page_size"]`` (capped at the
platform's maximum) so the contract can force several pages.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import jsonschema
import pytest
import sqlalchemy as sa

from orderkit._resources import load_schema
from orderkit.clock import FakeClock
from orderkit.errors import ChannelAuthError
from orderkit.kit import OrderKit
from orderkit.specs import Sandbox
from orderkit.status import check_completeness
from orderkit.sync import SyncError
from orderkit.testing.fixtures import make_kit


class ContractSandbox(Sandbox, Protocol):
    """Controls a channel sandbox offers so the contract can test the plugin."""

    def ground_truth(self) -> Mapping[str, Mapping[str, Any]]:
        """external id -> {"modified_at": aware datetime, ...} as of now."""
        ...

    def add_order(self, *, modified_at: datetime, malformed: bool = False) -> str:
        """Add an order modified exactly at ``modified_at``; a malformed one
        breaks a field the plugin's mapping needs. Returns its external id."""
        ...

    def expire_session(self, *, after_calls: int = 0, refreshable: bool = False) -> None:
        """Refuse the current session/token once ``after_calls`` more calls
        passed; unless ``refreshable``, a token refresh is refused too (the
        seller revoked the authorisation)."""
        ...

    def refresh_session(self) -> dict[str, str]:
        """Issue new credentials (names as in ``ShopContext.credential``)."""
        ...

    def throttle(self, *, calls: int, retry_after: float) -> None:
        """Throttle the next ``calls`` calls, hinting ``retry_after`` seconds."""
        ...


@dataclass(frozen=True)
class SignatureExample:
    """A documented signing example: ``sign(params, secret)`` must give ``expected``."""

    params: Mapping[str, Any]
    secret: str
    expected: str
    sign: Callable[[Mapping[str, Any], str], str]
    source: str = ""


T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
SPAN = timedelta(hours=2)


class ChannelContract:
    """Every channel plugin's tests subclass this and pass."""

    plugin_name: ClassVar[str]
    plugin: ClassVar[object]
    #: raw status field -> every code the platform documents
    documented_statuses: ClassVar[Mapping[str, set[str]]]
    signature_examples: ClassVar[list[SignatureExample]] = []
    #: options passed to the sandbox factory (orders, seed...)
    sandbox_options: ClassVar[dict[str, Any]] = {"orders": 300, "seed": 11}
    page_size: ClassVar[int] = 20

    # -- helpers -------------------------------------------------------------------

    def kit(self, tmp_path: Path, **sandbox: Any) -> OrderKit:
        options = {**self.sandbox_options, "start": T0, "end": T0 + SPAN, **sandbox}
        shop = {
            "id": "contract-shop",
            "channel": self.plugin_name,
            "endpoint": "sandbox",
            "app_key": "contract-app",
            "app_secret": "sandbox:contract-secret",
            "session": "sandbox:contract-session",
            "settings": {
                "page_size": self.page_size,
                "initial_lookback_hours": 3,
                "calls_per_second": 1000,
                "burst": 1000,
                "sandbox": options,
            },
        }
        return make_kit(
            tmp_path,
            [(self.plugin_name, self.plugin)],
            shops=[shop],
            clock=FakeClock(T0 + SPAN + timedelta(minutes=1)),
        )

    @staticmethod
    def stored_ids(kit: OrderKit) -> list[str]:
        o = kit.store.tables.orders
        with kit.store.db.transaction() as conn:
            return list(conn.execute(sa.select(o.c.external_id)).scalars())

    @staticmethod
    def watermark(kit: OrderKit) -> datetime | None:
        state = kit.sync_engine.cursors.state("contract-shop")
        return state.watermark if state else None

    def sandbox(self, kit: OrderKit) -> ContractSandbox:
        box = kit.sandbox("contract-shop")
        return box  # type: ignore[return-value]

    # -- registration and data ------------------------------------------------------

    def test_registers_under_its_code_with_required_hooks(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        registered = kit.host.channels[self.plugin_name]
        assert registered.spec.code == self.plugin_name
        hooks = {c.name for c in kit.pm.get_hookcallers(registered.plugin) or []}
        assert set(registered.spec.required_hooks) <= hooks
        assert {"fetch_orders", "ship_order"} <= hooks
        for name, impl in _hookimpls(self.plugin):
            defaults = [
                p
                for p in inspect.signature(impl).parameters.values()
                if p.default is not inspect.Parameter.empty
            ]
            assert not defaults, f"{name}: pluggy never passes parameters with defaults"

    def test_status_table_covers_documented_codes_and_only_its_own(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        table = kit.host.status_table(self.plugin_name)
        assert table is not None and table.channel == self.plugin_name
        report = check_completeness(table, self.documented_statuses)
        assert report.is_complete, str(report)
        assert not report.extra, f"codes no document lists: {report.extra}"
        for impl in _impls_named(self.plugin, "map_status"):
            assert impl(channel="some-other-channel", raw={"status": "X"}, current=None) is None

    def test_signature_follows_the_documented_algorithm(self) -> None:
        if not self.signature_examples:
            pytest.fail("give at least one documented signature example")
        for example in self.signature_examples:
            assert example.sign(example.params, example.secret) == example.expected, example.source

    def test_full_sync_is_schema_valid_complete_and_paged(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        truth = self.sandbox(kit).ground_truth()
        report = kit.sync("contract-shop")
        ids = self.stored_ids(kit)
        assert sorted(ids) == sorted(truth), "every sandbox order arrives exactly once"
        assert report.pages > report.windows, "the contract needs several pages per window"
        validator = jsonschema.Draft202012Validator(
            load_schema("order.schema.json"), format_checker=jsonschema.FormatChecker()
        )
        for stored_id in kit.store.orders.resolve_many("contract-shop", ids[:200]):
            order = kit.get(stored_id).order
            errors = sorted(validator.iter_errors(order.model_dump(mode="json")), key=str)
            assert not errors, f"{order.external_id}: {errors[0].message}"
        assert self.watermark(kit) == T0 + SPAN + timedelta(minutes=1)

    def test_overlapping_windows_give_the_same_ids_without_duplicates(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        kit.sync("contract-shop")
        first = sorted(self.stored_ids(kit))
        # sync the same span again from scratch: same ids, nothing new
        engine = kit.sync_engine
        with kit.store.db.transaction() as conn:
            conn.execute(kit.store.tables.sync_cursors.update().values(watermark=None))
        report = engine.sync_shop("contract-shop")
        assert report.created == 0
        assert sorted(self.stored_ids(kit)) == first

    def test_order_on_a_window_boundary_is_not_missed(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        spec = kit.host.channel(self.plugin_name)
        size = spec.default_window or spec.max_window
        start = T0 + SPAN + timedelta(minutes=1) - timedelta(hours=3)
        boundary = start + size  # the end of the first window, start of the second
        edge = self.sandbox(kit).add_order(modified_at=boundary)
        kit.sync("contract-shop")
        assert edge in self.stored_ids(kit)

    def test_session_expiring_mid_run_stops_without_advancing(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        box = self.sandbox(kit)
        box.expire_session(after_calls=3)
        with pytest.raises(SyncError) as info:
            kit.sync("contract-shop")
        assert isinstance(info.value.__cause__, ChannelAuthError)
        assert info.value.report is not None
        stopped_at = self.watermark(kit)
        assert stopped_at is None or stopped_at < T0 + SPAN  # not past unfetched work
        kit.save_credentials("contract-shop", box.refresh_session())
        kit.sync("contract-shop")
        assert sorted(self.stored_ids(kit)) == sorted(box.ground_truth())

    def test_expired_token_is_refreshed_and_persisted(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        if not kit.host.can_refresh(self.plugin_name):
            pytest.skip("this channel has no token refresh flow")
        box = self.sandbox(kit)
        box.expire_session(after_calls=3, refreshable=True)
        report = kit.sync("contract-shop")
        assert report.refreshed == 1
        stored, _ = kit.store.credentials("contract-shop")
        assert stored, "the refreshed tokens must be persisted"
        assert sorted(self.stored_ids(kit)) == sorted(box.ground_truth())

    def test_throttling_is_honoured_and_the_sync_completes(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        box = self.sandbox(kit)
        box.throttle(calls=3, retry_after=7.0)
        report = kit.sync("contract-shop")
        assert report.throttled == 3
        waits = kit.sleeper.waits  # type: ignore[attr-defined]
        assert waits.count(7.0) >= 3, f"backoff must use the platform's hint, waited {waits}"
        assert sorted(self.stored_ids(kit)) == sorted(box.ground_truth())

    def test_malformed_order_is_dead_lettered_and_the_page_kept(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        box = self.sandbox(kit)
        bad = box.add_order(modified_at=T0 + timedelta(minutes=10), malformed=True)
        kit.sync("contract-shop")
        stored = set(self.stored_ids(kit))
        assert bad not in stored
        assert stored == set(box.ground_truth()) - {bad}
        letters = kit.dead_letters()
        assert [d.external_id for d in letters] == [bad]
        assert letters[0].error


def _hookimpls(plugin: object) -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for name in dir(plugin):
        value = getattr(plugin, name, None)
        if callable(value) and hasattr(value, "orderkit_impl"):
            found.append((name, value))
    return found


def _impls_named(plugin: object, hook: str) -> list[Callable[..., Any]]:
    return [impl for name, impl in _hookimpls(plugin) if name == hook]
