"""The plugin as the host sees it: a real entry point, its spec, its hooks."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import metadata

from typer.testing import CliRunner

import orderkit_taobao
from orderkit.builtin import core_host
from orderkit.cli import app
from orderkit.host import PluginHost
from orderkit.models import Receiver
from orderkit.specs import PagingStyle
from orderkit_taobao.address import address_hints


def test_entry_point_is_installed() -> None:
    (entry,) = [ep for ep in metadata.entry_points(group="orderkit") if ep.name == "taobao"]
    assert entry.value == "orderkit_taobao"
    assert entry.dist is not None and entry.dist.name == "orderkit-taobao"
    assert entry.load() is orderkit_taobao


def test_plugins_json_lists_it() -> None:
    result = CliRunner().invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    (plugin,) = [p for p in info["plugins"] if p["name"] == "taobao"]
    assert plugin["distribution"] == "orderkit-taobao"
    assert plugin["channels"] == ["taobao"]
    assert {"register_channels", "fetch_orders", "ship_order"} <= set(plugin["hooks"])
    assert not [f for f in info["failed"] if f["name"] == "taobao"]


def test_the_installed_plugin_registers_its_channel() -> None:
    host = core_host()  # entry points, as an ERP would load it
    assert host.channels["taobao"].plugin_name == "taobao"


def test_spec(host: PluginHost) -> None:
    spec = host.channel("taobao")
    assert spec.max_window == timedelta(days=1)
    assert spec.default_window == timedelta(minutes=30)
    assert spec.default_overlap == timedelta(minutes=5)
    assert spec.paging == PagingStyle.PAGE_LAST_TO_FIRST
    assert spec.status_table.name == "status.json" and spec.status_table.is_file()
    assert set(spec.required_hooks) == {"fetch_orders", "ship_order"}
    assert spec.sandbox_factory is orderkit_taobao.sandbox_factory


def test_address_hints_keep_the_platform_split() -> None:
    county = Receiver(province="河南省", city=None, district="济源市", street="沁园街道")
    hints = address_hints(county)
    assert hints is not None
    assert (hints.province, hints.city, hints.district, hints.street) == (
        "河南省",
        None,
        "济源市",
        "沁园街道",
    )
    assert address_hints(Receiver(raw="只有一行地址")) is None
