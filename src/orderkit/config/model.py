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
    address: str | None = None
    priority: int = 100


class SkuConfig(_Section):
    weight_g: float | None = None
    volume_cm3: float | None = None
    category: str | None = None
    bulky: bool = False


class CourierConfig(_Section):
    code: str
    name: str | None = None
    account: SecretRef | None = None
    endpoint: str | None = None
    enabled: bool = True

    @property
    def is_sandbox(self) -> bool:
        return is_sandbox_endpoint(self.endpoint)


class AddressConfig(_Section):
    remote_areas: list[str] = Field(
        default_factory=lambda: ["新疆", "西藏", "青海", "内蒙古", "甘肃", "宁夏"]
    )
    hard_to_deliver_keywords: list[str] = Field(
        default_factory=lambda: ["信箱", "部队", "监狱", "驿站"]
    )
    min_confidence: float = Field(default=0.8, ge=0, le=1)


class LoggingConfig(_Section):
    format: Literal["console", "json"] = "console"
    level: Literal["debug", "info", "warning", "error"] = "info"


class BuyersConfig(_Section):
    blacklist: list[str] = Field(default_factory=list)


class Config(_Section):
    """A whole validated config file. Rules, notifications and status overrides stay
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
    notifications: list[dict[str, Any]] = Field(default_factory=list)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    buyers: BuyersConfig = Field(default_factory=BuyersConfig)

    def shop(self, shop_id: str) -> ShopConfig:
        """The shop with ``shop_id``; ``KeyError`` if there is none."""
        for shop in self.shops:
            if shop.id == shop_id:
                return shop
        raise KeyError(shop_id)
