"""Build the ``ShopContext`` a channel hook gets: endpoint, late-resolved
credentials, an httpx client (the in-process sandbox for ``endpoint: sandbox``),
the clock and the sleeper."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from orderkit._sandboxes import sandbox_options
from orderkit.config import SecretRef
from orderkit.errors import ChannelAuthError, OrderKitError
from orderkit.specs import ShopContext

if TYPE_CHECKING:
    from orderkit.config import ShopConfig
    from orderkit.kit import OrderKit
    from orderkit.specs import Sandbox

_CREDENTIALS = ("app_key", "app_secret", "session", "access_token", "refresh_token")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ShopRuntime:
    """Per-kit cache of shop contexts and in-process sandboxes."""

    def __init__(self, kit: OrderKit) -> None:
        self._kit = kit
        self._contexts: dict[str, ShopContext] = {}
        self._sandboxes: dict[str, Sandbox] = {}
        # stored (refreshed) credentials per shop; cleared when a refresh saves new ones
        self._stored: dict[str, dict[str, Any]] = {}

    def shop(self, shop_id: str) -> ShopConfig:
        try:
            return self._kit.config.shop(shop_id)
        except KeyError:
            known = ", ".join(s.id for s in self._kit.config.shops) or "none"
            raise OrderKitError(f"no shop {shop_id!r} in the config (shops: {known})") from None

    def sandbox(self, shop_id: str) -> Sandbox:
        """The shop's in-process sandbox (``endpoint: sandbox``), made once."""
        if shop_id not in self._sandboxes:
            shop = self.shop(shop_id)
            spec = self._kit.host.channel(shop.channel)
            if spec.sandbox_factory is None:
                raise OrderKitError(f"channel {shop.channel!r} ships no sandbox")
            options = sandbox_options(
                shop.settings.get("sandbox", {}),
                ((name, self._config_credential(shop, name)) for name in _CREDENTIALS),
                self._kit.clock,
            )
            self._sandboxes[shop_id] = spec.sandbox_factory(**options)
        return self._sandboxes[shop_id]

    def context(self, shop_id: str) -> ShopContext:
        if shop_id in self._contexts:
            return self._contexts[shop_id]
        shop = self.shop(shop_id)
        if shop.endpoint == "sandbox":
            sandbox = self.sandbox(shop_id)
            http = httpx.Client(transport=sandbox.transport(), timeout=DEFAULT_TIMEOUT)
            endpoint: str | None = sandbox.base_url
        else:
            http = httpx.Client(timeout=DEFAULT_TIMEOUT)
            endpoint = shop.endpoint

        def credential(name: str) -> str:
            return self.credential(shop, name)

        context = ShopContext(
            shop_id=shop.id,
            channel=shop.channel,
            endpoint=endpoint,
            settings=shop.settings,
            credential=credential,
            http=http,
            clock=self._kit.clock,
            sleeper=self._kit.sleeper,
        )
        self._contexts[shop_id] = context
        return context

    def credential(self, shop: ShopConfig, name: str) -> str:
        """A refreshed token from the credentials table wins over the config."""
        stored = self.stored_credentials(shop.id).get(name)
        if stored:
            return str(stored)
        value = self._config_credential(shop, name)
        if value is None:
            raise ChannelAuthError(f"no {name} configured", channel=shop.channel, shop_id=shop.id)
        return value

    def stored_credentials(self, shop_id: str) -> dict[str, Any]:
        if shop_id not in self._stored:
            self._stored[shop_id] = self._kit.store.credentials(shop_id)[0]
        return self._stored[shop_id]

    def forget_credentials(self, shop_id: str) -> None:
        """Read the credentials table again on next use (after a refresh or a save)."""
        self._stored.pop(shop_id, None)

    @staticmethod
    def _config_credential(shop: ShopConfig, name: str) -> str | None:
        value = getattr(shop, name, None)
        if value is None:
            return None
        return value.resolve() if isinstance(value, SecretRef) else str(value)

    def close(self) -> None:
        for context in self._contexts.values():
            context.http.close()
        self._contexts.clear()
