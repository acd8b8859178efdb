"""Typed models of a validated config, and ``SecretRef``, a secret read late.

These models trust their input: ``orderkit.config.loader`` validates the file
first (schema + semantic checks) so that every problem has a path and a line.
Defaults here agree with the ``default`` values in ``schemas/config.schema.json``
(a test keeps the two in step).
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from orderkit.errors import ConfigError, ConfigProblem

SANDBOX_ENDPOINT = "sandbox"
"""``endpoint: sandbox`` selects the channel's (or courier's) built-in in-process sandbox."""

_DURATION_PART = re.compile(r"([0-9]+)([smhd])")
_DURATION = re.compile(r"^(?:[0-9]+[smhd])+$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def parse_duration(value: int | str) -> int:
    """Seconds in ``value``: an int of seconds or text like ``30s``, ``5m``, ``1h30m``, ``2d``."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or text like '5m'")
    if isinstance(value, int):
        return value
    if not _DURATION.match(value):
        raise ValueError(f"not a duration: {value!r} (write e.g. '30s', '5m', '2h')")
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(value))


def is_sandbox_endpoint(endpoint: str | None) -> bool:
    """True for ``sandbox`` and for a local sandbox URL (http://127.0.0.1, localhost)."""
    if endpoint is None:
        return False
    if endpoint == SANDBOX_ENDPOINT:
        return True
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.hostname in _LOOPBACK_HOSTS


def _never_log(value: str) -> None:
    # Every resolved secret joins the log redactor, wherever it later appears.
    from orderkit.logs import add_secret

    add_secret(value)


class SecretRef:
    """A reference to a secret: ``env:NAME`` (read when needed) or ``sandbox:VALUE``.

    ``resolve()`` reads the environment at call time, so a rotated secret is picked
    up without reloading the config. ``repr`` and ``str`` never show a value.
    """

    __slots__ = ("path", "ref")

    def __init__(self, ref: str, path: str | None = None) -> None:
        if not (ref.startswith("env:") and _ENV_NAME.match(ref[4:])) and not (
            ref.startswith("sandbox:") and len(ref) > len("sandbox:")
        ):
            raise ValueError("must be an env: reference")
        self.ref = ref
        self.path = path  # where it was written, for error messages

    @property
    def kind(self) -> Literal["env", "sandbox"]:
        return "env" if self.ref.startswith("env:") else "sandbox"

    @property
    def env_name(self) -> str | None:
        """The environment variable's name, or None for a sandbox value."""
        return self.ref[4:] if self.kind == "env" else None

    def resolve(self) -> str:
        """The secret's value; raises ``ConfigError`` naming the path and variable if unset."""
        name = self.env_name
        if name is None:
            sandbox_value = self.ref[len("sandbox:") :]
            _never_log(sandbox_value)
            return sandbox_value
        value = os.environ.get(name)
        if not value:
            state = "is empty" if value == "" else "is not set"
            problem = ConfigProblem(self.path or "", f"environment variable {name} {state}")
            raise ConfigError([problem])
        _never_log(value)
        return value

    def _shown(self) -> str:
        # A sandbox ref carries its value; mask it like any other secret.
        return self.ref if self.kind == "env" else "sandbox:***"

    def __repr__(self) -> str:
        return f"SecretRef({self._shown()!r})"

    def __str__(self) -> str:
        return self._shown()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretRef) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(("SecretRef", self.ref))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.ref),
        )

    @classmethod
    def _coerce(cls, value: Any) -> SecretRef:
        if isinstance(value, SecretRef):
            return value
        if isinstance(value, str):
            return cls(value)
        raise ValueError("must be an env: reference")


Duration = Annotated[int, BeforeValidator(parse_duration), Field(ge=0)]
"""Seconds; written in the file as an int of seconds or text like ``5m``."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    url: str = "sqlite:///orderkit.db"
    table_prefix: str = "ok_"

    def resolve_url(self) -> str:
        """The URL to connect to; an ``env:NAME`` URL is read from the environment now."""
        if self.url.startswith("env:"):
            return SecretRef(self.url, "database.url").resolve()
        return self.url


class ShopConfig(_Section):
    id: str
    channel: str
    name: str | None = None
    #: None: the channel's production API; "sandbox": its built-in in-process
    #: sandbox; otherwise the URL to call (a loopback URL counts as a sandbox).
    endpoint: str | None = None
    app_key: str | None = None
    app_secret: SecretRef | None = None
    session: SecretRef | None = None
    access_token: SecretRef | None = None
    refresh_token: SecretRef | None = None
    sync_interval: Duration = 300
    #: None: the channel's default overlap (``ChannelSpec.default_overlap``).
    overlap: Duration | None = None
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_sandbox(self) -> bool:
        """True when the shop talks to a sandbox (built-in or local URL), not a platform."""
        return is_sandbox_endpoint(self.endpoint)

    @property
    def uses_builtin_sandbox(self) -> bool:
        """True for ``endpoint: sandbox``: the channel plugin's in-process sandbox."""
        return self.endpoint == SANDBOX_ENDPOINT


