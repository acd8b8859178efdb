"""``python -m orderkit`` runs the CLI."""

from orderkit.cli import main

main()
