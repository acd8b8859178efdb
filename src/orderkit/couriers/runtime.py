"""``CourierRuntime``: courier contexts built from the ``couriers:`` config, and
booking with retries and fallback couriers.

A ``CourierContext`` holds the entry's endpoint and settings, credentials
resolved late (``SecretRef``), an httpx client (wired to the courier's
in-process sandbox for ``endpoint: sandbox``), and the kit's clock and
sleeper. ``book`` calls the routed ``book_pickup`` hook; a transient
``CourierError`` is retried with backoff through the kit's sleeper, and a
courier that keeps failing hands over to its ``fallback`` couriers in order.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import httpx
import structlog

from orderkit._sandboxes import sandbox_options
from orderkit.config import CourierConfig, SecretRef
from orderkit.errors import CourierError, OrderKitError
from orderkit.specs import CourierContext

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.kit import OrderKit
    from orderkit.specs import Sandbox

log = structlog.get_logger("orderkit.couriers")

#: Credential fields of a ``couriers:`` entry; any other name is looked up in
#: its ``settings`` (where secret-named keys are ``SecretRef``s too).
CREDENTIALS: Final = (
    "partner_id",
    "check_word",
    "app_key",
    "app_secret",
    "access_token",
    "customer_code",
    "account",
)
DEFAULT_ATTEMPTS: Final = 3
#: A booking is one small request: fail fast and let the retry/fallback work.
DEFAULT_TIMEOUT: Final = httpx.Timeout(20.0, connect=5.0)


class CourierRuntime:
    """Per-kit courier contexts and sandboxes, and ``book`` with retries.

    :param kit: the kit whose config (``couriers:``), host, clock and sleeper
        are used.
    :param attempts: tries per courier for transient errors (first included).
    :param backoff: seconds before the first retry; doubles per retry.
    :param max_backoff: cap of one wait, in seconds.
    """

    def __init__(
        self,
        kit: OrderKit,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._kit = kit
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._contexts: dict[str, CourierContext] = {}
        self._sandboxes: dict[str, Sandbox] = {}

    @property
    def kit(self) -> OrderKit:
        return self._kit

    # -- config -------------------------------------------------------------------

    def courier(self, code: str) -> CourierConfig:
        """The ``couriers:`` entry for ``code``; ``CourierError`` if there is none."""
        for entry in self._kit.config.couriers:
            if entry.code == code:
                return entry
        known = ", ".join(c.code for c in self._kit.config.couriers) or "none"
        raise CourierError(f"not configured under couriers (configured: {known})", courier=code)

    def credential(self, courier: CourierConfig, name: str) -> str:
        """The credential ``name`` of an entry, resolved now.

        :raises CourierError: (not transient) when it is not configured.
        :raises ConfigError: when its ``env:`` variable is not set.
        """
        value = self._config_credential(courier, name)
        if value is None:
            where = name if name in CREDENTIALS else f"settings.{name}"
            raise CourierError(f"no {name} configured (couriers[].{where})", courier=courier.code)
        return value

    @staticmethod
    def _config_credential(courier: CourierConfig, name: str) -> str | None:
        raw: Any = getattr(courier, name) if name in CREDENTIALS else courier.settings.get(name)
        if raw is None:
            return None
        return raw.resolve() if isinstance(raw, SecretRef) else str(raw)

    # -- contexts ---------------------------------------------------------------------

    def sandbox(self, code: str) -> Sandbox:
        """The courier's in-process sandbox (``endpoint: sandbox``), made once.

        It gets ``settings.sandbox`` as options, the entry's credentials as the
        ones it accepts (unless ``settings.sandbox`` names others), and the
        kit's clock.
        """
        if code not in self._sandboxes:
            courier = self.courier(code)
            spec = self._kit.host.courier(code)
            if spec.sandbox_factory is None:
                raise OrderKitError(f"courier {code!r} ships no sandbox")
            options = sandbox_options(
                courier.settings.get("sandbox") or {},
                ((name, self._config_credential(courier, name)) for name in CREDENTIALS),
                self._kit.clock,
            )
            self._sandboxes[code] = spec.sandbox_factory(**options)
        return self._sandboxes[code]

    def context(self, code: str) -> CourierContext:
        """The ``CourierContext`` for ``code``, made once per runtime."""
        if code in self._contexts:
            return self._contexts[code]
        courier = self.courier(code)
        if courier.uses_builtin_sandbox:
            sandbox = self.sandbox(code)
            http = httpx.Client(transport=sandbox.transport(), timeout=DEFAULT_TIMEOUT)
            endpoint: str | None = sandbox.base_url
        else:
            http = httpx.Client(timeout=DEFAULT_TIMEOUT)
            endpoint = courier.endpoint

        def credential(name: str) -> str:
            return self.credential(courier, name)

        context = CourierContext(
            code=code,
            endpoint=endpoint,
            settings=courier.settings,
            credential=credential,
            http=http,
            clock=self._kit.clock,
            sleeper=self._kit.sleeper,
        )
        self._contexts[code] = context
        return context

    # -- booking ----------------------------------------------------------------------

    def book(self, request: PickupRequest) -> WaybillBooking:
        """Book ``request`` with its courier, else with its fallbacks in order.

        Each courier gets ``attempts`` tries for transient errors, with
        backoff through the kit's sleeper. The same ``idempotency_key`` goes
        to every try, so a retry after a lost reply never books twice.

        :returns: the first booking that succeeds (``booking.courier`` says
            which courier took it).
        :raises CourierError: when every courier failed; ``transient`` when
            any failure was, i.e. a later try may succeed.
        """
        primary = self.courier(request.courier)
        chain = [primary.code, *(c for c in primary.fallback if c != primary.code)]
        failures: list[CourierError] = []
        for code in chain:
            try:
                if not self.courier(code).enabled:
                    raise CourierError("disabled in the config", courier=code)
                attempt = request if code == request.courier else replace(request, courier=code)
                return self._book_with_retries(attempt)
            except CourierError as exc:
                failures.append(exc)
                log.warning("courier.failed", courier=code, error=str(exc), transient=exc.transient)
        if len(failures) == 1:
            raise failures[0]
        summary = "; ".join(str(f) for f in failures)
        raise CourierError(
            f"every courier failed ({summary})",
            courier=request.courier,
            transient=any(f.transient for f in failures),
        ) from failures[-1]

    def _book_with_retries(self, request: PickupRequest) -> WaybillBooking:
        code = request.courier
        context = self.context(code)
        for attempt in range(1, self.attempts + 1):
            try:
                return _checked(code, self._kit.host.book_pickup(context, request))
            except CourierError as exc:
                if not exc.transient or attempt == self.attempts:
                    raise
                wait = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
                log.info("courier.retry", courier=code, attempt=attempt, wait=wait, error=str(exc))
                self._kit.sleeper.sleep(wait)
            except OrderKitError as exc:
                # A plugin bug, a missing plugin, an unset env variable: this
                # courier cannot book now; say so and let a fallback try.
                raise CourierError(str(exc), courier=code) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the HTTP clients of the contexts made so far."""
        for context in self._contexts.values():
            context.http.close()
        self._contexts.clear()


def _checked(code: str, booking: WaybillBooking) -> WaybillBooking:
    # Never pretend a shipment was booked.
    if not booking.waybill or not booking.waybill.strip():
        raise CourierError("book_pickup returned an empty waybill", courier=code)
    return booking
