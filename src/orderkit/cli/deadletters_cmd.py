"""``orderkit deadletters list|replay``: payloads that could not be ingested."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from orderkit.cli.common import ConfigOption, console, err_console, load_kit

app = typer.Typer(help="Inspect and replay dead letters.", no_args_is_help=True)


@app.command("list")
def list_letters(
    include_resolved: bool = typer.Option(False, "--all", help="Include replayed ones."),
    as_json: bool = typer.Option(False, "--json"),
    config: Path | None = ConfigOption,
) -> None:
    """Payloads waiting for a fix, with their error."""
    letters = load_kit(config).dead_letters(include_resolved=include_resolved)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": d.id,
                        "channel": d.channel,
                        "shop_id": d.shop_id,
                        "external_id": d.external_id,
                        "error": d.error,
                        "seen": d.seen_count,
                        "resolved": d.resolution,
                    }
                    for d in letters
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(title=f"{len(letters)} dead letter(s)")
    for column in ("id", "shop", "order", "seen", "error"):
        table.add_column(column)
    for d in letters:
        table.add_row(str(d.id), d.shop_id, d.external_id or "?", str(d.seen_count), d.error)
    console.print(table)


@app.command("replay")
def replay(
    ids: list[int] | None = typer.Argument(None, help="Dead letter ids (default: all)."),
    fixed: Path | None = typer.Option(
        None, "--payload", help="A corrected JSON payload for the single ID given."
    ),
    config: Path | None = ConfigOption,
) -> None:
    """Run dead letters through ingest again; each goes in once."""
    kit = load_kit(config)
    if fixed is not None:
        if not ids or len(ids) != 1:
            err_console.print("--payload needs exactly one dead letter id")
            raise typer.Exit(2)
        kit.store.dead_letters.fix(ids[0], json.loads(fixed.read_text(encoding="utf-8")))
    result = kit.replay_dead_letters(ids or None)
    console.print(
        f"created {result.created}, updated {result.updated}, unchanged "
        f"{result.unchanged}, still failing {len(result.rejected)}"
    )
    for r in result.rejected:
        err_console.print(f"  {r.shop_id}/{r.external_id}: {r.error}", highlight=False)
    raise typer.Exit(1 if result.rejected else 0)
