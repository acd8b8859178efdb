"""``orderkit init``: write a commented starter config that validates."""

from __future__ import annotations

from pathlib import Path

import typer

from orderkit.cli.common import DEFAULT_CONFIG, console, err_console


def init(
    path: Path = typer.Argument(Path(DEFAULT_CONFIG), help="Where to write the config."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter config (a sandbox shop, two warehouses, defaults)."""
    from orderkit.config import STARTER_CONFIG, validate_config

    if path.exists() and not force:
        err_console.print(f"[red]{path} exists[/]; pass --force to overwrite it.")
        raise typer.Exit(1)
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    problems = [p for p in validate_config(path) if p.severity == "error"]
    if problems:  # the template itself is broken: say so rather than leave a bad file
        for problem in problems:
            err_console.print(f"  {problem}")
        raise typer.Exit(1)
    console.print(f"Wrote {path}. Check it with: orderkit config validate {path}")
