"""The one exception hierarchy of orderkit.

Every error says what went wrong, where (a field path, a plugin, a shop) and,
where it can, what to do about it::

    OrderKitError
    ├── ConfigError                  bad config file; carries every problem found
    ├── PluginError                  plugin_name, hook_name
    │   ├── PluginLoadError          an entry point failed to import or register
    │   └── PluginContractError      a plugin broke a hook contract
    │       └── DuplicateCodeError   two plugins claim one channel/courier code
    ├── ChannelError                 channel, shop_id
    │   ├── ChannelAuthError         session/token expired or refused: re-authorise
    │   ├── ChannelRateLimited       throttled; retry_after says how long to wait
    │   └── ChannelResponseError     any other error envelope; transient => retry
    │       └── ChannelSignatureError  the platform rejected our signature
    ├── MappingError                 a payload could not become a canonical order
    │   ├── InvalidOrder             schema/model validation failed (field path)
    │   ├── UnmappedStatus           a raw platform status has no table row
    │   └── InvalidAddress           an address could not be cleaned
    ├── StoreError                   database-side problems
    │   ├── ConflictError            stale version: someone else changed the order
    │   └── OrderNotFound            no order with that id / SHOP/EXTERNAL_ID
    └── CourierError                 booking or tracking with a courier failed

Batch operations never raise for one bad item: they return results *and*
problems (see ``FetchResult`` and ``IngestResult``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class OrderKitError(Exception):
    """Base class of every error orderkit raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config file: where it is and what is wrong."""

    path: str
    message: str
    line: int | None = None
    severity: str = "error"  # "error" refuses the config; "warning" is lint

    def __str__(self) -> str:
        where = self.path or "<root>"
        suffix = f" (line {self.line})" if self.line is not None else ""
        return f"{where}: {self.message}{suffix}"


class ConfigError(OrderKitError):
    """The configuration is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        head = f"invalid config {source}" if source else "invalid config"
        body = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{head}: {len(problems)} problem(s)\n{body}")


class PluginError(OrderKitError):
    """A plugin failed; names the plugin and, when known, the hook."""

    def __init__(self, message: str, *, plugin_name: str, hook_name: str | None = None) -> None:
        self.plugin_name = plugin_name
        self.hook_name = hook_name
        where = f"plugin {plugin_name!r}" + (f", hook {hook_name!r}" if hook_name else "")
        super().__init__(f"{where}: {message}")


class PluginLoadError(PluginError):
    """An entry point could not be imported or registered."""


class PluginContractError(PluginError):
    """A plugin broke a hook contract (bad spec object, wrong return type...)."""


class DuplicateCodeError(PluginContractError):
    """Two plugins registered the same channel or courier code."""


class ChannelError(OrderKitError):
    """A channel (platform) call failed."""

    def __init__(self, message: str, *, channel: str, shop_id: str | None = None) -> None:
        self.channel = channel
        self.shop_id = shop_id
        where = channel + (f"/{shop_id}" if shop_id else "")
        super().__init__(f"{where}: {message}")


class ChannelAuthError(ChannelError):
    """The session or access token is expired or refused; the shop must re-authorise."""


class ChannelRateLimited(ChannelError):
    """The platform throttled us; wait ``retry_after`` seconds before retrying."""

    def __init__(
        self, message: str, *, channel: str, shop_id: str | None = None, retry_after: float
    ) -> None:
        super().__init__(message, channel=channel, shop_id=shop_id)
        self.retry_after = retry_after


class ChannelResponseError(ChannelError):
    """Any other error envelope; ``transient`` errors are retried with backoff."""

    def __init__(
        self,
        message: str,
        *,
        channel: str,
        shop_id: str | None = None,
        code: str | None = None,
        sub_code: str | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message, channel=channel, shop_id=shop_id)
        self.code = code
        self.sub_code = sub_code
        self.transient = transient


class ChannelSignatureError(ChannelResponseError):
    """The platform rejected the request signature: check the app secret and signing."""


class MappingError(OrderKitError):
    """A payload could not be turned into a canonical order."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class InvalidOrder(MappingError):
    """The canonical order failed validation; ``errors`` holds every field error."""

    def __init__(
        self, message: str, *, field: str | None = None, errors: list[dict[str, Any]] | None = None
    ) -> None:
        # the message already names every field; do not prefix the first one again
        OrderKitError.__init__(self, message)
        self.field = field
        self.errors = errors or []


class UnmappedStatus(MappingError):
    """A raw platform status has no row in the channel's status table."""


class InvalidAddress(MappingError):
    """An address could not be cleaned at all."""


class StoreError(OrderKitError):
    """A problem on the database side."""


class ConflictError(StoreError):
    """The order changed since ``expected_version``; the attempted change was not applied."""

    def __init__(
        self,
        message: str,
        *,
        order_id: str,
        expected_version: int,
        actual_version: int,
        attempted: dict[str, Any] | None = None,
    ) -> None:
        self.order_id = order_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        self.attempted = attempted or {}
        super().__init__(
            f"order {order_id}: {message} (expected version {expected_version}, "
            f"found {actual_version}); reload the order and try again"
        )


class OrderNotFound(StoreError):
    """No order matches the given internal id or SHOP/EXTERNAL_ID."""


class CourierError(OrderKitError):
    """Booking a pickup or tracking a parcel with a courier failed."""

    def __init__(self, message: str, *, courier: str, transient: bool = False) -> None:
        self.courier = courier
        self.transient = transient
        super().__init__(f"courier {courier}: {message}")
