"""``orderkit demo``: the bundled example orders through every stage that exists."""

from __future__ import annotations

import typer
from rich.table import Table

from orderkit.cli.common import console


def demo(
    entrypoints: bool = typer.Option(
        True, "--entrypoints/--no-entrypoints", help="Load installed plugins too."
    ),
) -> None:
    """Run the bundled example orders through the pipeline and show each stage."""
    from orderkit.demo import run_demo
    from orderkit.kit import OrderKit

    kit = OrderKit.from_config({"version": 1}, entrypoints=entrypoints)
    report = run_demo(kit)
    console.rule("orderkit demo")
    console.print(f"Plugins: {', '.join(report.plugins)}")
    console.print(f"Channels: {', '.join(report.channels)}")

    table = Table(title="Example orders: validate -> map_status")
    table.add_column("order", no_wrap=True)
    for column in ("validate", "lifecycle", "refund", "presale"):
        table.add_column(column, no_wrap=True)
    table.add_column("note")
    for r in report.orders:
        if not r.validated:
            table.add_row(r.external_id, "[red]rejected[/]", "", "", "", r.error or "")
            continue
        note = ""
        if r.unmapped:
            codes = ", ".join(f"{k}={v}" for k, v in r.unmapped.items())
            note = f"[yellow]{codes} not in the table[/]: held ({', '.join(r.hold_reasons)})"
        table.add_row(
            r.external_id,
            "[green]ok[/]",
            r.lifecycle or "UNMAPPED",
            r.refund or "",
            r.presale or "",
            note,
        )
    console.print(table)
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.by_lifecycle.items()))
    rejected = sum(1 for r in report.orders if not r.validated)
    console.print(f"By lifecycle: {counts}; rejected with a field error: {rejected}")
    console.print(
        "Rejected orders would go to dead letters; UNMAPPED statuses are held, never guessed."
    )
