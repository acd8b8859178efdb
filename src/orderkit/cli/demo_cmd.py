"""``orderkit demo``: the pipeline on sandboxes, in a temporary workspace."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from orderkit.cli.common import console


def _counter_table(title: str, counts: Counter[str], label: str) -> Table:
    table = Table(title=title)
    table.add_column(label)
    table.add_column("orders", justify="right")
    for key, n in counts.most_common():
        table.add_row(key, str(n))
    return table


def demo(
    orders: int = typer.Option(1500, "--orders", help="Orders per sandbox shop."),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="Keep the workspace here (default: a temporary one)."
    ),
) -> None:
    """Sync sandbox shops into SQLite, process the orders, and show what happened."""
    from orderkit.demo import run_demo

    started = time.monotonic()
    directory = workspace or Path(tempfile.mkdtemp(prefix="orderkit-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    with console.status("starting") as status:
        report = run_demo(directory, orders=orders, progress=lambda text: status.update(text))
    console.rule("orderkit demo")
    console.print(
        f"Workspace {directory} (config orderkit.yaml, database orderkit.db); "
        f"sandboxes: {', '.join(report.channels) or 'none installed'}"
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
    console.print(_counter_table("Processing", report.processed, "outcome"))
    console.print(_counter_table("Holds by reason", report.holds, "reason"))
    console.print(_counter_table("Gifts by rule", report.gifts, "rule"))
    console.print(_counter_table("Warehouse split (shipments)", report.warehouses, "warehouse"))
    if set(report.couriers) <= {"?"}:
        console.print(
            "Courier split: no courier plugins installed yet, so shipments carry "
            "no courier (courier plugins arrive with the run loop)."
        )
    else:
        console.print(_counter_table("Courier split (shipments)", report.couriers, "courier"))
    console.print("Try next:")
    for order_id in report.examples:
        console.print(f"  orderkit explain {order_id} -c {directory / 'orderkit.yaml'}")
    console.print(f"Done in {time.monotonic() - started:.1f} s.")
