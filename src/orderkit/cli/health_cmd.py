"""``orderkit health``: run the monitors, then show the health index.

Exit codes, for cron jobs and monitoring scripts: 0 no alarm, 1 at least one
figure crossed its threshold, 2 the health could not be checked (bad config,
database unreachable or not upgraded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from orderkit.cli.common import ConfigOption, console, err_console, load_kit

if TYPE_CHECKING:
    from orderkit.health import Figure, HealthReport, MonitorReport

#: exit codes (documented in docs/health.md)
NO_ALARM, ALARM, CANNOT_CHECK = 0, 1, 2

#: open alerts listed under the table (the JSON lists up to 100)
SHOWN_ALERTS = 20


def health(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    config: Path | None = ConfigOption,
) -> None:
    """Run the monitors, then show the health index and open alerts.
    Exit 0: no alarm; 1: an alarm; 2: could not check."""
    import sqlalchemy as sa

    from orderkit.health import health_report, run_monitors

    try:
        kit = load_kit(config)
    except typer.Exit:
        raise typer.Exit(CANNOT_CHECK) from None  # load_kit printed the problems
    try:
        monitors = run_monitors(kit)
        report = health_report(kit, alert_limit=100 if as_json else SHOWN_ALERTS)
    except sa.exc.SQLAlchemyError as exc:
        err_console.print(
            f"[red]cannot read orderkit's tables:[/] {getattr(exc, 'orig', None) or exc}\n"
            "Is the database reachable, and upgraded (orderkit db upgrade)?",
            highlight=False,
        )
        raise typer.Exit(CANNOT_CHECK) from None
    finally:
        if kit.engine is not None and hasattr(kit.engine, "dispose"):
            kit.engine.dispose()
    if as_json:
        payload = {**report.to_dict(), "monitor_run": monitors.to_dict()}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print(report, monitors)
    raise typer.Exit(ALARM if report.alarm else NO_ALARM)


def _print(report: HealthReport, monitors: MonitorReport) -> None:
    table = Table(title=f"Health at {report.generated_at:%Y-%m-%d %H:%M} UTC")
    for column in ("figure", "value", "alarm when", "", "why"):
        table.add_column(column)
    for figure in report.figures:
        name = figure.name if figure.subject is None else f"{figure.name} {figure.subject}"
        style = "red" if figure.alarm else None
        table.add_row(
            name,
            _value(figure, figure.value),
            _limit(figure),
            "ALARM" if figure.alarm else "ok",
            figure.explanation,
            style=style,
        )
    console.print(table)
    console.print(
        f"monitors: {len(monitors.raised)} raised, {len(monitors.still_open)} still open, "
        f"{len(monitors.resolved)} resolved"
        + (f"; off: {', '.join(monitors.disabled)}" if monitors.disabled else "")
    )
    total = sum(report.open_alerts_by_monitor.values())
    if not total:
        return
    alerts = Table(title=f"Open alerts ({total})")
    for column in ("since (UTC)", "monitor", "severity", "what"):
        alerts.add_column(column)
    for alert in report.open_alerts:
        alerts.add_row(
            f"{alert.first_seen_at:%m-%d %H:%M}",
            alert.monitor,
            alert.severity,
            alert.message,
            style="red" if alert.severity == "critical" else None,
        )
    console.print(alerts)
    if total > len(report.open_alerts):
        console.print(f"... and {total - len(report.open_alerts)} more (orderkit health --json)")


def _value(figure: Figure, value: float | None) -> str:
    from orderkit.health.words import percent, span

    if value is None:
        return "-"
    if figure.unit == "%":
        return percent(value)
    if figure.unit == "s":
        return span(value)
    return str(int(value))


def _limit(figure: Figure) -> str:
    if figure.threshold is None or figure.alarm_when is None:
        return ""
    sign = "<" if figure.alarm_when == "below" else ">"
    return f"{sign} {_value(figure, figure.threshold)}"
