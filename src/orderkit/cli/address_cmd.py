"""``orderkit address TEXT``: clean one address through the plugin host."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from orderkit.address.types import AddressHints, AddressRequest, AddressResult
from orderkit.cli.common import ConfigOption, config_path, console, err_console


def address(
    text: str = typer.Argument(..., help="The address as the buyer wrote it."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    channel: str | None = typer.Option(None, help="Channel code, for channel wrappers."),
    province: str | None = typer.Option(None, help="Hint: province the channel gave."),
    city: str | None = typer.Option(None, help="Hint: city the channel gave."),
    district: str | None = typer.Option(None, help="Hint: district the channel gave."),
    street: str | None = typer.Option(None, help="Hint: street/town the channel gave."),
    config: Path | None = ConfigOption,
) -> None:
    """Split and check an address: levels, codes, street, remark, phones, flags."""
    from orderkit.address.plugin import PLUGIN_NAME
    from orderkit.builtin import core_host

    host = core_host()
    path = config_path(config)
    if path.exists():  # the address settings (remote areas, keywords) come from it
        from orderkit.config import load_config
        from orderkit.errors import ConfigError

        try:
            settings = load_config(path).address
        except ConfigError as exc:
            err_console.print(f"[red]{path}[/]: {exc}")
            raise typer.Exit(2) from exc
        cleaner = host.pm.get_plugin(PLUGIN_NAME)
        if cleaner is not None:
            cleaner.settings = settings
    hints = None
    if any((province, city, district, street)):
        hints = AddressHints(province=province, city=city, district=district, street=street)
    result: AddressResult = host.pm.hook.clean_address(
        request=AddressRequest(text, channel=channel, hints=hints)
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    _print(result)


def _print(result: AddressResult) -> None:
    table = Table(show_header=False, title="address")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_column("code", style="dim")
    rows = (
        ("province", result.province, result.province_code),
        ("city", result.city, result.city_code),
        ("district", result.district, result.district_code),
        ("street", result.street, result.street_code),
        ("detail", result.detail, None),
        ("remark", result.remark, None),
    )
    for field, value, code in rows:
        table.add_row(field, value or "—", code or "")
    for phone in result.phones:
        extension = result.phone_extensions.get(phone)
        table.add_row("phone", phone + (f" ext. {extension}" if extension else ""), "")
    for name in result.names:
        table.add_row("name", name, "")
    console.print(table)
    colour = "yellow" if result.unsure else "green"
    flags = ", ".join(result.flags) or "none"
    console.print(f"confidence [{colour}]{result.confidence:.2f}[/]  flags: {flags}")
    if result.unsure:
        console.print("[yellow]unsure[/]: below address.min_confidence, rules treat it as unknown")
