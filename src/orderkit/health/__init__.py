"""Monitors and the health index.

- ``run_monitors(kit)``: every enabled monitor (``monitors:`` in the config)
  turns what it finds into alerts: one ``alerts`` row and one
  ``alert.<monitor>`` outbox event per (monitor, subject, episode), raised
  once, resolved (``alert.resolved``) when the condition clears.
- ``health_report(kit)``: the health index (status consistency, dwell,
  manual intervention, tracking completeness, hold rate), each shop's sync
  lag, failing jobs and notifiers, dead letters and open alerts, each with
  its threshold (``health:``) and a plain-words explanation.

Modules: ``states`` (lifecycle groups, what agrees with the platform),
``scope`` (what a query reads), ``queries`` (shared SQL), ``alerts`` (the
alerts table), ``monitors`` (one function per monitor), ``runner``,
``report`` (the report's data), ``index`` (the figures). See docs/health.md.
"""

from orderkit.health.alerts import Alert, Finding
from orderkit.health.index import health_report
from orderkit.health.monitors import MONITORS, Monitor
from orderkit.health.report import Figure, HealthReport, ShopSync
from orderkit.health.runner import MonitorReport, run_monitors

__all__ = [
    "MONITORS",
    "Alert",
    "Figure",
    "Finding",
    "HealthReport",
    "Monitor",
    "MonitorReport",
    "ShopSync",
    "health_report",
    "run_monitors",
]
