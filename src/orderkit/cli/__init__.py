"""The ``orderkit`` command line (typer + rich)."""

from orderkit.cli.app import app, main

__all__ = ["app", "main"]
