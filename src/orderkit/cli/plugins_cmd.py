"""``orderkit plugins``: what loaded, what failed, which hooks each implements."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from orderkit.cli.common import console


def plugins(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List installed plugins, their hooks, channels and couriers, and load failures."""
    from orderkit.builtin import core_host

    host = core_host()
    info = host.describe()
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    table = Table(title="orderkit plugins")
    for column in ("name", "version", "hooks", "channels", "couriers"):
        table.add_column(column)
    for p in info["plugins"]:
        name = p["name"] + (" (built-in)" if p["builtin"] else "")
        table.add_row(
            name,
            p["version"] or "",
            ", ".join(p["hooks"]),
            ", ".join(p["channels"]),
            ", ".join(p["couriers"]),
        )
    console.print(table)
    for failure in info["failed"]:
        console.print(
            f"[red]failed[/] {failure['name']} ({failure['distribution']}): {failure['error']}"
        )
