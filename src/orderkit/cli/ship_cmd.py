"""``orderkit ship ORDER --courier --waybill``: record a waybill typed in by a
person and upload it to the channel."""

from __future__ import annotations

from pathlib import Path

import typer

from orderkit.cli.common import ConfigOption, console, err_console, load_kit


def ship(
    order: str = typer.Argument(..., help="Order id or SHOP/EXTERNAL_ID."),
    courier: str = typer.Option(..., "--courier", help="Courier code, e.g. zto."),
    waybill: str = typer.Option(..., "--waybill", help="The waybill (tracking) number."),
    shipment: str | None = typer.Option(
        None, "--shipment", help="Shipment id, when the order has several."
    ),
    actor: str = typer.Option("user:cli", "--actor", help="Who ships it."),
    config: Path | None = ConfigOption,
) -> None:
    """Exit 0 when the channel accepted the tracking number, 1 when it refused
    (the order stays 'tracking not uploaded' with the platform's error), 3 when
    the upload will be retried by `orderkit run`."""
    from orderkit.errors import OrderKitError

    kit = load_kit(config)
    try:
        outcome = kit.ship(order, shipment=shipment, courier=courier, waybill=waybill, actor=actor)
    except OrderKitError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    where = f"{outcome.order_id}/{outcome.shipment_id}"
    if outcome.uploaded:
        console.print(f"[green]{where}[/]: {courier} {waybill} accepted by the channel")
        return
    if outcome.state == "upload_failed":
        err_console.print(
            f"[red]{where}: the channel refused {waybill}[/]: {outcome.error_code} "
            f"{outcome.error or ''}; tracking NOT uploaded"
        )
        raise typer.Exit(1)
    err_console.print(
        f"[yellow]{where}[/]: recorded {waybill}; upload failed for now ({outcome.error}); "
        f"`orderkit run` retries at {outcome.retry_at}"
    )
    raise typer.Exit(3)
