"""Assemble the typer app from one module per command group."""

from __future__ import annotations

import typer

from orderkit.cli import (
    address_cmd,
    config_cmd,
    db_cmd,
    deadletters_cmd,
    demo_cmd,
    explain_cmd,
    health_cmd,
    init_cmd,
    plugins_cmd,
    rules_cmd,
    run_cmd,
    sandbox_cmd,
    ship_cmd,
    sync_cmd,
)

app = typer.Typer(
    name="orderkit",
    help="Order pipeline for Chinese multi-channel e-commerce, embedded in your ERP.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(init_cmd.init)
app.add_typer(config_cmd.app, name="config")
app.command("plugins")(plugins_cmd.plugins)
app.command("demo")(demo_cmd.demo)
app.command("address")(address_cmd.address)
app.add_typer(db_cmd.app, name="db")
app.command("explain")(explain_cmd.explain)
app.add_typer(deadletters_cmd.app, name="deadletters")
app.command("sync")(sync_cmd.sync)
app.command("run")(run_cmd.run)
app.command("ship")(ship_cmd.ship)
app.command("sandbox")(sandbox_cmd.sandbox)
app.command("release")(rules_cmd.release)
app.command("simulate")(rules_cmd.simulate)
app.command("health")(health_cmd.health)


def main() -> None:
    from orderkit.logs import configure_logging

    # Logs go to stderr so that --json output on stdout stays machine-readable.
    configure_logging(fmt="console", level="warning")
    app()
