"""``Scope``: what a monitor or a health figure reads: one transaction, the
tables, the config and the time from the kit's injectable clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from orderkit.config.model import Config
from orderkit.store.db import utcnow_naive
from orderkit.store.schema import Tables


@dataclass(frozen=True)
class Scope:
    """What a monitor reads: one transaction, the tables, the config, the time."""

    conn: sa.Connection
    tables: Tables
    config: Config
    now: datetime  # aware UTC, from the kit's clock

    @property
    def at(self) -> datetime:
        """Now as stored (naive UTC)."""
        return utcnow_naive(self.now)

    def ago(self, seconds: float) -> datetime:
        return self.at - timedelta(seconds=seconds)

    def ahead(self, seconds: float) -> datetime:
        return self.at + timedelta(seconds=seconds)

    def age(self, stored: datetime) -> float:
        """Seconds from a stored (naive UTC) time to now."""
        return (self.at - stored).total_seconds()

    def active_shops(self) -> list[str]:
        """Shops the config syncs; a removed or paused shop raises nothing."""
        return [shop.id for shop in self.config.shops if shop.enabled]
