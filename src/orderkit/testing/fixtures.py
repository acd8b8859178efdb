"""Fixtures for plugin tests: a fresh plugin manager, an injected httpx
transport, captured logs, a payload loader, and a kit on a temporary SQLite."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pluggy
import pytest
from structlog.testing import capture_logs

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.kit import OrderKit


def make_kit(
    tmp_path: Path,
    plugins: list[tuple[str, object]],
    *,
    shops: list[dict[str, Any]] | None = None,
    clock: FakeClock | None = None,
    **config_sections: Any,
) -> OrderKit:
    """A kit with the core plus ``plugins`` only (no entry points), a SQLite
    file under ``tmp_path``, a fake clock and a recording sleeper. Other
    config sections (``couriers=``, ``warehouses=``, ``rules=``...) go in as given."""
    clock = clock or FakeClock()
    config = {
        "version": 1,
        "database": {"url": f"sqlite:///{tmp_path / 'orderkit.db'}"},
        "shops": shops or [],
        **config_sections,
    }
    kit = OrderKit.from_config(
        config, plugins=plugins, entrypoints=False, clock=clock, sleeper=RecordingSleeper(clock)
    )
    kit.upgrade_database()
    return kit


@pytest.fixture()
def orderkit_pm(request: pytest.FixtureRequest) -> pluggy.PluginManager:
    """A fresh manager with the core defaults plus the plugin under test
    (the test class's ``plugin_name`` / ``plugin`` attributes)."""
    from orderkit.builtin import core_host

    cls = request.cls
    plugins = [(cls.plugin_name, cls.plugin)] if cls and getattr(cls, "plugin", None) else []
    return core_host(plugins=plugins, entrypoints=False).pm


@pytest.fixture()
def channel_transport() -> Iterator[
    Callable[[Callable[[httpx.Request], httpx.Response]], httpx.Client]
]:
    """Build an ``httpx.Client`` whose requests go to a handler you give."""
    clients: list[httpx.Client] = []

    def build(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
        client = httpx.Client(transport=httpx.MockTransport(handler))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture()
def captured_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """structlog events emitted during the test, as dicts."""
    with capture_logs() as events:
        yield events


@pytest.fixture()
def load_payload(request: pytest.FixtureRequest) -> Callable[[str], Any]:
    """Load ``<test dir>/payloads/<name>`` (JSON) recorded from the platform."""
    base = request.path.parent / "payloads"

    def load(name: str) -> Any:
        return json.loads((base / name).read_text(encoding="utf-8"))

    return load
