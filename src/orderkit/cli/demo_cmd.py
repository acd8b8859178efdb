"""``orderkit demo``: the main job on sandboxes, in a temporary workspace."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from orderkit.cli.common import console


def _counter_table(title: str, counts: Counter[str], label: str, unit: str) -> Table:
    table = Table(title=title)
    table.add_column(label)
    table.add_column(unit, justify="right")
    for key, n in counts.most_common():
        table.add_row(key, str(n))
    return table


def demo(
    orders: int = typer.Option(1500, "--orders", help="Orders per sandbox shop."),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="Keep the workspace here (default: a temporary one)."
    ),
) -> None:
    """Run `orderkit run --once` on sandbox shops and the example ERP, and show
    what happened: statuses, holds, gifts, warehouses, couriers, tracking, health."""
    from orderkit.cli.health_cmd import _limit, _value
    from orderkit.demo import run_demo

    started = time.monotonic()
    directory = workspace or Path(tempfile.mkdtemp(prefix="orderkit-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    with console.status("starting") as status:
        report = run_demo(directory, orders=orders, progress=lambda text: status.update(text))
    config = directory / "orderkit.yaml"
    console.rule("orderkit demo")
    console.print(
        f"Workspace {directory} (orderkit.yaml, orderkit.db). Sandboxes: "
        f"{', '.join(report.channels) or 'none installed'}; ERP: {report.erp}. "
        f"`orderkit run --once` took {report.run.passes if report.run else 0} passes."
    )
    channels = sorted({c for c, _ in report.statuses})
    lifecycles = sorted({lc for _, lc in report.statuses})
    table = Table(title="Orders per canonical status, per channel")
    table.add_column("lifecycle")
    for channel in channels:
        table.add_column(channel, justify="right")
    for lifecycle in lifecycles:
        table.add_row(
            lifecycle, *(str(report.statuses.get((c, lifecycle), 0) or "") for c in channels)
        )
    console.print(table)
    console.print(f"Dead letters (kept with their error, nothing lost): {report.dead_letters}")
    console.print(_counter_table("Holds by reason (on hold now)", report.holds, "reason", "orders"))
    console.print(_counter_table("Gifts by rule", report.gifts, "rule", "gift lines"))
    console.print(_counter_table("Warehouse split", report.warehouses, "warehouse", "parcels"))
    console.print(_counter_table("Courier split", report.couriers, "courier", "parcels"))
    console.print(
        _counter_table("Tracking numbers back to the channel", report.tracking, "state", "parcels")
    )
    if report.health is not None:
        health = Table(title="Health index")
        for column in ("figure", "value", "alarm when", ""):
            health.add_column(column)
        for figure in report.health.figures:
            name = figure.name if figure.subject is None else f"{figure.name} {figure.subject}"
            health.add_row(
                name,
                _value(figure, figure.value),
                _limit(figure),
                "ALARM" if figure.alarm else "ok",
                style="red" if figure.alarm else None,
            )
        console.print(health)
        if report.health.open_alerts_by_monitor:
            alerts = Counter(report.health.open_alerts_by_monitor)
            console.print(_counter_table("Open alerts by monitor", alerts, "monitor", "alerts"))
    if report.run is not None and report.run.errors:
        for job, error in report.run.errors.items():
            console.print(f"[red]{job}[/]: {error}", highlight=False)
    console.print("Try next:")
    for order_id in report.examples:
        console.print(f"  orderkit explain {order_id} -c {config}")
    console.print(f"  orderkit health -c {config}")
    console.print(f"Done in {time.monotonic() - started:.1f} s.")
