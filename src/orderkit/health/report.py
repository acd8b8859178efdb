"""The health report: figures with their thresholds, and the lists behind them.
Everything here is plain data; ``to_dict()`` is JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from orderkit.health.alerts import Alert
from orderkit.health.queries import FailingJob, FailingNotifier, WaitingLetters

Unit = Literal["%", "s", "count"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Figure:
    """One measured figure. ``value`` is None when there was nothing to measure
    (no orders yet); such a figure never alarms. A figure without a threshold
    is for information only."""

    name: str
    value: float | None
    unit: Unit
    threshold: float | None
    #: the alarm fires when ``value`` is below (or above) ``threshold``
    alarm_when: Literal["below", "above"] | None
    explanation: str
    numerator: int | None = None
    denominator: int | None = None
    #: what the figure is about when there is one per shop (sync lag)
    subject: str | None = None

    @property
    def alarm(self) -> bool:
        if self.value is None or self.threshold is None:
            return False
        if self.alarm_when == "below":
            return self.value < self.threshold
        return self.value > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "value": self.value,
            "unit": self.unit,
            "threshold": self.threshold,
            "alarm_when": self.alarm_when,
            "alarm": self.alarm,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ShopSync:
    """A shop's sync cursor and its lag figure."""

    shop_id: str
    channel: str
    watermark: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    lag: Figure

    def to_dict(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "channel": self.channel,
            "watermark": _iso(self.watermark),
            "last_success_at": _iso(self.last_success_at),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "lag": self.lag.to_dict(),
        }


@dataclass(frozen=True)
class HealthReport:
    """The health index and the state of orderkit's own machinery.

    ``index``: status_consistency, dwell, manual_intervention,
    tracking_completeness, hold_rate. ``operations``: failing_jobs,
    failing_notifiers (both alarm above 0), dead_letters_waiting and
    open_alerts (information only). ``shops``: one sync-lag figure each."""

    generated_at: datetime
    window: int  # seconds the rate figures look back
    index: list[Figure]
    shops: list[ShopSync]
    operations: list[Figure]
    failing_jobs: list[FailingJob] = field(default_factory=list)
    failing_notifiers: list[FailingNotifier] = field(default_factory=list)
    dead_letters: list[WaitingLetters] = field(default_factory=list)
    open_alerts_by_monitor: dict[str, int] = field(default_factory=dict)
    #: the newest open alerts (at most the ``alert_limit`` asked for)
    open_alerts: list[Alert] = field(default_factory=list)

    @property
    def figures(self) -> list[Figure]:
        """Every figure: the index, each shop's sync lag, then operations."""
        return [*self.index, *(shop.lag for shop in self.shops), *self.operations]

    @property
    def alarms(self) -> list[Figure]:
        return [f for f in self.figures if f.alarm]

    @property
    def alarm(self) -> bool:
        """True when any figure crossed its threshold (``orderkit health`` exits 1)."""
        return bool(self.alarms)

    def figure(self, name: str, subject: str | None = None) -> Figure:
        """The figure called ``name`` (and about ``subject``); ``KeyError`` if none."""
        for f in self.figures:
            if f.name == name and f.subject == subject:
                return f
        raise KeyError(name if subject is None else f"{name}[{subject}]")

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.isoformat(),
            "window_seconds": self.window,
            "alarm": self.alarm,
            "alarms": [
                f.name if f.subject is None else f"{f.name}[{f.subject}]" for f in self.alarms
            ],
            "index": [f.to_dict() for f in self.index],
            "shops": [s.to_dict() for s in self.shops],
            "operations": [f.to_dict() for f in self.operations],
            "failing_jobs": [
                {
                    "name": j.name,
                    "consecutive_failures": j.consecutive_failures,
                    "last_error": j.last_error,
                    "last_ok_at": _iso(j.last_ok_at),
                }
                for j in self.failing_jobs
            ],
            "failing_notifiers": [
                {
                    "notifier": n.notifier,
                    "gave_up": n.gave_up,
                    "retrying": n.retrying,
                    "last_error": n.last_error,
                }
                for n in self.failing_notifiers
            ],
            "dead_letters": [
                {"shop_id": d.shop_id, "count": d.count, "oldest": _iso(d.oldest)}
                for d in self.dead_letters
            ],
            "open_alerts_by_monitor": dict(self.open_alerts_by_monitor),
            "open_alerts": [a.to_dict() for a in self.open_alerts],
        }
