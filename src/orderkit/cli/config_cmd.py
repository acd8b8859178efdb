"""``orderkit config validate``: every problem, with its path and YAML line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from orderkit.cli.common import console, err_console

app = typer.Typer(help="Check configuration files.", no_args_is_help=True)


@app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="The YAML config to check."),
    as_json: bool = typer.Option(False, "--json", help="Print problems as JSON."),
    entrypoints: bool = typer.Option(
        True, "--entrypoints/--no-entrypoints", help="Check channel codes against plugins."
    ),
) -> None:
    """Exit 0 when FILE is valid, 1 with the list of problems."""
    from orderkit.builtin import core_host
    from orderkit.config import validate_config

    host = core_host(entrypoints=entrypoints)
    problems = validate_config(
        file, known_channels=set(host.channels), known_couriers=set(host.couriers)
    )
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        payload = [
            {"path": p.path, "line": p.line, "message": p.message, "severity": p.severity}
            for p in problems
        ]
        console.print_json(json.dumps({"valid": not errors, "problems": payload}))
    else:
        for p in problems:
            style = "red" if p.severity == "error" else "yellow"
            err_console.print(f"[{style}]{p.severity}[/] {p}", highlight=False)
        if not errors:
            console.print(f"[green]{file} is valid[/]")
        else:
            err_console.print(f"{file}: {len(errors)} problem(s)")
    raise typer.Exit(1 if errors else 0)
