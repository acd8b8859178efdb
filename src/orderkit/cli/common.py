"""Bits every command shares: where the config is, how orders are named."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

console = Console()
err_console = Console(stderr=True)

DEFAULT_CONFIG = "orderkit.yaml"

ConfigOption = typer.Option(
    None,
    "--config",
    "-c",
    help=f"Config file (default: $ORDERKIT_CONFIG or ./{DEFAULT_CONFIG}).",
)


def config_path(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    return Path(os.environ.get("ORDERKIT_CONFIG", DEFAULT_CONFIG))


@dataclass(frozen=True)
class OrderRef:
    """How a person names an order: an internal id, or SHOP/EXTERNAL_ID."""

    internal_id: str | None = None
    shop_id: str | None = None
    external_id: str | None = None


def parse_order_ref(text: str) -> OrderRef:
    text = text.strip()
    if not text:
        raise typer.BadParameter("an order is named by its id or SHOP/EXTERNAL_ID")
    shop, sep, external = text.partition("/")
    if sep:
        if not shop or not external:
            raise typer.BadParameter(f"{text!r}: expected SHOP/EXTERNAL_ID")
        return OrderRef(shop_id=shop, external_id=external)
    return OrderRef(internal_id=text)


def load_kit(config: Path | None) -> OrderKit:
    """The kit for a command; a bad config prints every problem and exits 1."""
    from orderkit.errors import ConfigError
    from orderkit.kit import OrderKit

    path = config_path(config)
    if not path.exists():
        err_console.print(f"[red]no config at {path}[/]; create one with: orderkit init {path}")
        raise typer.Exit(1)
    try:
        return OrderKit.from_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            err_console.print(f"  {problem}", highlight=False)
        err_console.print(f"{path}: {len(exc.problems)} problem(s)")
        raise typer.Exit(1) from None
