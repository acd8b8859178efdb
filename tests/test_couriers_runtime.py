"""``orderkit.couriers.CourierRuntime``: contexts from the ``couriers:`` config,
retries with backoff through the kit's sleeper, fallback couriers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderkit import hookimpl
from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.couriers import CourierRuntime
from orderkit.decisions import PickupRequest, WaybillBooking
from orderkit.errors import ConfigError, CourierError
from orderkit.kit import OrderKit
from orderkit.models import Order, Shipment
from orderkit.specs import CourierContext, CourierSpec

from .conftest import make_order_payload

Outcome = CourierError | Exception | str | None  # None: a normal booking


class FakeSandbox:
    base_url = "http://fake.sandbox.invalid"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def transport(self) -> httpx.BaseTransport:
        return httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raise NotImplementedError


@dataclass(eq=False)  # pluggy keeps plugins in sets
class FakeCourier:
    """A courier plugin that answers from a script of outcomes."""

    code: str
    script: list[Outcome] = field(default_factory=list)
    seen: list[tuple[CourierContext, PickupRequest]] = field(default_factory=list)

    @hookimpl
    def register_couriers(self, register: Callable[[CourierSpec], None]) -> None:
        register(CourierSpec(code=self.code, display_name=self.code, sandbox_factory=FakeSandbox))

    @hookimpl
    def book_pickup(self, courier: CourierContext, request: PickupRequest) -> WaybillBooking:
        self.seen.append((courier, request))
        outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, Exception):
            raise outcome
        waybill = outcome if isinstance(outcome, str) else f"{self.code.upper()}-0001"
        return WaybillBooking(courier=self.code, waybill=waybill)


def make_runtime(
    tmp_path: Path, couriers: list[dict[str, Any]], *plugins: FakeCourier
) -> CourierRuntime:
    clock = FakeClock()
    kit = OrderKit.from_config(
        {
            "version": 1,
            "database": {"url": f"sqlite:///{tmp_path / 'ok.db'}"},
            "couriers": couriers,
        },
        plugins=[(p.code, p) for p in plugins],
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    return CourierRuntime(kit)


def request(courier: str = "alpha", key: str = "own-mini/T1/p1") -> PickupRequest:
    order = Order.model_validate(make_order_payload())
    return PickupRequest(
        order=order, shipment=Shipment(shipment_id="p1"), courier=courier, idempotency_key=key
    )


def waits(runtime: CourierRuntime) -> list[float]:
    sleeper = runtime.kit.sleeper
    assert isinstance(sleeper, RecordingSleeper)
    return sleeper.waits


def transient(message: str = "timed out", code: str = "alpha") -> CourierError:
    return CourierError(message, courier=code, transient=True)


# -- contexts ---------------------------------------------------------------------


def test_context_carries_the_entry_and_resolves_secrets_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = {
        "code": "alpha",
        "endpoint": "https://api.alpha.example",
        "app_key": "K1",
        "app_secret": "env:ALPHA_SECRET",
        "settings": {"product_code": "P", "api_password": "env:ALPHA_PW"},
    }
    runtime = make_runtime(tmp_path, [entry], FakeCourier("alpha"))
    context = runtime.context("alpha")
    assert context is runtime.context("alpha")  # made once
    assert context.code == "alpha" and context.endpoint == "https://api.alpha.example"
    assert context.settings["product_code"] == "P"
    assert context.clock is runtime.kit.clock and context.sleeper is runtime.kit.sleeper
    assert context.credential("app_key") == "K1"
    monkeypatch.setenv("ALPHA_SECRET", "s1")
    assert context.credential("app_secret") == "s1"
    monkeypatch.setenv("ALPHA_SECRET", "s2")  # rotated: read again at the next use
    assert context.credential("app_secret") == "s2"
    monkeypatch.setenv("ALPHA_PW", "pw")
    assert context.credential("api_password") == "pw"  # secrets in settings too
    with pytest.raises(CourierError, match=r"no check_word configured") as caught:
        context.credential("check_word")
    assert caught.value.transient is False
    monkeypatch.delenv("ALPHA_SECRET")
    with pytest.raises(ConfigError, match="ALPHA_SECRET is not set"):
        context.credential("app_secret")


def test_sandbox_endpoint_uses_the_in_process_sandbox(tmp_path: Path) -> None:
    entry = {
        "code": "alpha",
        "endpoint": "sandbox",
        "partner_id": "P1",
        "check_word": "sandbox:cw",
        "settings": {"sandbox": {"seed": 3, "app_secret": "sandbox:other"}},
    }
    runtime = make_runtime(tmp_path, [entry], FakeCourier("alpha"))
    context = runtime.context("alpha")
    box = runtime.sandbox("alpha")
    assert isinstance(box, FakeSandbox) and box is runtime.sandbox("alpha")
    assert context.endpoint == box.base_url
    assert context.http.get("http://anything.invalid/").json() == {"ok": True}
    assert box.options["seed"] == 3
    assert box.options["partner_id"] == "P1" and box.options["check_word"] == "cw"
    assert box.options["app_secret"] == "other"  # settings.sandbox wins, resolved
    assert box.options["clock"] is runtime.kit.clock


def test_an_unconfigured_courier_is_a_courier_error(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, [{"code": "alpha"}], FakeCourier("alpha"))
    with pytest.raises(CourierError, match=r"not configured under couriers \(configured: alpha\)"):
        runtime.context("beta")


# -- retries ------------------------------------------------------------------------


def test_transient_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    alpha = FakeCourier("alpha", [transient(), transient()])
    runtime = make_runtime(tmp_path, [{"code": "alpha"}], alpha)
    booking = runtime.book(request())
    assert booking == WaybillBooking(courier="alpha", waybill="ALPHA-0001")
    assert waits(runtime) == [1.0, 2.0]
    assert {r.idempotency_key for _, r in alpha.seen} == {"own-mini/T1/p1"}  # one key


def test_three_transient_failures_give_up(tmp_path: Path) -> None:
    alpha = FakeCourier("alpha", [transient("a"), transient("b"), transient("c"), None])
    runtime = make_runtime(tmp_path, [{"code": "alpha"}], alpha)
    with pytest.raises(CourierError, match="c") as caught:
        runtime.book(request())
    assert caught.value.transient is True and len(alpha.seen) == 3
    assert waits(runtime) == [1.0, 2.0]


def test_a_non_transient_error_is_not_retried(tmp_path: Path) -> None:
    alpha = FakeCourier("alpha", [CourierError("bad signature", courier="alpha")])
    runtime = make_runtime(tmp_path, [{"code": "alpha"}], alpha)
    with pytest.raises(CourierError, match="bad signature"):
        runtime.book(request())
    assert len(alpha.seen) == 1 and waits(runtime) == []


def test_an_empty_waybill_is_never_taken_as_booked(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path, [{"code": "alpha"}], FakeCourier("alpha", [" "]))
    with pytest.raises(CourierError, match="empty waybill"):
        runtime.book(request())


# -- fallback -------------------------------------------------------------------------


def test_a_failing_courier_hands_over_to_its_fallback(tmp_path: Path) -> None:
    alpha = FakeCourier("alpha", [transient()] * 3)
    beta = FakeCourier("beta")
    couriers: list[dict[str, Any]] = [{"code": "alpha", "fallback": ["beta"]}, {"code": "beta"}]
    runtime = make_runtime(tmp_path, couriers, alpha, beta)
    booking = runtime.book(request())
    assert booking.courier == "beta"
    context, sent = beta.seen[0]
    assert context.code == "beta" and sent.courier == "beta"
    assert sent.idempotency_key == "own-mini/T1/p1"


def test_fallbacks_are_tried_in_order_and_every_failure_is_reported(tmp_path: Path) -> None:
    alpha = FakeCourier("alpha", [CourierError("refused", courier="alpha")])
    beta = FakeCourier("beta", [transient("busy", "beta")] * 3)
    gamma = FakeCourier("gamma", [RuntimeError("plugin bug")])
    couriers: list[dict[str, Any]] = [
        {"code": "alpha", "fallback": ["beta", "gamma"]},
        {"code": "beta"},
        {"code": "gamma"},
    ]
    runtime = make_runtime(tmp_path, couriers, alpha, beta, gamma)
    with pytest.raises(CourierError) as caught:
        runtime.book(request())
    message = str(caught.value)
    assert message.index("refused") < message.index("busy") < message.index("plugin bug")
    assert caught.value.courier == "alpha"
    assert caught.value.transient is True  # beta may work later


def test_a_disabled_courier_goes_straight_to_its_fallback(tmp_path: Path) -> None:
    alpha, beta = FakeCourier("alpha"), FakeCourier("beta")
    couriers: list[dict[str, Any]] = [
        {"code": "alpha", "enabled": False, "fallback": ["beta"]},
        {"code": "beta"},
    ]
    runtime = make_runtime(tmp_path, couriers, alpha, beta)
    assert runtime.book(request()).courier == "beta"
    assert alpha.seen == []
