"""The courier contract: the guarantees every courier plugin proves.

Subclass it in your plugin's tests and fill in the class attributes::

    class TestSfContract(CourierContract):
        plugin_name = "sf"
        plugin = orderkit_couriers.sf
        waybill_pattern = r"SF[0-9]{13}"
        credentials = {"partner_id": "P1", "check_word": "sandbox:cw"}
        secret_name = "check_word"
        signature_examples = [CourierSignatureExample(...)]

The contract books through ``orderkit.couriers.CourierRuntime`` against the
courier's sandbox (``CourierSpec.sandbox_factory``, ``endpoint: sandbox``):
your sandbox must accept the configured credentials as its own and offer the
controls of :class:`ContractCourierSandbox`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pytest

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.couriers import CourierRuntime
from orderkit.decisions import PickupRequest
from orderkit.errors import CourierError
from orderkit.kit import OrderKit
from orderkit.models import Order, Shipment
from orderkit.specs import Sandbox


class ReceivedCallLike(Protocol):
    #: the signature the client sent, None if the request never got that far
    signature: str | None
    #: whether the sandbox verified it (None: not checked)
    signature_ok: bool | None


class BookingLike(Protocol):
    order_id: str
    waybill: str
    #: the business request as the sandbox received it (decoded JSON)
    payload: Mapping[str, Any]


class ContractCourierSandbox(Sandbox, Protocol):
    """Controls a courier sandbox offers so the contract can test the plugin."""

    calls: Sequence[ReceivedCallLike]

    @property
    def bookings(self) -> Sequence[BookingLike]:
        """Every booking made, once per customer order id."""
        ...

    def fail_next(self, n: int = 1, kind: str = "server_error") -> None:
        """Fail the next ``n`` requests: ``timeout`` (booked, reply lost),
        ``server_error`` (HTTP 5xx), ``throttle``, ``auth`` (credentials refused)."""
        ...


@dataclass(frozen=True)
class CourierSignatureExample:
    """A signing example: ``sign(**inputs)`` must give ``expected``."""

    inputs: Mapping[str, str]
    expected: str
    sign: Callable[..., str]
    source: str = ""


NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
SENDER: dict[str, str] = {
    "name": "华东仓",
    "phone": "13800000000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "余杭区",
    "address": "仓前街道文一西路1号",
}


def contract_order(external_id: str = "CT1") -> Order:
    """A paid order with a cleaned receiver (masked name and phone) and two lines."""
    return Order.model_validate(
        {
            "channel": "own",
            "shop_id": "contract-shop",
            "external_id": external_id,
            "created_at": NOW,
            "modified_at": NOW,
            "amounts": {"goods_total": 12900, "paid": 12900},
            "lines": [
                {"line_id": "L1", "title": "保温杯", "quantity": 2, "unit_price": 4950},
                {"line_id": "L2", "title": "杯套", "quantity": 1, "unit_price": 3000},
            ],
            "receiver": {
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "street": "粤海街道",
                "detail": "科技园南区8栋",
                "name_masked": "李**",
                "phone_masked": "138****5678",
            },
        }
    )


class CourierContract:
    """Every courier plugin's tests subclass this and pass."""

    plugin_name: ClassVar[str]
    plugin: ClassVar[object]
    #: the courier's waybill format (a full match is required)
    waybill_pattern: ClassVar[str | re.Pattern[str]]
    #: credential fields of the ``couriers:`` entry (secrets as ``sandbox:VALUE``)
    credentials: ClassVar[Mapping[str, str]]
    #: the credential that signs requests: a wrong value must be refused
    secret_name: ClassVar[str]
    signature_examples: ClassVar[Sequence[CourierSignatureExample]] = ()
    #: options passed to the sandbox factory
    sandbox_options: ClassVar[Mapping[str, Any]] = {"seed": 7}
    sender: ClassVar[Mapping[str, str]] = SENDER

    # -- helpers -------------------------------------------------------------------

    def kit(
        self,
        tmp_path: Path,
        *,
        credentials: Mapping[str, str] | None = None,
        sandbox: Mapping[str, Any] | None = None,
    ) -> OrderKit:
        """A kit with only this plugin and one courier entry on its sandbox."""
        courier = {
            "code": self.plugin_name,
            "endpoint": "sandbox",
            **(credentials if credentials is not None else self.credentials),
            "settings": {
                "sender": dict(self.sender),
                "sandbox": {**self.sandbox_options, **(sandbox or {})},
            },
        }
        clock = FakeClock(NOW)
        config = {
            "version": 1,
            "database": {"url": f"sqlite:///{tmp_path / 'orderkit.db'}"},
            "couriers": [courier],
        }
        return OrderKit.from_config(
            config,
            plugins=[(self.plugin_name, self.plugin)],
            entrypoints=False,
            clock=clock,
            sleeper=RecordingSleeper(clock),
        )

    def runtime(self, tmp_path: Path, **kit: Any) -> CourierRuntime:
        return CourierRuntime(self.kit(tmp_path, **kit))

    def request(
        self, key: str = "contract-shop/CT1/p1", order: Order | None = None
    ) -> PickupRequest:
        return PickupRequest(
            order=order or contract_order(),
            shipment=Shipment(shipment_id=key.rsplit("/", 1)[-1]),
            courier=self.plugin_name,
            idempotency_key=key,
        )

    def sandbox(self, runtime: CourierRuntime) -> ContractCourierSandbox:
        box = runtime.sandbox(self.plugin_name)
        return box  # type: ignore[return-value]

    def book_once(self, runtime: CourierRuntime, request: PickupRequest | None = None) -> Any:
        """One ``book_pickup`` call through the host, without retries."""
        context = runtime.context(self.plugin_name)
        return runtime.kit.host.book_pickup(context, request or self.request())

    def assert_waybill(self, waybill: str) -> None:
        pattern = re.compile(self.waybill_pattern)
        assert pattern.fullmatch(waybill), f"{waybill!r} is not a {self.plugin_name} waybill"

    # -- registration -----------------------------------------------------------------

    def test_registers_under_its_code_and_implements_book_pickup(self, tmp_path: Path) -> None:
        kit = self.kit(tmp_path)
        registered = kit.host.couriers[self.plugin_name]
        assert registered.spec.code == self.plugin_name
        assert registered.spec.sandbox_factory is not None, "a courier plugin ships a sandbox"
        hooks = {c.name for c in kit.pm.get_hookcallers(registered.plugin) or []}
        assert {"register_couriers", "book_pickup"} <= hooks
        assert set(registered.spec.required_hooks) <= hooks
        impl = getattr(self.plugin, "book_pickup")  # noqa: B009 - the plugin's own attribute
        defaults = [
            p
            for p in inspect.signature(impl).parameters.values()
            if p.default is not inspect.Parameter.empty
        ]
        assert not defaults, "pluggy never passes parameters with defaults"

    # -- booking ------------------------------------------------------------------------

    def test_booking_returns_a_waybill_in_the_couriers_format(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        booking = self.book_once(runtime)
        assert booking.courier == self.plugin_name
        self.assert_waybill(booking.waybill)
        assert [b.waybill for b in self.sandbox(runtime).bookings] == [booking.waybill]

    def test_request_carries_the_receiver_and_the_sender(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        self.book_once(runtime)
        sent = json.dumps(self.sandbox(runtime).bookings[0].payload, ensure_ascii=False)
        receiver = contract_order().receiver
        for value in (receiver.city, receiver.detail, receiver.name_masked, receiver.phone_masked):
            assert value and value in sent, f"receiver {value!r} is not in the request"
        for value in (self.sender["name"], self.sender["phone"], self.sender["address"]):
            assert value in sent, f"sender {value!r} is not in the request"

    def test_same_key_gives_the_same_waybill_and_books_once(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        first = self.book_once(runtime)
        again = self.book_once(runtime)
        other = self.book_once(runtime, self.request("contract-shop/CT1/p2"))
        assert again.waybill == first.waybill
        assert other.waybill != first.waybill
        assert len(self.sandbox(runtime).bookings) == 2

    def test_a_lost_reply_is_retried_with_the_same_key_and_books_once(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        self.sandbox(runtime).fail_next(1, "timeout")
        booking = runtime.book(self.request())
        bookings = self.sandbox(runtime).bookings
        assert [b.waybill for b in bookings] == [booking.waybill]
        sleeper = runtime.kit.sleeper
        assert isinstance(sleeper, RecordingSleeper) and len(sleeper.waits) == 1

    # -- errors ---------------------------------------------------------------------------

    def test_a_bad_secret_is_a_non_transient_error(self, tmp_path: Path) -> None:
        good = self.credentials[self.secret_name]  # the sandbox accepts this one only
        wrong = {**self.credentials, self.secret_name: "sandbox:not-the-secret"}
        runtime = self.runtime(tmp_path, credentials=wrong, sandbox={self.secret_name: good})
        with pytest.raises(CourierError) as caught:
            runtime.book(self.request())
        assert caught.value.transient is False
        assert caught.value.courier == self.plugin_name
        box = self.sandbox(runtime)
        assert box.calls[-1].signature_ok is False, "the sandbox must have refused the signature"
        assert not box.bookings
        sleeper = runtime.kit.sleeper
        assert isinstance(sleeper, RecordingSleeper) and sleeper.waits == [], "not retried"

    def test_refused_credentials_are_a_non_transient_error(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        self.sandbox(runtime).fail_next(1, "auth")
        with pytest.raises(CourierError) as caught:
            self.book_once(runtime)
        assert caught.value.transient is False

    @pytest.mark.parametrize("kind", ["timeout", "server_error", "throttle"])
    def test_failures_worth_retrying_are_transient(self, tmp_path: Path, kind: str) -> None:
        runtime = self.runtime(tmp_path)
        self.sandbox(runtime).fail_next(1, kind)
        with pytest.raises(CourierError) as caught:
            self.book_once(runtime)
        assert caught.value.transient is True
        assert caught.value.courier == self.plugin_name
        self.assert_waybill(self.book_once(runtime).waybill)  # and the next call works

    def test_runtime_gives_up_after_three_transient_failures(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        self.sandbox(runtime).fail_next(3, "server_error")
        with pytest.raises(CourierError) as caught:
            runtime.book(self.request())
        assert caught.value.transient is True
        assert len(self.sandbox(runtime).calls) == 3

    # -- signing --------------------------------------------------------------------------

    def test_the_signature_sent_is_the_one_the_sandbox_verifies(self, tmp_path: Path) -> None:
        runtime = self.runtime(tmp_path)
        self.book_once(runtime)
        call = self.sandbox(runtime).calls[-1]
        assert call.signature, "the request carries a signature"
        assert call.signature_ok is True

    def test_signature_follows_the_documented_algorithm(self) -> None:
        if not self.signature_examples:
            pytest.fail("give at least one signature example")
        for example in self.signature_examples:
            assert example.sign(**example.inputs) == example.expected, example.source
