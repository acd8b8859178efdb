"""``orderkit run [--once]``: the jobs of a day, until stopped (or until
nothing is left to do with ``--once``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.status import Status
from rich.table import Table

from orderkit.cli.common import ConfigOption, console, err_console, load_kit

if TYPE_CHECKING:
    from orderkit.kit import OrderKit


def run(
    once: bool = typer.Option(
        False, "--once", help="Do everything that can be done now, then exit."
    ),
    config: Path | None = ConfigOption,
) -> None:
    """Sync shops, process orders, release timed holds, refresh tokens and stock,
    upload tracking numbers, run monitors and deliver notifications.

    SIGINT/SIGTERM finish the current unit of work and stop. Several runners
    may share a PostgreSQL or MySQL database; SQLite allows one.
    """
    from orderkit.logs import configure_logging
    from orderkit.run import Job, JobOutcome, Runner, RunnerBusy

    kit = load_kit(config)
    _require_tables(kit)
    terminal = sys.stdout.isatty()
    if not terminal:
        # no one is watching: structured lines for the log collector
        configure_logging(fmt="json", level=kit.config.logging.level)

    def on_job(job: Job, outcome: JobOutcome) -> None:
        if not terminal:
            return
        if outcome.error:
            console.print(f"[red]✗ {job.name}[/]: {outcome.error}", highlight=False)
        elif outcome.result is not None and outcome.result.done:
            console.print(f"[green]✓ {job.name}[/]: {outcome.result.note}", highlight=False)

    status = console.status("orderkit run: starting", spinner="dots") if terminal else _Null()

    def on_start(job: Job) -> None:
        if terminal and isinstance(status, Status):
            status.update(f"[bold]{job.name}[/]: {job.description}")

    def idle(seconds: float) -> None:
        if terminal and isinstance(status, Status):
            status.update(f"waiting {seconds:.0f}s for the next job; Ctrl-C stops")
        runner.wait(seconds)

    runner = Runner(kit, on_job=on_job, on_start=on_start)
    runner.install_signal_handlers()
    try:
        with status:
            if once:
                report = runner.run_once()
            else:
                if terminal:
                    console.print(f"orderkit run: {len(runner.jobs)} jobs; Ctrl-C stops after "
                                  "the current unit of work")  # fmt: skip
                report = runner.run_forever(idle=idle)
    except RunnerBusy as exc:
        err_console.print(f"[yellow]{exc}[/]")
        raise typer.Exit(2) from None
    table = Table(title=f"orderkit run: {report.passes} pass(es)" + (
        " (stopped)" if report.stopped else ""))  # fmt: skip
    for column in ("job", "done", "failed", "last error"):
        table.add_column(column)
    for job in runner.jobs:
        done, failed = report.done.get(job.name, 0), report.failed.get(job.name, 0)
        error = report.errors.get(job.name, "")
        table.add_row(job.name, str(done), str(failed), error[:120])
    if terminal:
        console.print(table)
    else:
        print(
            f"run: passes={report.passes} done={sum(report.done.values())} "
            f"failed={sum(report.failed.values())} stopped={report.stopped}"
        )
    if report.errors and once:
        raise typer.Exit(1)


class _Null:
    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _require_tables(kit: OrderKit) -> None:
    """Refuse to start on a database orderkit's tables are missing from or behind in."""
    from orderkit.store.migrate import head

    try:
        current = kit.store.current_revision()
    except Exception as exc:  # unreachable database: say so, not a traceback
        err_console.print(f"[red]cannot reach the database[/]: {exc}")
        raise typer.Exit(2) from None
    if current != head():
        state = "has no orderkit tables" if current is None else f"is at revision {current}"
        err_console.print(
            f"[red]the database {state}[/]; run `orderkit db upgrade` first (needs {head()})"
        )
        raise typer.Exit(2)
