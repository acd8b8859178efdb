"""``orderkit sync SHOP``: one incremental sync pass with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from orderkit.cli.common import ConfigOption, console, err_console, load_kit


def sync(
    shop: str = typer.Argument(..., help="The shop id from the config."),
    config: Path | None = ConfigOption,
) -> None:
    """Fetch and ingest everything the shop changed since its watermark."""
    from orderkit.sync import ShopLeased, SyncError

    kit = load_kit(config)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} windows"),
        TextColumn("{task.fields[orders]} orders"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task(f"sync {shop}", total=None, orders=0)

    def on_window(report: object, window: object, remaining: int) -> None:
        done = getattr(report, "windows", 0)
        progress.update(
            task, total=done + remaining, completed=done, orders=getattr(report, "fetched", 0)
        )

    try:
        with progress:
            report = kit.sync_engine.sync_shop(shop, on_window=on_window)
    except ShopLeased as exc:
        err_console.print(f"[yellow]{exc}[/]")
        raise typer.Exit(2) from None
    except SyncError as exc:
        err_console.print(f"[red]{exc}[/]")
        if exc.report is not None:
            err_console.print(
                f"stopped after {exc.report.windows} window(s); the cursor stays "
                f"at {exc.report.watermark_after or exc.report.watermark_before}"
            )
        raise typer.Exit(1) from None
    console.print(
        f"{shop}: {report.windows} windows, {report.pages} pages, {report.fetched} fetched -> "
        f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.problems} dead-lettered; {report.throttled} throttled, {report.retries} "
        f"retried; watermark {report.watermark_after}"
    )
