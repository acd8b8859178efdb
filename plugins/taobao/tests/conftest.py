"""Fixtures for the Taobao plugin's tests: a fake clock, a small sandbox, a
shop wired to it in-process, a host with the plugin, and recorded payloads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from taobao_testkit import END, NOW, START, load_payload, make_shop

import orderkit_taobao
from orderkit.builtin import core_host
from orderkit.clock import FakeClock
from orderkit.host import PluginHost
from orderkit.specs import ShopContext
from orderkit_taobao.sandbox import TaobaoSandbox


@pytest.fixture()
def payload() -> Callable[[str], Any]:
    return load_payload


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture()
def sandbox(clock: FakeClock) -> TaobaoSandbox:
    return TaobaoSandbox(orders=400, seed=7, clock=clock, start=START, end=END)


@pytest.fixture()
def shop(sandbox: TaobaoSandbox, clock: FakeClock) -> Iterator[ShopContext]:
    shop = make_shop(sandbox, clock)
    yield shop
    shop.http.close()


@pytest.fixture()
def host() -> PluginHost:
    return core_host(plugins=[("taobao", orderkit_taobao)], entrypoints=False)
