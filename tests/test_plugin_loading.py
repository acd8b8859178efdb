"""Entry-point discovery with real distribution metadata (no loader patching)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orderkit.builtin import core_host
from orderkit.errors import DuplicateCodeError, PluginLoadError

from .plugin_dists import make_dist

REPO = Path(__file__).resolve().parents[1]
HELLO_SRC = (REPO / "examples/hello_plugin/src/orderkit_hello/__init__.py").read_text("utf-8")

BROKEN_SRC = "import a_module_that_does_not_exist  # noqa\n"


@pytest.fixture()
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_dist(
        tmp_path,
        "orderkit-hello",
        "0.1.0",
        {"hello": "orderkit_hello"},
        {"orderkit_hello/__init__": HELLO_SRC},
    )
    make_dist(
        tmp_path,
        "orderkit-broken",
        "0.0.1",
        {"broken": "orderkit_broken"},
        {"orderkit_broken": BROKEN_SRC},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in ("ORDERKIT_STRICT_PLUGINS", "ORDERKIT_LOAD_PLUGINS", "ORDERKIT_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def run_cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ORDERKIT_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), environ.get("PYTHONPATH", "")])
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "orderkit", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def test_plugins_json_lists_good_and_failed_plugins(site: Path) -> None:
    proc = run_cli(site, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    hello = next(p for p in info["plugins"] if p["name"] == "hello")
    assert hello["distribution"] == "orderkit-hello"
    assert hello["version"] == "0.1.0"
    assert hello["couriers"] == ["hello"]
    assert hello["hooks"] == ["book_pickup", "register_couriers"]
    assert [f["name"] for f in info["failed"]] == ["broken"]
    assert "ModuleNotFoundError" in info["failed"][0]["error"]
    builtin = {p["name"] for p in info["plugins"] if p["builtin"]}
    assert {"orderkit.status", "own"} <= builtin


def test_strict_mode_makes_a_failure_an_error(site: Path) -> None:
    proc = run_cli(site, "plugins", "--json", ORDERKIT_STRICT_PLUGINS="1")
    assert proc.returncode != 0
    assert "broken" in proc.stderr and "strict" in proc.stderr


def test_in_process_load_records_failure_and_routes(site: Path) -> None:
    host = core_host()
    assert [f.name for f in host.failures] == ["broken"]
    assert "hello" in host.couriers
    assert host.couriers["hello"].plugin_name == "hello"


def test_strict_mode_in_process(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERKIT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="broken"):
        core_host()


def test_allow_list_and_block_list(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERKIT_LOAD_PLUGINS", "hello")
    host = core_host()
    assert host.failures == [] and "hello" in host.couriers
    monkeypatch.setenv("ORDERKIT_LOAD_PLUGINS", "")
    assert "hello" not in core_host().couriers
    monkeypatch.delenv("ORDERKIT_LOAD_PLUGINS")
    monkeypatch.setenv("ORDERKIT_DISABLE_PLUGINS", "hello,broken")
    host = core_host()
    assert "hello" not in host.couriers and host.failures == []


def test_two_distributions_claiming_one_entry_point(site: Path) -> None:
    make_dist(site, "orderkit-hello-fork", "9.9", {"hello": "orderkit_hello"}, {})
    with pytest.raises(DuplicateCodeError, match="orderkit-hello"):
        core_host()
