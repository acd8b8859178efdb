"""``orderkit release`` and ``orderkit simulate``: the rules, for people."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from orderkit.cli.common import ConfigOption, console, err_console, load_kit
from orderkit.config import parse_duration


def release(
    order: str = typer.Argument(..., help="Internal id or SHOP/EXTERNAL_ID."),
    reason: str = typer.Option(..., "--reason", help="Why it may go on (kept on the timeline)."),
    actor: str = typer.Option("user:cli", "--actor", help="Who releases it."),
    config: Path | None = ConfigOption,
) -> None:
    """Release an order from hold by hand; the next processing run goes on with it."""
    from orderkit.errors import ConflictError, OrderNotFound

    kit = load_kit(config)
    try:
        stored = kit.release(order, reason=reason, actor=actor)
    except (ConflictError, OrderNotFound) as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"{order}: released by {actor} ({reason}); now {stored.lifecycle.value}")


def simulate(
    rules: Path = typer.Option(
        ...,
        "--rules",
        help="New rules: a config or its rules; a rule family left out stays as it is.",
    ),
    since: str = typer.Option("7d", "--since", help="Stored orders changed within this time."),
    orders: Path | None = typer.Option(None, "--orders", help="Orders file (JSON or JSONL)."),
    out: Path = typer.Option(Path("simulate-out"), "--out", help="Where the diff files go."),
    config: Path | None = ConfigOption,
) -> None:
    """Replay orders through the current and the new rules; nothing is written
    to the database. Prints a summary and writes a per-order diff (CSV, JSON)."""
    from orderkit.models import Order
    from orderkit.process.simulate import (
        load_rules,
        replaced_sections,
        stored_orders,
        write_diff,
    )
    from orderkit.process.simulate import simulate as run
    from orderkit.rules.ruleset import SECTIONS

    kit = load_kit(config)
    new = load_rules(kit, rules)
    given = replaced_sections(rules)
    kept = [name for name in SECTIONS if name not in given]
    console.print(
        f"New rules for: {', '.join(given) or 'nothing'}"
        + (f"; kept from the current config: {', '.join(kept)}" if kept else "")
    )
    if orders is not None:
        text = orders.read_text(encoding="utf-8").strip()
        items = (
            json.loads(text)
            if text.startswith("[")
            else [json.loads(line) for line in text.splitlines() if line.strip()]
        )
        source = [Order.model_validate(item) for item in items]
    else:
        from datetime import timedelta

        source = list(stored_orders(kit, timedelta(seconds=parse_duration(since))))
    report = run(kit, new, source)
    table = Table(
        title=f"{report.orders} orders replayed: {len(report.diffs)} would change "
        f"(rules {report.version_before} -> {report.version_after})"
    )
    table.add_column("change")
    table.add_column("orders", justify="right")
    for kind in (
        "gifts added",
        "gifts removed",
        "warehouse changed",
        "courier changed",
        "newly held",
        "released",
    ):
        table.add_row(kind, str(report.summary.get(kind, 0)))
    console.print(table)
    csv_path, json_path = write_diff(report, out)
    console.print(f"Per-order diff: {csv_path} and {json_path}")
