"""``orderkit demo``: the pipeline on the embedded defaults — a temporary
workspace, a generated config, SQLite, the built-in sandboxes."""

from orderkit.demo.run import DemoReport, open_kit, run_demo

__all__ = ["DemoReport", "open_kit", "run_demo"]
