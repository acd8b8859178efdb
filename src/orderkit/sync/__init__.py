"""The sync engine shared by every channel: per-shop watermark, windows no
larger than the channel allows, paging, a rate budget, retries with backoff,
a shop lease, and a cursor that advances only after a window is fully
fetched and ingested."""

from orderkit.sync.budget import RateBudget
from orderkit.sync.engine import ShopLeased, SyncEngine, SyncError, SyncReport

__all__ = ["RateBudget", "ShopLeased", "SyncEngine", "SyncError", "SyncReport"]
