"""The command line, in process (typer's runner) where no subprocess is needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from orderkit.cli import app
from orderkit.cli.common import parse_order_ref

runner = CliRunner()


def test_init_writes_a_config_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "orderkit.yaml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert "channel: own" in target.read_text(encoding="utf-8")
    check = runner.invoke(app, ["config", "validate", str(target)])
    assert check.exit_code == 0, check.output
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 1  # never overwrites silently


def test_config_validate_lists_problems_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nshops:\n  - id: s1\n    channel: own\n    app_secret: hunter2\n"
        "logging:\n  format: xml\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["config", "validate", str(bad), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    found = {(p["path"], p["line"]) for p in payload["problems"]}
    assert ("shops[0].app_secret", 5) in found
    assert ("logging.format", 7) in found
    assert "hunter2" not in result.output


def test_plugins_json_shows_builtins() -> None:
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    own = next(p for p in info["plugins"] if p["name"] == "own")
    assert own["builtin"] and own["channels"] == ["own"]


def test_demo_syncs_processes_and_summarises(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--orders", "120", "--workspace", str(tmp_path)], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    assert "Orders per canonical status, per channel" in result.output
    assert "Holds by reason" in result.output and "orderkit explain" in result.output
    # the open alerts are counted by monitor, so a newcomer sees what they are
    alerts = result.output.split("Open alerts by monitor")[1].split("Try next")[0]
    assert re.search(r"│ dead_letters\s+│\s+1 │", alerts), alerts
    assert (tmp_path / "orderkit.yaml").exists() and (tmp_path / "orderkit.db").exists()
    again = runner.invoke(app, ["config", "validate", str(tmp_path / "orderkit.yaml")])
    assert again.exit_code == 0, again.output


def test_order_refs() -> None:
    assert parse_order_ref("42").internal_id == "42"
    ref = parse_order_ref("tmall-flagship/3791162734528893410")
    assert (ref.shop_id, ref.external_id) == ("tmall-flagship", "3791162734528893410")


def test_config_validate_shows_rule_lint_warnings_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nskus: {A: {weight_g: 100}}\nrules:\n  gifts:\n"
        "    - id: impossible\n      when: {paid: {gte: 300, lte: 100}}\n      add: [A]\n"
        "    - id: ghost\n      when: {sku: {any: [NOPE]}}\n      add: [A]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["config", "validate", str(path), "--json"])
    assert result.exit_code == 0, result.output  # warnings do not refuse a config
    warnings = [p for p in json.loads(result.stdout)["problems"] if p["severity"] == "warning"]
    assert any(p["line"] == 6 and "never" in p["message"] for p in warnings), warnings
    assert any("NOPE" in p["message"] for p in warnings), warnings