class WarehouseConfig(_Section):
    code: str
    name: str
    regions: list[str] = Field(default_factory=list)
    #: the pickup address: the waybill's sender
    address: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    contact: str | None = None
    phone: str | None = None
    priority: int = 100

    def sender(self) -> dict[str, str | None]:
        """The sender fields courier plugins read (``PickupRequest.sender``)."""
        return {
            "warehouse": self.code,
            "company": self.name,
            "name": self.contact,
            "phone": self.phone,
            "province": self.province,
            "city": self.city,
            "district": self.district,
            "address": self.address,
        }


class SkuConfig(_Section):
    weight_g: float | None = None
    volume_cm3: float | None = None
    category: str | None = None
    bulky: bool = False


class CourierConfig(_Section):
    """One courier account (``couriers:``); each courier plugin reads the
    credentials it needs by name (see ``docs/couriers.md``)."""

    code: str
    name: str | None = None
    #: Monthly-settlement account (SF ``monthlyCard``, ZTO e-waybill password).
    account: SecretRef | None = None
    #: None: the courier's production API; "sandbox": its built-in in-process
    #: sandbox; otherwise the URL to call (a loopback URL counts as a sandbox).
    endpoint: str | None = None
    enabled: bool = True
    partner_id: str | None = None
    check_word: SecretRef | None = None
    app_key: str | None = None
    app_secret: SecretRef | None = None
    access_token: SecretRef | None = None
    customer_code: str | None = None
    #: Courier codes to book with, in order, when this one keeps failing.
    fallback: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_sandbox(self) -> bool:
        return is_sandbox_endpoint(self.endpoint)

    @property
    def uses_builtin_sandbox(self) -> bool:
        """True for ``endpoint: sandbox``: the courier plugin's in-process sandbox."""
        return self.endpoint == SANDBOX_ENDPOINT


class AddressConfig(_Section):
    remote_areas: list[str] = Field(
        default_factory=lambda: ["新疆", "西藏", "青海", "内蒙古", "甘肃", "宁夏"]
    )
    hard_to_deliver_keywords: list[str] = Field(
        default_factory=lambda: ["信箱", "部队", "监狱", "驿站"]
    )
    min_confidence: float = Field(default=0.8, ge=0, le=1)


class RunConfig(_Section):
    """``orderkit run``: how often each job of the day runs (seconds)."""

    process_every: Duration = 30
    stock_every: Duration = 900
    credentials_every: Duration = 3600
    ship_every: Duration = 60
    monitors_every: Duration = 300
    notify_every: Duration = 30
    process_shards: int = Field(default=4, ge=1, le=16)
    lease: Duration = 120
    #: orderkit books the courier (``book_pickup``) for allocated shipments;
    #: off when the ERP's warehouse prints waybills and calls ``kit.ship``.
    book_pickups: bool = False


class LoggingConfig(_Section):
    format: Literal["console", "json"] = "console"
    level: Literal["debug", "info", "warning", "error"] = "info"


class BuyersConfig(_Section):
    blacklist: list[str] = Field(default_factory=list)


#: Topics a notifier receives when its entry has no ``topics``: a webhook gets
#: everything; a chat robot only what a person must act on.
DEFAULT_TOPICS: dict[str, tuple[str, ...]] = {
    "webhook": ("*",),
    "wecom": ("alert.*", "shipment.upload_failed", "shipment.manual_entry", "sync.failed"),
}


class NotificationConfig(_Section):
    """One notifier (``notifications:`` entry); ``orderkit.notify`` sends with it."""

    #: Unique; the notifier's name in the deliveries table and in health.
    id: str
    type: Literal["webhook", "wecom"]
    #: An http(s) URL, or ``env:NAME`` when the URL itself holds a key (WeCom).
    url: str
    #: HMAC-SHA256 key a webhook signs with (``env:NAME``).
    secret: SecretRef | None = None
    #: Glob patterns (``*`` = any text); None: ``DEFAULT_TOPICS[type]``.
    topics: list[str] | None = None
    timeout: Duration = 10
    max_attempts: int = Field(default=8, ge=1, le=100)
    enabled: bool = True

    @property
    def topic_patterns(self) -> tuple[str, ...]:
        """The patterns in force: the entry's ``topics`` or its type's defaults."""
        return tuple(self.topics) if self.topics is not None else DEFAULT_TOPICS[self.type]

    def resolve_url(self) -> str:
        """The URL to post to; an ``env:NAME`` URL is read from the environment now."""
        if self.url.startswith("env:"):
            return SecretRef(self.url, f"notifications[id={self.id}].url").resolve()
        return self.url


