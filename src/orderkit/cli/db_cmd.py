"""``orderkit db upgrade`` / ``orderkit db current``: orderkit's own tables only."""

from __future__ import annotations

from pathlib import Path

import typer

from orderkit.cli.common import ConfigOption, console, load_kit

app = typer.Typer(help="Create and upgrade orderkit's tables.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(config: Path | None = ConfigOption) -> None:
    """Create or upgrade orderkit's prefixed tables (the ERP's are never touched)."""
    from orderkit.store import migrate

    kit = load_kit(config)
    kit.upgrade_database()
    console.print(
        f"orderkit tables ({kit.config.database.table_prefix}*) at revision "
        f"{kit.store.current_revision()} (head {migrate.head()})"
    )


@app.command("current")
def current(config: Path | None = ConfigOption) -> None:
    """Print the revision orderkit's tables are at; exit 1 if behind or absent."""
    from orderkit.store import migrate

    kit = load_kit(config)
    revision = kit.store.current_revision()
    head = migrate.head()
    console.print(f"current: {revision or 'none (run orderkit db upgrade)'}  head: {head}")
    raise typer.Exit(0 if revision == head else 1)
