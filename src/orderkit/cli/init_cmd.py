"""``orderkit init``: write a commented starter config that validates."""

from __future__ import annotations

from pathlib import Path

import typer

from orderkit.cli.common import DEFAULT_CONFIG, console, err_console


def init(
    path: Path = typer.Argument(Path(DEFAULT_CONFIG), help="Where to write the config."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter config: a sandbox shop per installed channel
    that ships a sandbox, the own-site channel, two warehouses, the defaults."""
    from orderkit.builtin import core_host
    from orderkit.config import starter_config, validate_config

    if path.exists() and not force:
        err_console.print(f"[red]{path} exists[/]; pass --force to overwrite it.")
        raise typer.Exit(1)
    host = core_host()
    sandboxes = [code for code, reg in host.channels.items() if reg.spec.sandbox_factory]
    path.write_text(starter_config(sandboxes), encoding="utf-8")
    problems = validate_config(
        path, known_channels=set(host.channels), known_couriers=set(host.couriers)
    )
    errors = [p for p in problems if p.severity == "error"]
    if errors:  # the template itself is broken: say so rather than leave a bad file
        for problem in errors:
            err_console.print(f"  {problem}")
        raise typer.Exit(1)
    console.print(f"Wrote {path}. Check it with: orderkit config validate {path}")
