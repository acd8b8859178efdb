"""``orderkit health``: JSON output and exit codes (0 no alarm, 1 alarm,
2 could not check), on every backend."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from orderkit.cli import app
from orderkit.kit import OrderKit

from .conftest import kit_config, make_order_payload
from .health_support import job, write

runner = CliRunner()


def setup(tmp_path: Path, db_url: str, prefix: str) -> tuple[Path, OrderKit]:
    config = kit_config(db_url, prefix, shops=[{"id": "own-mini", "channel": "own"}])
    path = tmp_path / "orderkit.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    kit = OrderKit.from_config(path, entrypoints=False)
    kit.upgrade_database()
    return path, kit


def health(path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["health", "--config", str(path), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout


def test_no_alarm_exits_0_and_an_alarm_exits_1(
    tmp_path: Path, db_url: str, table_prefix: str
) -> None:
    path, kit = setup(tmp_path, db_url, table_prefix)
    try:
        kit.ingest([make_order_payload(external_id="P1")])

        code, out = health(path, "--json")
        assert code == 0, out
        data = json.loads(out)
        assert data["alarm"] is False and data["alarms"] == []
        consistency = next(f for f in data["index"] if f["name"] == "status_consistency")
        assert (consistency["numerator"], consistency["denominator"]) == (1, 1)
        assert "monitor_run" in data

        write(kit, "jobs", [job("process", 3)])
        code, out = health(path, "--json")
        assert code == 1, out
        data = json.loads(out)
        assert data["alarms"] == ["failing_jobs"]
        assert [a["monitor"] for a in data["monitor_run"]["raised"]] == ["job_failing"]
        assert data["open_alerts_by_monitor"]["job_failing"] == 1

        code, out = health(path)  # the table: same verdict
        assert code == 1
        assert "failing_jobs" in out and "ALARM" in out
        assert "job process failed 3 times in a row" in out
    finally:
        if kit.engine is not None:
            kit.engine.dispose()


def test_cannot_check_exits_2(tmp_path: Path, db_url: str, table_prefix: str) -> None:
    path = tmp_path / "orderkit.yaml"
    path.write_text(
        yaml.safe_dump(kit_config(db_url, table_prefix)), encoding="utf-8"
    )  # tables never created
    code, _ = health(path)
    assert code == 2
    code, _ = health(tmp_path / "missing.yaml")
    assert code == 2
    path.write_text("version: 1\nhealth:\n  dwell_above: lots\n", encoding="utf-8")
    code, _ = health(path)
    assert code == 2