#: States the stuck monitor may watch (terminal ones never change).
WatchedLifecycle = Literal[
    "pending_payment",
    "paid",
    "on_hold",
    "approved",
    "allocated",
    "packed",
    "partially_shipped",
    "shipped",
    "in_transit",
    "delivered",
    "completed",
]


#: where orderkit, the warehouse or a person must move the order within hours
STUCK_STATES: tuple[WatchedLifecycle, ...] = ("paid", "on_hold", "approved", "allocated", "packed")


class _Monitor(_Section):
    enabled: bool = True


class UnpaidMonitor(_Monitor):
    after: Duration = 2 * 3600


class NotShippedMonitor(_Monitor):
    after: Duration = 48 * 3600


class StuckMonitor(_Monitor):
    after: Duration = 2 * 3600
    states: list[WatchedLifecycle] = Field(default_factory=lambda: list(STUCK_STATES))


class ConcurrentEditsMonitor(_Monitor):
    actors: int = Field(default=3, ge=2)
    within: Duration = 24 * 3600
    #: orderkit's own jobs and the channel sync: an order's automatic life never counts
    ignore_actors: list[str] = Field(default_factory=lambda: ["system:"])


class TrackingMonitor(_Monitor):
    after: Duration = 3600


class SyncFailingMonitor(_Monitor):
    failures: int = Field(default=3, ge=1)


class TokenExpiringMonitor(_Monitor):
    within: Duration = 3 * 86400


class DeadLettersMonitor(_Monitor):
    pass


class NotifierFailingMonitor(_Monitor):
    attempts: int = Field(default=3, ge=1)
    within: Duration = 24 * 3600


class JobFailingMonitor(_Monitor):
    failures: int = Field(default=3, ge=1)


class MonitorsConfig(_Section):
    """``monitors:``: what raises an alert (``orderkit.health``, docs/health.md)."""

    unpaid: UnpaidMonitor = Field(default_factory=UnpaidMonitor)
    not_shipped: NotShippedMonitor = Field(default_factory=NotShippedMonitor)
    stuck: StuckMonitor = Field(default_factory=StuckMonitor)
    concurrent_edits: ConcurrentEditsMonitor = Field(default_factory=ConcurrentEditsMonitor)
    tracking_not_uploaded: TrackingMonitor = Field(default_factory=TrackingMonitor)
    sync_failing: SyncFailingMonitor = Field(default_factory=SyncFailingMonitor)
    token_expiring: TokenExpiringMonitor = Field(default_factory=TokenExpiringMonitor)
    dead_letters: DeadLettersMonitor = Field(default_factory=DeadLettersMonitor)
    notifier_failing: NotifierFailingMonitor = Field(default_factory=NotifierFailingMonitor)
    job_failing: JobFailingMonitor = Field(default_factory=JobFailingMonitor)


Percent = Annotated[float, Field(ge=0, le=100)]


class HealthConfig(_Section):
    """``health:``: alarm thresholds of the health index (percentages 0-100)."""

    window: Duration = 24 * 3600
    status_consistency_below: Percent = 98.5
    dwell_above: Percent = 1.2
    manual_intervention_above: Percent = 2.5
    tracking_completeness_below: Percent = 98.0
    hold_rate_above: Percent = 10.0
    sync_lag_above: Duration = 30 * 60


class Config(_Section):
    """A whole validated config file. Rules and status overrides stay
    plain data here; their own modules interpret them."""

    version: Literal[1] = 1
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    shops: list[ShopConfig] = Field(default_factory=list)
    warehouses: list[WarehouseConfig] = Field(default_factory=list)
    skus: dict[str, SkuConfig] = Field(default_factory=dict)
    couriers: list[CourierConfig] = Field(default_factory=list)
    address: AddressConfig = Field(default_factory=AddressConfig)
    status_overrides: dict[str, Any] = Field(default_factory=dict)
    rules: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    notifications: list[NotificationConfig] = Field(default_factory=list)
    run: RunConfig = Field(default_factory=RunConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    buyers: BuyersConfig = Field(default_factory=BuyersConfig)
    monitors: MonitorsConfig = Field(default_factory=MonitorsConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)

    def shop(self, shop_id: str) -> ShopConfig:
        """The shop with ``shop_id``; ``KeyError`` if there is none."""
        for shop in self.shops:
            if shop.id == shop_id:
                return shop
        raise KeyError(shop_id)
