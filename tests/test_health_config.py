"""The ``monitors:`` and ``health:`` sections: parsed, validated with lines,
and their schema defaults in step with the models'."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from orderkit._resources import load_schema
from orderkit.config import load_config, parse_duration, validate_config
from orderkit.config.model import HealthConfig, MonitorsConfig


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderkit.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_sections_load_with_durations(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            version: 1
            monitors:
              unpaid:
                after: 90m
              stuck:
                after: 3h
                states: [paid, approved]
              concurrent_edits:
                actors: 2
                ignore_actors: ["system:", "erp-"]
              job_failing:
                enabled: false
            health:
              window: 7d
              status_consistency_below: 99
              sync_lag_above: 1h
            """,
        )
    )
    assert config.monitors.unpaid.after == 5400
    assert config.monitors.stuck.states == ["paid", "approved"]
    assert config.monitors.concurrent_edits.actors == 2
    assert config.monitors.job_failing.enabled is False
    assert config.monitors.not_shipped.after == 48 * 3600  # untouched: the default
    assert (config.health.window, config.health.sync_lag_above) == (7 * 86400, 3600)
    assert config.health.status_consistency_below == 99
    assert config.health.dwell_above == 1.2


def test_mistakes_name_the_path_and_line(tmp_path: Path) -> None:
    problems = validate_config(
        write(
            tmp_path,
            """
            version: 1
            monitors:
              unpaid:
                after: soon
              stuck:
                states: [cancelled]
              not_shiped:
                after: 2d
            health:
              dwell_above: 120
            """,
        )
    )
    found = {(p.path, p.line) for p in problems}
    assert ("monitors.unpaid.after", 4) in found
    assert ("monitors.stuck.states[0]", 6) in found
    assert any(p.path.startswith("monitors") and p.line == 7 for p in problems), problems
    assert ("health.dwell_above", 10) in found
    unknown = next(p for p in problems if p.line == 7)
    assert "not_shipped" in unknown.message  # did you mean


def _defaults(section: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in section["properties"].items():
        if "properties" in spec:
            out[name] = _defaults(spec)
        elif spec.get("$ref") == "#/$defs/duration":
            out[name] = parse_duration(spec["default"])
        else:
            out[name] = spec["default"]
    return out


def test_schema_defaults_agree_with_model_defaults() -> None:
    props = load_schema("config.schema.json")["properties"]
    assert _defaults(props["monitors"]) == MonitorsConfig().model_dump()
    assert _defaults(props["health"]) == HealthConfig().model_dump()
