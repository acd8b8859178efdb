"""The cleaner as users meet it: the import, the plugin through a real host,
the CLI, and the two matcher indexes agreeing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from orderkit.address import AddressHints, AddressRequest, AddressResult
from orderkit.address.gazetteer import gazetteer
from orderkit.address.matcher import NameIndex
from orderkit.builtin import core_host
from orderkit.cli.app import app


def test_import_does_not_pull_sqlalchemy_or_load_data() -> None:
    code = (
        "import sys, orderkit.address as a; "
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'; "
        "assert 'orderkit.address.gazetteer' not in sys.modules, 'data loaded on import'; "
        "r = a.clean('浙江杭州西湖区文三路478号'); "
        "assert r.district == '西湖区'; "
        "assert 'sqlalchemy' not in sys.modules and 'pydantic' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plugin_through_a_real_host() -> None:
    host = core_host(entrypoints=False)
    result = host.pm.hook.clean_address(
        request=AddressRequest("浙江杭州西湖区文三路478号华星时代广场A座1203 放门卫")
    )
    assert isinstance(result, AddressResult)
    assert (result.district_code, result.remark) == ("330106", "放门卫")


def test_plugin_uses_channel_hints() -> None:
    host = core_host(entrypoints=False)
    hints = AddressHints(province="北京市", city="北京市", district="朝阳区")
    result = host.pm.hook.clean_address(
        request=AddressRequest("建国路88号", channel="douyin", hints=hints)
    )
    assert (result.city, result.district, result.detail) == ("北京市", "朝阳区", "建国路88号")


def test_core_cleaner_is_trylast_so_plugins_answer_first() -> None:
    from orderkit import hookimpl

    class Better:
        @hookimpl
        def clean_address(self, request: AddressRequest) -> AddressResult:
            return AddressResult(province="from plugin", confidence=1.0)

    host = core_host(plugins=[("better", Better())], entrypoints=False)
    result = host.pm.hook.clean_address(request=AddressRequest("浙江杭州西湖区"))
    assert result.province == "from plugin"


def test_cli_prints_the_result() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["address", "浙江杭州西湖区文三路478号华星时代广场A座1203 放门卫"])
    assert out.exit_code == 0, out.output
    assert "西湖区" in out.output and "放门卫" in out.output and "330106" in out.output


def test_cli_json() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["address", "张三 13800138000-1234 朝阳区建国路88号", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["flags"] == ["ambiguous"] and data["unsure"] is True
    assert data["phones"] == ["13800138000"] and data["phone_extensions"] == {"13800138000": "1234"}


def test_cli_hints() -> None:
    runner = CliRunner()
    out = runner.invoke(
        app, ["address", "建国路88号", "--province", "北京市", "--district", "朝阳区", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["district_code"] == "110105"


def test_name_index_finds_names_longest_first() -> None:
    index = NameIndex(gazetteer().keys)
    hits = index.find_all("浙江省杭州市西湖区")
    assert hits[:2] == [(0, 3, "浙江省"), (0, 2, "浙江")]
    assert (6, 9, "西湖区") in hits


def test_aho_corasick_index_agrees_with_the_scan() -> None:
    pytest.importorskip("ahocorasick")
    from orderkit.address.matcher import AhoCorasickIndex

    keys = gazetteer().keys
    scan, aho = NameIndex(keys), AhoCorasickIndex(keys)
    for text in ("浙江省杭州市西湖区文三路", "北京朝阳区建国路", "新疆石河子市北四路1号"):
        assert scan.find_all(text) == aho.find_all(text)


def test_the_kit_gives_the_cleaner_the_config_address_section() -> None:
    from orderkit.address.types import AddressRequest
    from orderkit.kit import OrderKit

    text = "海南省海口市美兰区海甸岛人民大道58号"
    default = OrderKit.from_config({"version": 1}, entrypoints=False)
    custom = OrderKit.from_config(
        {"version": 1, "address": {"remote_areas": ["海南"]}}, entrypoints=False
    )
    before = default.clean_address(AddressRequest(text))
    after = custom.clean_address(AddressRequest(text))
    assert before is not None and after is not None
    assert "remote_area" not in before.flags and "remote_area" in after.flags
