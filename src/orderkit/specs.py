"""What plugins hand the host through ``register_channels`` / ``register_couriers``,
and the context objects passed to routed I/O hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from orderkit.clock import Clock, Sleeper
    from orderkit.models import Order


class Sandbox(Protocol):
    """A channel's or courier's local stand-in for the real API.

    ``ChannelSpec.sandbox_factory(**options)`` returns one. The host calls the
    sandbox in-process through ``transport()``; ``orderkit sandbox CODE``
    serves the same handler over HTTP.
    """

    base_url: str

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that answers requests in-process."""
        ...

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The same handler as a WSGI app, served by ``orderkit sandbox CODE``."""
        ...


class PagingStyle(StrEnum):
    """How a channel's incremental API pages."""

    PAGE_FROM_1 = "page_from_1"  # page_no 1..n (Pinduoduo)
    PAGE_FROM_0 = "page_from_0"  # page 0..n-1 (Douyin)
    PAGE_LAST_TO_FIRST = "page_last_to_first"  # count first, then walk back (Taobao)
    CURSOR = "cursor"  # opaque next-page token


_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _check_code(code: str) -> None:
    if not code or not set(code) <= _CODE_CHARS:
        raise ValueError(f"code {code!r}: use lowercase letters, digits, '_' or '-'")


@dataclass(frozen=True)
class ChannelSpec:
    """A sales channel a plugin provides. ``code`` equals the plugin's entry-point name."""

    code: str
    display_name: str
    max_window: timedelta
    default_overlap: timedelta
    paging: PagingStyle
    status_table: Path
    default_window: timedelta | None = None
    #: Builds the channel's local sandbox (see each plugin's docs); None if it has none.
    sandbox_factory: Callable[..., Any] | None = None
    #: Hooks a channel plugin must implement; checked at registration.
    required_hooks: tuple[str, ...] = ("fetch_orders",)
    #: Refresh a token this long before it expires (``refresh_credentials``).
    refresh_ahead: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        _check_code(self.code)
        if self.max_window <= timedelta(0):
            raise ValueError(f"channel {self.code}: max_window must be positive")
        if self.default_overlap < timedelta(0):
            raise ValueError(f"channel {self.code}: default_overlap must not be negative")
        window = self.default_window or self.max_window
        if window > self.max_window:
            raise ValueError(f"channel {self.code}: default_window exceeds max_window")


@dataclass(frozen=True)
class CourierSpec:
    """A courier a plugin provides. ``code`` equals the plugin's entry-point name."""

    code: str
    display_name: str
    sandbox_factory: Callable[..., Any] | None = None
    required_hooks: tuple[str, ...] = ("book_pickup",)

    def __post_init__(self) -> None:
        _check_code(self.code)


@dataclass
class ShopContext:
    """Everything a channel hook needs to talk to one shop's platform API."""

    shop_id: str
    channel: str
    endpoint: str | None
    settings: Mapping[str, Any]
    #: Resolves a credential name (``app_key``, ``app_secret``, ``session``...) late.
    credential: Callable[[str], str]
    http: httpx.Client
    clock: Clock
    sleeper: Sleeper


@dataclass
class CourierContext:
    """Everything ``book_pickup`` needs to talk to one courier account's API."""

    code: str
    endpoint: str | None
    settings: Mapping[str, Any]
    #: Resolves a credential name (``partner_id``, ``check_word``, ``app_secret``...) late.
    credential: Callable[[str], str]
    http: httpx.Client
    clock: Clock
    sleeper: Sleeper


@dataclass(frozen=True)
class SyncWindow:
    """A half-open interval of platform-modified time [start, end), timezone-aware."""

    start: datetime
    end: datetime


@dataclass
class FetchProblem:
    """One item of a page that could not become a canonical order."""

    external_id: str | None
    error: str
    raw: Any = None
    field: str | None = None


@dataclass
class FetchPage:
    """One page of ``fetch_orders``: orders, problems, and where to go next."""

    orders: list[Order] = field(default_factory=list)
    problems: list[FetchProblem] = field(default_factory=list)
    #: Opaque token for the next page of the same window; None when the window is done.
    next_page: str | None = None
    total: int | None = None


@dataclass
class ShipResult:
    """What the channel said to a tracking-number upload."""

    accepted: bool
    #: The platform's error code and message when it refused the upload.
    error_code: str | None = None
    error_message: str | None = None
    platform_ref: str | None = None


@dataclass(frozen=True)
class CredentialGrant:
    """What a platform token refresh returned: the new credential values (names
    as in ``ShopContext.credential``) and when they expire."""

    values: Mapping[str, str]
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """One outbox event handed to ``on_event`` (and to the built-in notifiers).

    ``id`` is stable: the same fact always has the same id, and a consumer
    that sees an id twice (delivery is at least once) must ignore the repeat.
    """

    id: str
    topic: str
    order_id: str | None
    payload: Mapping[str, Any]
    created_at: datetime
    #: 1 on the first delivery to this consumer, then 2, 3... on retries.
    attempt: int = 1


@dataclass(frozen=True)
class JobSpec:
    """Work a plugin (typically the ERP's) adds to ``orderkit run``.

    ``run(kit)`` is called at most every ``interval`` under a lease, so two
    ``orderkit run`` processes never run it at once; it returns how many
    things it did (0 when there was nothing to do) and must be idempotent:
    after a crash it runs again from the top.
    """

    name: str
    interval: timedelta
    run: Callable[[Any], int]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not set(self.name) <= _CODE_CHARS | {".", ":"}:
            raise ValueError(f"job name {self.name!r}: lowercase letters, digits, '_-.:'")
        if self.interval <= timedelta(0):
            raise ValueError(f"job {self.name}: interval must be positive")
