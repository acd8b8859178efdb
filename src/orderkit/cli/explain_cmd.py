"""``orderkit explain ORDER``: the order's timeline, who changed what and why."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from orderkit.cli.common import ConfigOption, console, err_console, load_kit


def explain(
    order: str = typer.Argument(..., help="Internal id or SHOP/EXTERNAL_ID."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    config: Path | None = ConfigOption,
) -> None:
    """Show the order's status and its timeline (a table; --json for scripts)."""
    from orderkit.errors import OrderNotFound

    kit = load_kit(config)
    try:
        stored = kit.get(order)
    except OrderNotFound as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    events = kit.timeline(stored.order.id or order)
    if as_json:
        payload = {
            "order": stored.order.model_dump(mode="json"),
            "version": stored.version,
            "lifecycle": stored.lifecycle.value,
            "platform_lifecycle": stored.platform_lifecycle and stored.platform_lifecycle.value,
            "timeline": [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "kind": e.kind,
                    "from": e.from_state,
                    "to": e.to_state,
                    "reason": e.reason,
                    "detail": e.detail,
                }
                for e in events
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    o = stored.order
    console.print(
        f"[bold]{o.shop_id}/{o.external_id}[/] ({o.id}) on {o.channel}: "
        f"[bold]{stored.lifecycle.value}[/], platform says "
        f"{stored.platform_lifecycle.value if stored.platform_lifecycle else 'UNMAPPED'}, "
        f"version {stored.version}"
    )
    if o.hold_reasons:
        console.print("Held: " + "; ".join(f"{h.code} ({h.detail})" for h in o.hold_reasons))
    table = Table(title="Timeline")
    for column in ("at (UTC)", "actor", "what", "from -> to", "why"):
        table.add_column(column)
    for e in events:
        move = (
            f"{e.from_state} -> {e.to_state}"
            if e.from_state and e.to_state
            else e.to_state or e.from_state or ""
        )
        # a decision's reason column is cut to fit; its detail keeps every line
        words = e.detail.get("explain") if isinstance(e.detail, dict) else None
        why = "\n".join(words) if isinstance(words, list) and words else e.reason or ""
        table.add_row(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.kind, move, why)
    console.print(table)
