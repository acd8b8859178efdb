"""Durations and percentages in the words alerts and the index use."""

from __future__ import annotations


def span(seconds: float) -> str:
    """``2d 3h``, ``3h 5m``, ``45m``, ``30s``: the two largest units, rounded down."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    shown = [f"{n}{unit}" for n, unit in parts[:2] if n]
    return " ".join(shown) or f"0{parts[0][1]}"


def percent(value: float) -> str:
    """``99.82 %``; two decimals, because the alarm thresholds have one or two."""
    return f"{value:.2f} %"
